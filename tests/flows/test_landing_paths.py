"""One day reconciled from a relative --landing, again from its absolute path, and again (forced)
from a copy in another directory: no stale or doubled rows, no stuck date, the same results."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import date

import pytest
from typer.testing import CliRunner

from blocks.warehouse import get_warehouse, reset_warehouses
from cli import app
from recon.generator import DayConfig, generate_day

pytestmark = pytest.mark.slow
D = date(2026, 11, 23)


def rows(wh) -> dict:
    return {
        "executions": wh.scalar("SELECT COUNT(*) FROM executions"),
        "distinct": wh.scalar("SELECT COUNT(*) FROM (SELECT DISTINCT source, record_id, file, line FROM executions)"),
        "control_totals": wh.scalar("SELECT COUNT(*) FROM control_totals"),
        "landed_files": wh.scalar("SELECT COUNT(*) FROM landed_files"),
        "stale": wh.scalar("SELECT COUNT(*) FROM executions WHERE file NOT IN (SELECT file_id FROM landed_files)"),
    }


def breaks(out) -> set[str]:
    with open(out / "breaks.csv") as fh:
        return {r["break_id"] for r in csv.DictReader(fh)}


def test_relative_absolute_and_copied_landings_reconcile_the_same(prefect_harness, tmp_path, monkeypatch):
    from flows.daily import daily_reconciliation

    monkeypatch.setenv("RECON_HOME", str(tmp_path / "home"))
    reset_warehouses()
    generate_day(DayConfig(trade_date=D, trades=200, seed=12), tmp_path / "landing" / "day")
    monkeypatch.chdir(tmp_path / "landing")
    runner = CliRunner()
    try:
        first = runner.invoke(app, ["run", "--date", D.isoformat(), "--landing", "day", "--out", str(tmp_path / "r1")])
        assert first.exit_code == 0, first.output
        summary = json.loads((tmp_path / "r1" / "summary.json").read_text())
        assert summary["balanced"] and len(summary["files"]) == 7
        wh = get_warehouse()
        landed = rows(wh)
        assert landed["executions"] == landed["distinct"] and landed["stale"] == 0
        assert landed["control_totals"] == landed["landed_files"] == 7

        absolute = runner.invoke(app, ["run", "--date", D.isoformat(), "--landing", str(tmp_path / "landing" / "day"),
                                       "--out", str(tmp_path / "r2")])
        assert absolute.exit_code == 0, absolute.output
        assert rows(wh) == landed and breaks(tmp_path / "r2") == breaks(tmp_path / "r1")

        copy = tmp_path / "elsewhere" / "day"
        shutil.copytree(tmp_path / "landing" / "day", copy)
        again = daily_reconciliation(D, landing_dir=str(copy), out_dir=str(tmp_path / "r3"), run_id="r3", force=True)
        assert again["balanced"] and again["matches"] == summary["matches"] and again["breaks"] == summary["breaks"]
        assert rows(wh) == landed and breaks(tmp_path / "r3") == breaks(tmp_path / "r1")
        assert {f["file"] for f in again["files"]} == {f["file"] for f in summary["files"]}
    finally:
        reset_warehouses()
