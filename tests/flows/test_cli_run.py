"""`recon demo` (what `make demo` runs) and `recon run` through the CLI, exit codes included."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from blocks.warehouse import reset_warehouses
from cli import app

pytestmark = pytest.mark.slow


@pytest.fixture()
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("RECON_HOME", str(tmp_path / "home"))
    reset_warehouses()
    yield tmp_path
    reset_warehouses()


def test_demo_generates_reconciles_and_scores_against_truth(prefect_harness, home):
    out = home / "demo"
    result = CliRunner().invoke(app, ["demo", "--trades", "300", "--seed", "4", "--out", str(out)])
    assert result.exit_code == 0, result.output
    for text in ("control totals", "match rate", "match pairing precision", "break type right"):
        assert text in result.output
    summary = json.loads((out / "results" / "summary.json").read_text())
    assert summary["balanced"] and summary["breaks"] > 0
    assert (out / "day" / "truth.json").exists() and (out / "results" / "report.html").exists()


def test_run_with_explicit_inputs_and_usage_errors(prefect_harness, home):
    from datetime import date

    from recon.generator import DayConfig, generate_day

    day = home / "day"
    generate_day(DayConfig(trade_date=date(2026, 11, 20), trades=200, seed=8), day)
    runner = CliRunner()
    missing = runner.invoke(app, ["run", "--date", "2026-11-20", "--internal", str(day / "nope.csv"),
                                  "--broker", f"castlerock={day / 'broker' / 'castlerock.csv'}", "--out", str(home / "o")])
    assert missing.exit_code == 2 and "not found" in missing.output
    unnamed = runner.invoke(app, ["run", "--date", "2026-11-20", "--internal", str(day / "internal" / "oms_20261120.csv"),
                                  "--broker", str(day / "broker" / "castlerock.csv"), "--out", str(home / "o")])
    assert unnamed.exit_code == 2 and "name the broker" in unnamed.output
    bad_date = runner.invoke(app, ["run", "--date", "27/11/2026", "--landing", str(day), "--out", str(home / "o")])
    assert bad_date.exit_code == 2 and "YYYY-MM-DD" in bad_date.output
    ok = runner.invoke(app, [
        "run", "--date", "2026-11-20", "--instruments", str(day / "reference" / "instruments.csv"),
        "--internal", str(day / "internal" / "oms_20261120.csv"),
        "--broker", f"castlerock={day / 'broker' / 'castlerock.csv'}",
        "--broker", f"meridian={day / 'broker' / 'meridian.csv'}:meridian",
        "--only-broker", "castlerock", "--out", str(home / "o"), "--fail-on-breaks",
    ])
    assert ok.exit_code == 1, ok.output  # breaks remain, and --fail-on-breaks says so
    summary = json.loads((home / "o" / "summary.json").read_text())
    assert {s["broker"] for s in summary["sources"]} == {"castlerock"}


def test_demo_starts_from_its_own_empty_warehouse(prefect_harness, home):
    """A demo warehouse left by an older version (here: break_events without event_at) is not
    reused, and the warehouse RECON_HOME names is not touched."""
    import duckdb

    out = home / "demo-old"
    (out / ".recon").mkdir(parents=True)
    old = duckdb.connect(str(out / ".recon" / "warehouse.duckdb"))
    old.execute("CREATE TABLE break_events (event_id VARCHAR, break_id VARCHAR, \"at\" TIMESTAMP)")
    old.close()
    result = CliRunner().invoke(app, ["demo", "--trades", "200", "--seed", "5", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "match rate" in result.output
    assert not (home / "home" / "warehouse.duckdb").exists()
    reset_warehouses()  # close the demo's connection before reading its file
    con = duckdb.connect(str(out / ".recon" / "warehouse.duckdb"), read_only=True)
    cols = {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns "
                                      "WHERE table_name = 'break_events'").fetchall()}
    con.close()
    assert "event_at" in cols and "at" not in cols
