"""Sync back: what analysts did to incidents in ServiceNow moves the breaks in the break store.

incident resolved/closed -> break resolved (the analyst's close_code kept as resolution_code: the
anomaly model's future training labels); on hold -> investigating; assigned_to set -> assigned.
Breaks only move forward (open < assigned < investigating < resolved) and only while they are open
in the store; every move is a break_events row with actor = the ServiceNow user who made it.

Reads incidents updated since a watermark (ServiceNow's sys_updated_on, second resolution). The
query uses >= and re-reads the watermark's own second: the moves are idempotent, the event ids hash
(break, incident, update time, event), so nothing doubles.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

from prefect import task
from prefect.cache_policies import NO_CACHE

from blocks.servicenow import STATE_CLOSED, STATE_ON_HOLD, STATE_RESOLVED, ServiceNow
from blocks.warehouse import SqlStatements, Warehouse
from recon.logs import step_logger
from tasks.incidents import _md5, _utcnow, ensure_outbox, record_link

log = logging.getLogger("recon.incidents")

SYNC = SqlStatements("34_incident_sync.sql")
RANK = {"open": 0, "assigned": 1, "investigating": 2, "resolved": 3}
SYNC_NAME = "servicenow_incidents"
FIELDS = ["sys_id", "number", "correlation_id", "state", "assigned_to", "close_code", "close_notes",
          "sys_updated_on", "sys_updated_by", "resolved_by", "hold_reason"]  # fmt: skip


def _value(field) -> str:
    return field.get("value", "") if isinstance(field, dict) else (field or "")


def _display(field) -> str:
    return field.get("display_value", "") if isinstance(field, dict) else (field or "")


def target_status(incident: dict) -> str | None:
    """The break status an incident's state implies, or None when it implies nothing."""
    state = _value(incident.get("state"))
    if state in (STATE_RESOLVED, STATE_CLOSED):
        return "resolved"
    if state == STATE_ON_HOLD:
        return "investigating"
    if _value(incident.get("assigned_to")):
        return "assigned"
    return None


def sync_incident_states(warehouse: Warehouse, servicenow: ServiceNow, now: datetime | None = None) -> dict:
    """Read incidents changed since the last sync and move their open breaks. Returns counts."""
    ensure_outbox(warehouse)
    counts = {"read": 0, "assigned": 0, "investigating": 0, "resolved": 0, "reassigned": 0}
    if not servicenow.configured:
        return counts
    now = now or _utcnow()
    watermark = warehouse.scalar(SYNC.watermark, {"n": SYNC_NAME})
    query = "correlation_idISNOTEMPTY^correlation_display=fix-recon"
    if watermark:
        query += f"^sys_updated_on>={watermark}"
    query += "^ORDERBYsys_updated_on"
    open_breaks = {r["break_id"]: r for r in warehouse.fetch_rows(SYNC.open_breaks)}
    newest = watermark
    for incident in servicenow.query(query, FIELDS, display_value="all"):
        counts["read"] += 1
        updated = _value(incident.get("sys_updated_on"))
        newest = max(newest or updated, updated)
        brk = open_breaks.get(_value(incident.get("correlation_id")))
        if brk is None:
            continue  # closed, written off, resolved already, or not ours
        moved = _apply(warehouse, brk, incident, now)
        if moved:
            counts[moved] += 1
            record_link(warehouse, brk["break_id"], _value(incident.get("sys_id")),
                        _value(incident.get("number")), _value(incident.get("state")), now)  # fmt: skip
    if newest and newest != watermark:
        warehouse.execute(SYNC.save_watermark, {"n": SYNC_NAME, "w": newest, "now": now})
    counts["watermark"] = newest
    log.info("incident sync: %s", counts)
    return counts


def _apply(warehouse: Warehouse, brk: dict, incident: dict, now: datetime) -> str | None:
    """Move one break (and keep the in-memory row current); the event name, or None if nothing moved."""
    status = target_status(incident)
    assignee = _display(incident.get("assigned_to")) or brk["assignee"]
    if status is None:
        return None
    if RANK[status] < RANK[brk["status"]]:
        status = brk["status"]  # never backwards; a new assignee is still worth recording
    if status == brk["status"] and (assignee or None) == (brk["assignee"] or None):
        return None
    event = status if status != brk["status"] else "reassigned"
    actor = _value(incident.get("sys_updated_by")) or "servicenow"
    resolution = _value(incident.get("close_code")) if status == "resolved" else None
    reason = _value(incident.get("close_notes")) if status == "resolved" else _value(incident.get("hold_reason"))
    updated_on = _value(incident.get("sys_updated_on"))
    at = datetime.strptime(updated_on, "%Y-%m-%d %H:%M:%S") if updated_on else now
    details = {"incident": _value(incident.get("number")), "sys_id": _value(incident.get("sys_id")),
               "state": _display(incident.get("state")), "resolved_by": _display(incident.get("resolved_by"))}  # fmt: skip
    warehouse.execute(
        SYNC.move_break,
        {"status": status, "assignee": assignee or None, "resolution": resolution, "id": brk["break_id"],
         "from_status": brk["status"]},  # fmt: skip
    )
    event_id = _md5(brk["break_id"], details["sys_id"], updated_on, event)
    warehouse.execute(
        SYNC.insert_event,
        {"event_id": event_id, "break_id": brk["break_id"], "at": at, "actor": actor, "event": event,
         "from_status": brk["status"], "to_status": status, "reason": reason or None,
         "details": json.dumps(details)},  # fmt: skip
    )
    brk["status"], brk["assignee"] = status, assignee or None
    return event


@task(name="sync-incident-states", cache_policy=NO_CACHE, timeout_seconds=600)
def sync_incident_states_task(warehouse_ref: str | None = None, servicenow_ref: str | None = None) -> dict:
    """Never fails the flow on ServiceNow trouble: the next sync reads from the same watermark."""
    from blocks.servicenow import ServiceNowError
    from blocks.warehouse import get_warehouse

    servicenow = ServiceNow.load(servicenow_ref) if servicenow_ref else ServiceNow()
    try:
        counts = sync_incident_states(get_warehouse(warehouse_ref), servicenow)
        step_logger().info("incident sync: %s", counts)
        return counts
    except ServiceNowError as exc:
        step_logger().warning("incident sync skipped: %s", exc)
        return {"error": str(exc)}
    finally:
        servicenow.close()
