"""The break lifecycle for people: list and age breaks, assign, resolve, and maker-checker approvals.

open -> assigned -> investigating -> resolved / written off. The matching engine opens, closes and
reopens breaks; people (here, or in ServiceNow through the sync) move them in between. A manual
match or a write-off is a request that a second, different user must approve. Every change is an
append-only break_events row with who and why; a manual resolution also goes to ServiceNow through
the incident outbox so the incident stays in step.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from blocks.warehouse import SqlStatements, Warehouse
from recon import clock
from tasks.incidents import enqueue_manual_resolution

SQL = SqlStatements("35_break_lifecycle.sql")
OPEN_STATUSES = ("open", "assigned", "investigating")
STATUSES = (*OPEN_STATUSES, "resolved", "written_off", "closed")
ACTIONS = {"write_off": "written_off", "manual_match": "resolved"}  # approval action -> break status
AGE_BUCKETS = [(1, "<1d"), (3, "1-3d"), (7, "3-7d"), (None, ">7d")]  # upper bound in days, label


class LifecycleError(ValueError):
    """A change the lifecycle does not allow; the message says why and what to do instead."""


def _now(now: datetime | None) -> datetime:
    return now or clock.utcnow()


def ensure_lifecycle(wh: Warehouse) -> None:
    for name in ("20_break_store.sql", "30_incident_outbox.sql", "31_break_approvals.sql"):
        wh.run_file(name)


def age_bucket(days: float) -> str:
    for bound, label in AGE_BUCKETS:
        if bound is None or days < bound:
            return label
    return AGE_BUCKETS[-1][1]


# ---- reading ------------------------------------------------------------------------------------

def list_breaks(wh: Warehouse, *, statuses: list[str] | None = None, broker: str | None = None,
                account: str | None = None, trade_date=None, priority: str | None = None,
                assignee: str | None = None, break_type: str | None = None, min_notional: Decimal | None = None,
                older_than_days: float | None = None, awaiting_approval: bool = False,
                now: datetime | None = None, limit: int = 200) -> list[dict]:  # fmt: skip
    """Breaks matching every filter given, most urgent first, each with its age (days) and bucket."""
    now = _now(now)
    statuses = list(statuses) if statuses else list(OPEN_STATUSES)
    bad = [s for s in statuses if s not in STATUSES]
    if bad:
        raise LifecycleError(f"unknown status {', '.join(bad)}: use {', '.join(STATUSES)}")
    params = {"statuses": statuses, "broker": broker, "account": account, "trade_date": trade_date,
              "priority": priority, "assignee": assignee, "break_type": break_type, "min_notional": min_notional,
              "awaiting_approval": bool(awaiting_approval), "limit": int(limit)}  # fmt: skip
    rows = wh.fetch_rows(SQL.list_breaks, params)
    out = []
    for row in rows:
        row["age_days"] = round((now - row["first_seen"]).total_seconds() / 86400, 2)
        row["age_bucket"] = age_bucket(row["age_days"])
        if older_than_days is None or row["age_days"] >= older_than_days:
            out.append(row)
    return out


def aging_summary(rows: list[dict]) -> list[dict]:
    """Count, notional and money at stake in USD per age bucket (exact decimals); breaks in a
    currency without a rate for their day are counted apart, not added in."""
    summary = {label: {"age": label, "breaks": 0, "notional_usd": Decimal(0), "at_stake_usd": Decimal(0),
                       "no_usd_rate": 0} for _, label in AGE_BUCKETS}  # fmt: skip
    for row in rows:
        bucket = summary[row["age_bucket"]]
        bucket["breaks"] += 1
        if row["currency"] != "USD" and row["notional_usd"] is None and row["notional"] is not None:
            bucket["no_usd_rate"] += 1
            continue
        bucket["notional_usd"] += abs(row["notional_usd"] or Decimal(0))
        bucket["at_stake_usd"] += abs(row["difference_usd"] or Decimal(0))
    return list(summary.values())


def get_break(wh: Warehouse, break_id: str) -> dict:
    """One break by id, or by a unique prefix of at least 6 characters (ids are long hashes)."""
    if len(break_id) < 6:
        raise LifecycleError(f"break id {break_id!r} is too short: give at least 6 characters")
    rows = wh.fetch_rows(SQL.break_by_prefix, {"prefix": break_id.replace("%", "").replace("_", "\\_") + "%"})
    if not rows:
        raise LifecycleError(f"no break {break_id}")
    if len(rows) > 1:
        raise LifecycleError(f"break id {break_id!r} is ambiguous: give more characters")
    return rows[0]


def history(wh: Warehouse, break_id: str) -> list[dict]:
    brk = get_break(wh, break_id)
    return wh.fetch_rows(SQL.history, {"b": brk["break_id"]})


def approvals(wh: Warehouse, break_id: str | None = None, status: str | None = "pending") -> list[dict]:
    b = get_break(wh, break_id)["break_id"] if break_id else None
    return wh.fetch_rows(SQL.approvals, {"b": b, "s": status or None})


# ---- changing -----------------------------------------------------------------------------------
def _event(wh: Warehouse, break_id: str, actor: str, event: str, from_status: str, to_status: str,
           reason: str | None, details: dict | None, now: datetime) -> str:  # fmt: skip
    event_id = uuid.uuid4().hex
    # History reads in `at` order: keep a break's events strictly increasing even within one tick.
    last = wh.scalar(SQL.last_event_at, {"b": break_id})
    now = max(now, last + timedelta(microseconds=1)) if last is not None else now
    wh.execute(
        SQL.insert_event,
        {"id": event_id, "b": break_id, "at": now, "actor": actor, "event": event, "f": from_status,
         "t": to_status, "reason": reason, "details": json.dumps(details) if details else None},  # fmt: skip
    )
    return event_id


def _require(actor: str, reason: str | None = None, need_reason: bool = False) -> None:
    if not actor or not actor.strip():
        raise LifecycleError("who is making this change? give the user (--by)")
    if need_reason and not (reason and reason.strip()):
        raise LifecycleError("say why (--reason): the audit trail keeps it")


def _open(brk: dict, what: str) -> None:
    if brk["status"] not in OPEN_STATUSES:
        raise LifecycleError(f"break {brk['break_id'][:12]} is {brk['status']}: only open, assigned or "
                             f"investigating breaks can be {what}")  # fmt: skip


def assign(wh: Warehouse, break_id: str, assignee: str, actor: str, reason: str | None = None,
           now: datetime | None = None) -> dict:  # fmt: skip
    _require(actor)
    if not assignee.strip():
        raise LifecycleError("assign to whom? give a user name")
    brk = get_break(wh, break_id)
    _open(brk, "assigned")
    to = "assigned" if brk["status"] == "open" else brk["status"]
    wh.execute(SQL.assign, {"t": to, "a": assignee, "b": brk["break_id"]})
    _event(wh, brk["break_id"], actor, "assigned", brk["status"], to, reason, {"assignee": assignee}, _now(now))
    return get_break(wh, brk["break_id"])


def investigate(wh: Warehouse, break_id: str, actor: str, reason: str | None = None,
                now: datetime | None = None) -> dict:  # fmt: skip
    _require(actor)
    brk = get_break(wh, break_id)
    _open(brk, "investigated")
    wh.execute(SQL.investigate, {"a": actor, "b": brk["break_id"]})
    _event(wh, brk["break_id"], actor, "investigating", brk["status"], "investigating", reason, None, _now(now))
    return get_break(wh, brk["break_id"])


def resolve(wh: Warehouse, break_id: str, code: str, reason: str, actor: str, now: datetime | None = None) -> dict:
    """A resolution that needs no second pair of eyes (e.g. the broker corrected its record)."""
    _require(actor, reason, need_reason=True)
    if not code.strip():
        raise LifecycleError("give a resolution code (--code): it labels the break for the anomaly model")
    brk = get_break(wh, break_id)
    _open(brk, "resolved")
    now = _now(now)
    wh.execute(SQL.resolve, {"c": code, "b": brk["break_id"]})
    event_id = _event(wh, brk["break_id"], actor, "resolved", brk["status"], "resolved", reason,
                      {"resolution_code": code}, now)  # fmt: skip
    enqueue_manual_resolution(wh, brk["break_id"], event_id, code, f"{reason} (by {actor})", now)
    return get_break(wh, brk["break_id"])


def request_approval(wh: Warehouse, break_id: str, action: str, code: str, reason: str, actor: str,
                     details: dict | None = None, now: datetime | None = None) -> str:  # fmt: skip
    """The maker's half of a write-off or manual match. Returns the approval id."""
    if action not in ACTIONS:
        raise LifecycleError(f"unknown action {action!r}: use {', '.join(ACTIONS)}")
    _require(actor, reason, need_reason=True)
    brk = get_break(wh, break_id)
    _open(brk, "written off or matched")
    if approvals(wh, brk["break_id"], "pending"):
        raise LifecycleError(f"break {brk['break_id'][:12]} already has a request waiting for approval")
    now = _now(now)
    approval_id = uuid.uuid4().hex[:16]
    wh.execute(
        SQL.request_approval,
        {"id": approval_id, "b": brk["break_id"], "action": action, "code": code or action, "reason": reason,
         "details": json.dumps(details) if details else None, "by": actor, "at": now},  # fmt: skip
    )
    _event(wh, brk["break_id"], actor, "approval_requested", brk["status"], brk["status"], reason,
           {"approval_id": approval_id, "action": action, "resolution_code": code, **(details or {})}, now)  # fmt: skip
    return approval_id


def decide(wh: Warehouse, approval_id: str, approver: str, approve: bool = True, reason: str | None = None,
           now: datetime | None = None) -> dict:  # fmt: skip
    """The checker's half. The approver must be a different user from the requester."""
    _require(approver)
    found = wh.fetch_rows(SQL.approval, {"id": approval_id})
    if not found:
        raise LifecycleError(f"no approval request {approval_id}")
    req = found[0]
    if req["status"] != "pending":
        raise LifecycleError(f"approval {approval_id} was already {req['status']} by {req['decided_by']}")
    if approver.strip().lower() == req["requested_by"].strip().lower():
        raise LifecycleError(f"maker-checker: {approver} requested this {req['action']} and cannot approve it; "
                             "a different user must decide")  # fmt: skip
    brk = get_break(wh, req["break_id"])
    now = _now(now)
    if approve:
        _open(brk, "written off or matched")
    status = "approved" if approve else "rejected"
    wh.execute(
        SQL.decide_approval,
        {"s": status, "by": approver, "at": now, "r": reason, "id": approval_id},
    )
    details = {"approval_id": approval_id, "action": req["action"], "requested_by": req["requested_by"]}
    if not approve:
        _event(wh, brk["break_id"], approver, "approval_rejected", brk["status"], brk["status"], reason, details, now)
        return get_break(wh, brk["break_id"])
    to = ACTIONS[req["action"]]
    wh.execute(SQL.close_with_code, {"t": to, "c": req["resolution_code"], "b": brk["break_id"]})
    event = "written_off" if req["action"] == "write_off" else "manually_matched"
    event_id = _event(wh, brk["break_id"], approver, event, brk["status"], to, req["reason"], details, now)
    notes = f"{req['action'].replace('_', ' ')}: {req['reason']} (requested by {req['requested_by']}, " \
            f"approved by {approver})"  # fmt: skip
    enqueue_manual_resolution(wh, brk["break_id"], event_id, req["resolution_code"], notes, now)
    return get_break(wh, brk["break_id"])
