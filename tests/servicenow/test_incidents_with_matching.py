"""The issue's acceptance, on the real matching engine: the daily run twice, then a correction."""

from __future__ import annotations

from datetime import datetime, timedelta

from tasks.break_store import publish_breaks
from tasks.incident_sync import sync_incident_states
from tasks.incidents import deliver_outbox, enqueue_incident_changes
from tasks.match import match_day
from tests.matching.builders import D, broker, create_executions_table, internal, load

DAY = [
    internal("I1"), broker("B1"),                                   # matches
    internal("I2", quantity=500), broker("B2", quantity=400),       # quantity break
    internal("I3", quantity=70, price="33.10"),                     # missing at broker
    broker("B4", instrument_id="US88160R1014", quantity=40, price="250"),  # missing internally
    internal("I5", quantity=1200, price="101.20"), broker("B5", quantity=1200, price="101.95"),  # price break
]  # fmt: skip


def daily(wh, servicenow, run_id: str, now: datetime) -> dict:
    """What the daily flow does after matching: publish, queue, deliver, sync (never raising)."""
    match_day(wh, D)
    events = publish_breaks(wh, D, "broker", run_id, now=now)
    enqueue_incident_changes(wh, run_id, f"file:///reports/{run_id}.html", f"http://127.0.0.1:4200/runs/{run_id}")
    delivered = deliver_outbox(wh, servicenow, now=now)
    if servicenow.configured and delivered["pending"] == 0:
        sync_incident_states(wh, servicenow)
    return {"events": events, **delivered}


def check_one_incident_per_break(wh, emulator) -> dict[str, dict]:
    incidents = emulator.find("incident")
    ids = [r["correlation_id"] for r in incidents]
    assert len(ids) == len(set(ids)), "duplicate correlation_id"
    assert set(ids) == {r["break_id"] for r in wh.fetch_rows("SELECT break_id FROM breaks")}
    return {r["correlation_id"]: r for r in incidents}


def test_daily_twice_then_correction(wh, emulator, servicenow):
    create_executions_table(wh)
    load(wh, DAY)
    t = datetime(2026, 11, 27, 22, 0)
    first = daily(wh, servicenow, "run-1", t)
    assert first["events"] == {"opened": 4} and first["delivered"] == 4
    second = daily(wh, servicenow, "run-2", t + timedelta(hours=1))
    assert second["events"] == {"seen": 4} and second["delivered"] == 0
    check_one_incident_per_break(wh, emulator)

    wh.execute("UPDATE executions SET quantity = 500 WHERE record_id = 'B2'")  # the broker's correction
    wh.execute("UPDATE executions SET price = 101.20 WHERE record_id = 'B5'")
    third = daily(wh, servicenow, "run-3", t + timedelta(hours=2))
    assert third["events"] == {"closed": 2, "seen": 2} and third["delivered"] == 2
    incidents = check_one_incident_per_break(wh, emulator)
    closed = {r["break_id"] for r in wh.fetch_rows("SELECT break_id FROM breaks WHERE status = 'closed'")}
    assert len(closed) == 2
    assert {c for c, r in incidents.items() if r["state"] == "6"} == closed
    open_one = next(r for c, r in incidents.items() if c not in closed)
    assert "Prefect run: http://127.0.0.1:4200/runs/run-1" in open_one["description"]


def test_throttled_then_down_matching_still_completes(wh, emulator, servicenow):
    create_executions_table(wh)
    load(wh, DAY)
    t = datetime(2026, 11, 27, 22, 0)
    emulator.fail_next(30, 503)
    emulator.fail_next(10, 429, retry_after=1)
    first = daily(wh, servicenow, "run-1", t)
    assert first["events"] == {"opened": 4} and first["pending"] > 0  # delayed, not lost
    emulator.down()
    wh.execute("UPDATE executions SET quantity = 500 WHERE record_id = 'B2'")
    second = daily(wh, servicenow, "run-2", t + timedelta(hours=1))
    assert second["events"] == {"closed": 1, "seen": 3}  # matching and the break store carry on
    assert second["pending"] == first["pending"] + 1
    emulator.up()
    for k in range(10):  # later deliveries drain the outbox
        if deliver_outbox(wh, servicenow, now=t + timedelta(hours=2 + k))["pending"] == 0:
            break
    incidents = check_one_incident_per_break(wh, emulator)
    assert sorted(r["state"] for r in incidents.values()) == ["1", "1", "1", "6"]
