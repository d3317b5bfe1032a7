"""Sync back: analysts' work on incidents moves the breaks, with who did it, and nothing twice."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import httpx
import pytest

from tasks.incident_sync import sync_incident_states
from tasks.incidents import deliver_outbox, enqueue_incident_changes
from tests.servicenow.sn_builders import break_id, make_break, open_breaks


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(emulator) -> Clock:
    clock = Clock(datetime(2026, 11, 27, 22, 30, 0))
    emulator.clock = clock
    return clock


def _as(emulator, user: str) -> httpx.Client:
    """An analyst working in ServiceNow: their own account, through the same Table API."""
    return httpx.Client(base_url=emulator.url + "/api/now/table/incident", auth=(user, f"{user}-pw"))


def _breaks(wh) -> dict[str, dict]:
    return {r["break_id"]: r for r in wh.fetch_rows("SELECT break_id, status, assignee, resolution_code FROM breaks")}


def _events(wh, event: str) -> list[dict]:
    return wh.fetch_rows("SELECT * FROM break_events WHERE event = :e ORDER BY event_at, break_id", {"e": event})


@pytest.fixture
def delivered(wh, emulator, servicenow, clock):
    open_breaks(wh, [make_break(i) for i in range(4)], "run-1")
    enqueue_incident_changes(wh, "run-1")
    assert deliver_outbox(wh, servicenow)["delivered"] == 4
    return {r["correlation_id"]: r["sys_id"] for r in emulator.tables["incident"].values()}


def test_assign_hold_resolve_move_the_breaks(wh, emulator, servicenow, clock, delivered):
    jane = emulator.find("sys_user", user_name="jane.analyst")[0]["sys_id"]
    omar = emulator.find("sys_user", user_name="omar.analyst")[0]["sys_id"]
    b0, b1, b2, b3 = (break_id(i) for i in range(4))
    clock.now += timedelta(minutes=5)
    with _as(emulator, "jane.analyst") as jane_api:
        jane_api.patch(f"/{delivered[b0]}", json={"assigned_to": jane, "state": "2"}).raise_for_status()
        jane_api.patch(f"/{delivered[b1]}", json={"assigned_to": jane, "state": "3", "hold_reason": "1"}).raise_for_status()
    with _as(emulator, "omar.analyst") as omar_api:
        omar_api.patch(f"/{delivered[b2]}", json={"assigned_to": omar, "state": "6", "close_code": "Booking error",
                                                  "close_notes": "OMS booked 1500, fill was 1400; rebooked"}).raise_for_status()
    counts = sync_incident_states(wh, servicenow)
    assert counts["read"] == 4 and counts["assigned"] == 1 and counts["investigating"] == 1 and counts["resolved"] == 1
    store = _breaks(wh)
    assert (store[b0]["status"], store[b0]["assignee"]) == ("assigned", "Jane Analyst")
    assert (store[b1]["status"], store[b1]["assignee"]) == ("investigating", "Jane Analyst")
    assert (store[b2]["status"], store[b2]["resolution_code"]) == ("resolved", "Booking error")
    assert store[b3]["status"] == "open"
    (resolved,) = _events(wh, "resolved")
    assert resolved["actor"] == "omar.analyst" and resolved["from_status"] == "open"
    assert resolved["reason"] == "OMS booked 1500, fill was 1400; rebooked"
    assert json.loads(resolved["details"])["incident"].startswith("INC")
    assert [e["actor"] for e in _events(wh, "assigned")] == ["jane.analyst"]

    # Nothing changed in ServiceNow: a second sync (same second re-read) moves nothing, adds nothing.
    events_before = wh.scalar("SELECT COUNT(*) FROM break_events")
    again = sync_incident_states(wh, servicenow)
    assert again["assigned"] == again["investigating"] == again["resolved"] == again["reassigned"] == 0
    assert wh.scalar("SELECT COUNT(*) FROM break_events") == events_before

    # Later: the on-hold one is resolved, the assigned one handed to Omar.
    clock.now += timedelta(minutes=30)
    with _as(emulator, "jane.analyst") as jane_api:
        jane_api.patch(f"/{delivered[b1]}", json={"state": "6", "close_code": "Broker error",
                                                  "close_notes": "Castlerock corrected the price"}).raise_for_status()
        jane_api.patch(f"/{delivered[b0]}", json={"assigned_to": omar}).raise_for_status()
    later = sync_incident_states(wh, servicenow)
    # read: the two changed at 23:05 plus the one at the watermark second (22:35), re-read harmlessly
    assert later["read"] == 3 and later["resolved"] == 1 and later["reassigned"] == 1
    store = _breaks(wh)
    assert (store[b1]["status"], store[b1]["resolution_code"]) == ("resolved", "Broker error")
    assert (store[b0]["status"], store[b0]["assignee"]) == ("assigned", "Omar Analyst")
    last_query = emulator.api_requests("GET")[-1]["args"]["sysparm_query"]
    assert "sys_updated_on>=2026-11-27 22:35:00" in last_query


def test_resolution_codes_are_kept_for_training_and_breaks_never_move_back(wh, emulator, servicenow, clock,
                                                                          delivered):  # fmt: skip
    b0 = break_id(0)
    clock.now += timedelta(minutes=1)
    with _as(emulator, "jane.analyst") as api:
        api.patch(f"/{delivered[b0]}", json={"state": "6", "close_code": "Known error",
                                             "close_notes": "Stale FX rate in OMS"}).raise_for_status()
    sync_incident_states(wh, servicenow)
    clock.now += timedelta(minutes=1)
    with _as(emulator, "jane.analyst") as api:  # re-opened in ServiceNow to add a note: the break stays resolved
        api.patch(f"/{delivered[b0]}", json={"state": "2"}).raise_for_status()
    sync_incident_states(wh, servicenow)
    labels = wh.fetch_rows("SELECT break_id, break_type, resolution_code FROM breaks WHERE resolution_code IS NOT NULL")
    assert labels == [{"break_id": b0, "break_type": "QUANTITY_MISMATCH", "resolution_code": "Known error"}]
    assert _breaks(wh)[b0]["status"] == "resolved"


def test_incidents_of_other_integrations_are_ignored(wh, emulator, servicenow, clock, delivered):
    emulator.insert("incident", {"short_description": "printer", "correlation_id": break_id(1),
                                 "correlation_display": "some-other-tool", "state": "3"}, "jane.analyst")  # fmt: skip
    counts = sync_incident_states(wh, servicenow)
    assert counts["read"] == 4 and counts["investigating"] == 0
