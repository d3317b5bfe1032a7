"""Issue 7's acceptance through the daily flow itself: a saved ServiceNow block pointing at the
Table API emulator; the flow twice on the same day, then once after the broker's corrected file:
one incident per break, no duplicate correlation_id, the fixed breaks' incidents resolved."""

from __future__ import annotations

import csv
from datetime import date

import pytest

from blocks.servicenow import ServiceNow
from blocks.warehouse import get_warehouse, reset_warehouses
from recon.generator import DayConfig, generate_day
from tests.support.servicenow_emulator import ServiceNowEmulator

pytestmark = pytest.mark.slow
D = date(2026, 11, 19)
USER, PASSWORD = "recon.integration", "Pw-7d2!flow#Q"


@pytest.fixture()
def emulator():
    em = ServiceNowEmulator().start()
    em.add_user(USER, PASSWORD, "Recon Integration")
    yield em
    em.stop()


def incidents_by_break(emulator) -> dict[str, dict]:
    rows = emulator.find("incident")
    ids = [r["correlation_id"] for r in rows]
    assert len(ids) == len(set(ids)), "duplicate correlation_id"
    return {r["correlation_id"]: r for r in rows}


def correct_one_quantity_break(day, truth_break: dict) -> str:
    """Rewrite the broker row of one QUANTITY_MISMATCH so it agrees with the OMS (the broker's fix)."""
    broker_id, internal_id = truth_break["broker"][0], truth_break["internal"][0]
    with open(day / "internal" / f"oms_{D:%Y%m%d}.csv", newline="") as fh:
        qty = next(r["quantity"] for r in csv.DictReader(fh) if r["trade_id"] == internal_id)
    path = day / "broker" / "castlerock.csv"
    lines = path.read_text().splitlines()
    header = lines[0].split("|")
    q, ref = header.index("QTY"), header.index("CONF_NO")
    for i, line in enumerate(lines[1:], start=1):
        cells = line.split("|")
        if cells[ref] == broker_id:
            cells[q] = qty
            lines[i] = "|".join(cells)
    path.write_text("\n".join(lines) + "\n")
    return broker_id


def test_daily_flow_twice_then_correction_keeps_one_incident_per_break(prefect_harness, emulator, tmp_path,
                                                                        monkeypatch):
    import json

    from flows.daily import daily_reconciliation

    monkeypatch.setenv("RECON_HOME", str(tmp_path / "home"))
    reset_warehouses()
    day = tmp_path / "day"
    generate_day(DayConfig(trade_date=D, trades=500, seed=12, brokers=["castlerock"]), day)
    ServiceNow(instance_url=emulator.url, auth="basic", username=USER, password=PASSWORD,
               timeout_seconds=5.0).save("sn-test", overwrite=True)

    def run(run_id):
        return daily_reconciliation(D, landing_dir=str(day), out_dir=str(tmp_path / run_id), run_id=run_id,
                                    servicenow_ref="sn-test")

    first = run("run-1")
    wh = get_warehouse()
    open_breaks = {r["break_id"] for r in wh.fetch_rows("SELECT break_id FROM breaks WHERE status <> 'closed'")}
    assert first["incidents"]["delivered"] == len(open_breaks) > 0
    assert set(incidents_by_break(emulator)) == open_breaks

    second = run("run-2")
    assert second["incidents"]["delivered"] == 0
    assert set(incidents_by_break(emulator)) == open_breaks

    truth = json.loads((day / "truth.json").read_text())
    qty_break = next(b for b in truth["breaks"] if b["type"] == "QUANTITY_MISMATCH")
    fixed_ref = correct_one_quantity_break(day, qty_break)
    run("run-3")
    fixed = {r["break_id"] for r in wh.fetch_rows(
        "SELECT break_id FROM breaks WHERE status = 'closed' AND broker_ids = :b", {"b": fixed_ref})}
    assert len(fixed) == 1
    incidents = incidents_by_break(emulator)
    assert set(incidents) == {r["break_id"] for r in wh.fetch_rows("SELECT break_id FROM breaks")}
    assert {c for c, r in incidents.items() if r["state"] == "6"} == fixed  # resolved in ServiceNow
    reset_warehouses()
