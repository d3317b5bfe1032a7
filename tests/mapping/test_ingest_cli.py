"""`recon ingest` and `recon mappings` in process: tables, JSON, exit codes."""

from __future__ import annotations

import json

import duckdb
from typer.testing import CliRunner

from cli import app

runner = CliRunner()
NB = (
    "trade.ref,acct.id,client.order.id,alloc.id,symbol,exch.mic,side,short.cover,qty,px,comm.amt,"
    "sec.fee,exch.fee,net.amt,ccy,trade.dt,settle.dt,exec.ts\n"
    "NB-1,EQLS-1,O-1,AL-1,AAPL,XNAS,buy,,100,190.25,1.50,0.00,0.03,19026.53,USD,2026-11-27,2026-11-30,\n"
    "NB-2,EQLS-1,O-2,AL-2,AAPL,XNAS,buy,,100,abc,1.50,0.00,0.03,19026.53,USD,2026-11-27,2026-11-30,\n"
)
OMS = (
    "record_type,trade_id,account,prime_broker,order_id,block_id,security_id,symbol,side,quantity,price,"
    "commission,fees,net_amount,accrued_interest,currency,trade_date,settle_date,exec_time,status\n"
    "FILL,T-1,EQLS-1,northbridge,O-1,,EQ-AAPL,AAPL,BUY,100,190.25,1.50,0.03,19026.53,,USD,2026-11-27,"
    "2026-11-30,2026-11-27T10:00:01.250000,BOOKED\n"
)


def test_ingest_prints_control_totals_and_writes_the_warehouse(tmp_path, master_csv, write):
    nb, oms = write("nb.csv", NB), write("oms.csv", OMS)
    db = tmp_path / "cli.duckdb"
    args = ["ingest", "--instruments", str(master_csv), "--internal", f"{oms}:oms",
            "--broker", f"northbridge={nb}", "--warehouse", str(db), "--trade-date", "2026-11-27"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "control totals" in result.output and "┏" in result.output  # a rich table (width-dependent)

    result = runner.invoke(app, [*args, "--json", "--fail-on-rejects"])
    assert result.exit_code == 1  # a row was rejected
    totals = json.loads(result.output)
    assert [(t["mapping"], t["rows_read"], t["canonical"], t["rejected"]) for t in totals] == [
        ("oms", 1, 1, 0), ("northbridge", 2, 1, 1)]
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT COUNT(*) FROM executions").fetchone() == (2,)  # re-run replaced, no copies
        assert con.execute("SELECT reason FROM rejects").fetchall() == [("bad number: px='abc'",)]


def test_bad_usage_exits_2_with_a_message(tmp_path, write):
    nb = write("nb.csv", NB)
    db = str(tmp_path / "x.duckdb")
    cases = [
        ([], "nothing to ingest"),
        (["--broker", f"northbridge={nb}", "--trade-date", "27/11/2026"], "is not YYYY-MM-DD"),
        (["--broker", f"acme={nb}"], "no mapping 'acme'"),
        (["--broker", "northbridge"], "--broker expects NAME=PATH[:MAPPING]"),
        (["--broker", f"castlerock={nb}"], "named by mapping 'castlerock'"),
        (["--internal", str(tmp_path / "missing.csv")], "input file(s) not found"),
        (["--instruments", str(nb), "--broker", f"northbridge={nb}"], "instrument master lacks column(s) instrument_id"),
    ]
    for extra, message in cases:
        result = runner.invoke(app, ["ingest", "--warehouse", db, *extra])
        assert result.exit_code == 2, (extra, result.output)
        assert message in " ".join(result.output.split()), (extra, result.output)


def test_mappings_lists_checks_and_shows_sql(tmp_path):
    result = runner.invoke(app, ["mappings"])
    assert result.exit_code == 0 and "castlerock" in result.output and "TRL" in result.output
    result = runner.invoke(app, ["mappings", "--sql", "meridian"])
    assert result.exit_code == 0 and result.output.startswith("INSERT INTO executions")
    assert "'filtered: Status='" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nsource: broker\nfields: {record_id: R}\n")
    result = runner.invoke(app, ["mappings", "--check", str(bad)])
    assert result.exit_code == 2 and "missing required key(s)" in result.output
