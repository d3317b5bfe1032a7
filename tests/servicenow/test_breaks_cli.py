"""`recon breaks ...` end to end on a DuckDB break store, through the real typer app."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from blocks.warehouse import Warehouse
from cli import app
from tests.servicenow.sn_builders import break_id, make_break, open_breaks

runner = CliRunner()


@pytest.fixture
def db(tmp_path) -> str:
    path = str(tmp_path / "breaks.duckdb")
    wh = Warehouse(duckdb_path=path)
    wh.run_file("20_break_store.sql")
    open_breaks(wh, [make_break(i) for i in range(6)], "run-1")
    wh.close()
    return path


def recon(*args: str):
    result = runner.invoke(app, ["breaks", *args], env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_help_everywhere():
    for cmd in ([], ["list"], ["show"], ["assign"], ["resolve"], ["approve"], ["history"], ["approvals"]):
        code, out = recon(*cmd, "--help")
        assert code == 0 and "Usage" in out


def test_list_filters_and_aging_table(db):
    code, out = recon("list", "--warehouse", db)
    assert code == 0 and "breaks (6)" in out
    code, out = recon("list", "--warehouse", db, "--broker", "castlerock", "--aging")
    assert code == 0 and "breaks (2)" in out and break_id(1)[:12] in out and break_id(4)[:12] in out
    assert "aging" in out and all(bucket in out for bucket in ("<1d", "1-3d", "3-7d", ">7d"))
    code, out = recon("list", "--warehouse", db, "--date", "27/11/2026")
    assert code == 2 and "not YYYY-MM-DD" in out
    code, out = recon("list", "--warehouse", db, "--status", "pending")
    assert code == 2 and "unknown status" in out


def test_assign_resolve_history(db):
    b = break_id(0)[:12]
    code, out = recon("assign", b, "--to", "jane.analyst", "--by", "lead.ops", "--warehouse", db)
    assert code == 0 and "assigned to jane.analyst" in out
    code, out = recon("resolve", b, "--code", "Booking error", "--reason", "OMS double-booked", "--by",
                      "jane.analyst", "--warehouse", db)  # fmt: skip
    assert code == 0 and "resolved (Booking error)" in out
    code, out = recon("history", b, "--warehouse", db)
    assert code == 0 and "3 events" in out
    for word in ("opened", "assigned", "resolved", "lead.ops", "jane.analyst", "OMS double-booked"):
        assert word in out
    code, out = recon("show", b, "--warehouse", db)
    assert code == 0 and "QUANTITY_MISMATCH" in out and "Booking error" in out
    code, out = recon("assign", b, "--to", "omar", "--by", "lead.ops", "--warehouse", db)
    assert code == 2 and "is resolved" in out


def test_write_off_maker_checker(db):
    b = break_id(3)[:12]
    code, out = recon("resolve", b, "--write-off", "--code", "Immaterial", "--reason", "2.50 commission",
                      "--by", "jane.analyst", "--warehouse", db)  # fmt: skip
    assert code == 0
    approval = re.search(r"approval (\w+) waits", out).group(1)
    code, out = recon("approvals", "--warehouse", db)
    assert code == 0 and approval in out and "jane.analyst" in out
    code, out = recon("list", "--awaiting-approval", "--warehouse", db)
    assert "breaks (1)" in out
    code, out = recon("approve", approval, "--by", "jane.analyst", "--warehouse", db)
    assert code == 2 and "maker-checker" in out
    code, out = recon("approve", approval, "--by", "omar.analyst", "--warehouse", db)
    assert code == 0 and "is written_off" in out
    code, out = recon("history", b, "--warehouse", db)
    assert "approval_requested" in out and "written_off" in out and "omar.analyst" in out
    code, out = recon("resolve", b, "--write-off", "--manual-match", "--code", "x", "--reason", "y",
                      "--warehouse", db)  # fmt: skip
    assert code == 2 and "exclude each other" in out


def test_unknown_break_is_a_usage_error(db):
    code, out = recon("show", "ffffffffffff", "--warehouse", db)
    assert code == 2 and "no break ffffffffffff" in out
