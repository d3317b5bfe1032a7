"""The outbox: one incident per break, ever; updates and resolutions follow the break; order per break."""

from __future__ import annotations

from datetime import timedelta

from tasks.incidents import deliver_outbox, enqueue_incident_changes
from tests.servicenow.sn_builders import (
    T0,
    break_id,
    change_break,
    close_breaks,
    make_break,
    open_breaks,
    reopen_breaks,
    see_breaks,
)

PREFECT = "http://127.0.0.1:4200/runs/flow-run/7d1e"
REPORT = "file:///srv/recon/reports/2026-11-27/report.html"


def _outbox(wh) -> list[dict]:
    return wh.fetch_rows("SELECT * FROM incident_outbox ORDER BY seq")


def _incidents_by_correlation(emulator) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for rec in emulator.tables["incident"].values():
        out.setdefault(rec["correlation_id"], []).append(rec)
    return out


def test_enqueue_is_idempotent_per_break_run_and_op(wh):
    open_breaks(wh, [make_break(i) for i in range(6)], "run-1")
    assert enqueue_incident_changes(wh, "run-1", REPORT, PREFECT) == 6
    assert enqueue_incident_changes(wh, "run-1", REPORT, PREFECT) == 0
    rows = _outbox(wh)
    assert [r["op"] for r in rows] == ["upsert"] * 6 and {r["status"] for r in rows} == {"pending"}
    assert len({r["outbox_id"] for r in rows}) == 6
    see_breaks(wh, [break_id(i) for i in range(6)], "run-2", T0 + timedelta(hours=1))
    assert enqueue_incident_changes(wh, "run-2") == 0  # 'seen' changes nothing in ServiceNow


def test_daily_twice_then_correction_incidents_equal_breaks(wh, emulator, servicenow):
    breaks = [make_break(i) for i in range(6)]
    open_breaks(wh, breaks, "run-1")
    enqueue_incident_changes(wh, "run-1", REPORT, PREFECT)
    assert deliver_outbox(wh, servicenow) == {"delivered": 6, "failed": 0, "refused": 0, "pending": 0}
    # Same day again: no change, nothing to send; delivering again sends nothing either.
    see_breaks(wh, [b["break_id"] for b in breaks], "run-2", T0 + timedelta(hours=1))
    enqueue_incident_changes(wh, "run-2", REPORT, PREFECT)
    assert deliver_outbox(wh, servicenow)["delivered"] == 0
    # A correction fixes two breaks and changes a third.
    close_breaks(wh, [breaks[0]["break_id"], breaks[3]["break_id"]], "run-3", T0 + timedelta(hours=2))
    change_break(wh, breaks[1]["break_id"], "run-3", T0 + timedelta(hours=2), broker_price="421.1500",
                 difference_amount="24.000000")  # fmt: skip
    assert enqueue_incident_changes(wh, "run-3", REPORT, PREFECT) == 3
    assert deliver_outbox(wh, servicenow)["delivered"] == 3

    incidents = _incidents_by_correlation(emulator)
    assert set(incidents) == {b["break_id"] for b in breaks}
    assert all(len(v) == 1 for v in incidents.values())
    for fixed in (breaks[0], breaks[3]):
        rec = incidents[fixed["break_id"]][0]
        assert rec["state"] == "6" and rec["close_code"] == "Solution provided" and "run-3" in rec["close_notes"]
    changed = incidents[breaks[1]["break_id"]][0]
    assert changed["state"] == "1" and "421.15" in changed["description"] and "run-3" in changed["work_notes"]
    group = emulator.find("sys_user_group", name="Equity Trade Support")[0]["sys_id"]
    assert incidents[breaks[0]["break_id"]][0]["assignment_group"] == group
    links = wh.fetch_rows("SELECT break_id, number FROM incident_links")
    assert {r["break_id"] for r in links} == set(incidents)
    assert {r["number"] for r in links} == {v[0]["number"] for v in incidents.values()}


def test_delivering_the_same_rows_twice_keeps_one_incident(wh, emulator, servicenow):
    open_breaks(wh, [make_break(i) for i in range(3)], "run-1")
    enqueue_incident_changes(wh, "run-1")
    deliver_outbox(wh, servicenow)
    wh.execute("UPDATE incident_outbox SET status = 'pending'")  # as if the 'delivered' mark was lost
    assert deliver_outbox(wh, servicenow)["delivered"] == 3
    assert len(emulator.tables["incident"]) == 3
    assert len(emulator.api_requests("POST")) == 3 and len(emulator.api_requests("PATCH")) == 3


def test_lost_create_response_does_not_duplicate(wh, emulator, servicenow):
    open_breaks(wh, [make_break(1)], "run-1")
    enqueue_incident_changes(wh, "run-1")
    # ServiceNow creates the incident but the answer is lost (a proxy's 504): the outbox must look
    # the incident up again before writing, and find it.
    emulator.fail_next(1, 504, after_processing=True, method="POST")
    assert deliver_outbox(wh, servicenow) == {"delivered": 1, "failed": 0, "refused": 0, "pending": 0}
    assert len(emulator.find("incident", correlation_id=break_id(1))) == 1
    assert [(r["method"], r["status"]) for r in emulator.api_requests()] == [
        ("GET", 200), ("POST", 504), ("GET", 200), ("PATCH", 200)]
    (row,) = _outbox(wh)
    assert row["incident_number"] == "INC0010001"


def test_reopened_break_reopens_its_incident(wh, emulator, servicenow):
    brk = make_break(2)
    open_breaks(wh, [brk], "run-1")
    close_breaks(wh, [brk["break_id"]], "run-2", T0 + timedelta(hours=1))
    reopen_breaks(wh, [brk["break_id"]], "run-3", T0 + timedelta(hours=2))
    for run in ("run-1", "run-2", "run-3"):
        enqueue_incident_changes(wh, run)
    assert deliver_outbox(wh, servicenow)["delivered"] == 3
    (rec,) = emulator.find("incident", correlation_id=brk["break_id"])
    assert rec["state"] == "2" and rec["resolved_at"]  # resolved once, back in progress
    assert [r["op"] for r in _outbox(wh)] == ["upsert", "resolve", "upsert"]


def test_break_closed_before_first_delivery_gets_one_resolved_incident(wh, emulator, servicenow):
    brk = make_break(4)
    open_breaks(wh, [brk], "run-1")
    enqueue_incident_changes(wh, "run-1")
    close_breaks(wh, [brk["break_id"]], "run-2", T0 + timedelta(hours=1))
    enqueue_incident_changes(wh, "run-2")
    emulator.down()
    assert deliver_outbox(wh, servicenow)["pending"] == 2
    emulator.up()
    assert deliver_outbox(wh, servicenow, now=T0 + timedelta(days=1))["delivered"] == 2
    (rec,) = emulator.find("incident", correlation_id=brk["break_id"])
    assert rec["state"] == "6"


def test_rows_of_one_break_stay_in_order_behind_a_refused_row(wh, emulator, servicenow):
    a, b = make_break(0), make_break(1)
    open_breaks(wh, [a, b], "run-1")
    enqueue_incident_changes(wh, "run-1")
    close_breaks(wh, [a["break_id"]], "run-2", T0 + timedelta(hours=1))
    enqueue_incident_changes(wh, "run-2")
    servicenow.field_map = {**servicenow.field_map, "short_description": "{break_type}"}
    original = emulator._dispatch

    def refuse_break_a(request):  # ServiceNow rejects the first write for break a (e.g. a business rule)
        body = request.get_json(silent=True) or {}
        if request.method == "POST" and body.get("correlation_id") == a["break_id"]:
            from tests.support.servicenow_emulator import _error

            return _error(400, "Invalid field value", "category: not allowed")
        return original(request)

    emulator._dispatch = refuse_break_a
    result = deliver_outbox(wh, servicenow)
    assert result == {"delivered": 1, "failed": 0, "refused": 1, "pending": 1}
    rows = {(r["break_id"], r["op"]): r for r in _outbox(wh)}
    assert rows[(a["break_id"], "upsert")]["status"] == "failed"
    assert "400 Invalid field value" in rows[(a["break_id"], "upsert")]["last_error"]
    assert rows[(a["break_id"], "resolve")]["status"] == "pending"  # held back in this delivery


def test_no_instance_configured_keeps_everything_local(wh):
    from blocks.servicenow import ServiceNow

    open_breaks(wh, [make_break(i) for i in range(3)], "run-1")
    enqueue_incident_changes(wh, "run-1")
    assert deliver_outbox(wh, ServiceNow()) == {"delivered": 0, "failed": 0, "refused": 0, "pending": 3}
    assert deliver_outbox(wh, None)["pending"] == 3
