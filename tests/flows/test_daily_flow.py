"""The daily flow under a real Prefect server: outputs, artifacts, control totals, idempotent rerun."""

from __future__ import annotations

import csv
import json
from datetime import date

import pytest

from blocks.warehouse import get_warehouse, reset_warehouses
from recon.generator import DayConfig, generate_day

pytestmark = pytest.mark.slow
D = date(2026, 11, 24)


@pytest.fixture()
def day(tmp_path, monkeypatch):
    monkeypatch.setenv("RECON_HOME", str(tmp_path / "home"))
    reset_warehouses()
    generate_day(DayConfig(trade_date=D, trades=600, seed=5), tmp_path / "day")
    yield tmp_path
    reset_warehouses()


def test_daily_flow_end_to_end_and_rerun(prefect_harness, day):
    from prefect.client.orchestration import get_client

    from flows.daily import daily_reconciliation

    first = daily_reconciliation(D, landing_dir=str(day / "day"), out_dir=str(day / "run1"), run_id="run-1")
    assert first["balanced"] and first["match_rate"] > 0.9
    for name in ("matches.csv", "breaks.csv", "summary.json", "report.html"):
        assert (day / "run1" / name).stat().st_size > 0
    summary = json.loads((day / "run1" / "summary.json").read_text())
    assert summary["breaks"] == first["breaks"] > 0
    with open(day / "run1" / "breaks.csv") as fh:
        breaks1 = {r["break_id"]: r for r in csv.DictReader(fh)}
    assert len(breaks1) == first["breaks"]
    assert {"exact", "tolerance", "aggregate"} <= {r["match_type"] for r in csv.DictReader(open(day / "run1" / "matches.csv"))}
    html = (day / "run1" / "report.html").read_text()
    assert "<svg" in html and "Breaks by broker and type" in html

    with get_client(sync_client=True) as client:
        keys = {a.key for a in client.read_artifacts()}
    assert {f"recon-{D}-breaks", f"recon-{D}-summary"} <= keys

    second = daily_reconciliation(D, landing_dir=str(day / "day"), out_dir=str(day / "run2"), run_id="run-2")
    with open(day / "run2" / "breaks.csv") as fh:
        breaks2 = {r["break_id"]: r for r in csv.DictReader(fh)}
    assert breaks2.keys() == breaks1.keys()
    wh = get_warehouse()
    assert wh.scalar("SELECT COUNT(*) FROM breaks") == wh.scalar("SELECT COUNT(DISTINCT break_id) FROM breaks")
    events = {r["event"]: r["n"] for r in wh.fetch_rows(
        "SELECT event, COUNT(*) AS n FROM break_events WHERE run_id = 'run-2' GROUP BY event")}
    assert events == {"seen": wh.scalar("SELECT COUNT(*) FROM breaks")}
    assert second["matches"] == first["matches"]
