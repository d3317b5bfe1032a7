"""Breaks -> ServiceNow incidents through an outbox, and incident states back onto breaks.

Call sequence in a flow, after the break store is written (see docs/operations.md):
    enqueue_incident_changes(warehouse, run_id, ...)   # same warehouse as the breaks: cannot fail on ServiceNow
    deliver_outbox(warehouse, servicenow)              # never raises; what it cannot send stays pending
    sync_incident_states(warehouse, servicenow)        # analysts' changes back onto the breaks

One incident per break, ever: every write looks the incident up by correlation_id = break_id first,
so a POST whose response was lost is found (and updated) rather than created twice. Rows for one
break are delivered strictly in outbox order; a row that cannot be delivered holds back the later
rows of the same break until it goes through.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
from prefect import task
from prefect.cache_policies import NO_CACHE

from blocks.servicenow import (
    STATE_CLOSED,
    STATE_IN_PROGRESS,
    STATE_RESOLVED,
    ServiceNow,
    ServiceNowAuthError,
    ServiceNowRejected,
    ServiceNowUnavailable,
)
from blocks.warehouse import SqlStatements, Warehouse
from recon import clock
from recon.logs import step_logger
from tasks.incident_fields import incident_fields

log = logging.getLogger("recon.incidents")
_LOCK = threading.RLock()  # one enqueue/delivery at a time per process: outbox order is the contract

ENQUEUE = SqlStatements("32_incident_enqueue.sql")
DELIVERY = SqlStatements("33_incident_delivery.sql")
UPSERT_EVENTS = ("opened", "changed", "reopened")
EVENT_RANK = {"reopened": 3, "opened": 2, "changed": 1}  # which event names a collapsed upsert
DONE_STATES = (STATE_RESOLVED, STATE_CLOSED, "8")  # resolved, closed, canceled
WRITE_BACK_BATCH = 200


def _utcnow() -> datetime:
    return clock.utcnow()


def _md5(*parts: str) -> str:
    return hashlib.md5("|".join(parts).encode()).hexdigest()


def _jsonable(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def ensure_outbox(warehouse: Warehouse) -> None:
    warehouse.ensure_schema("30_incident_outbox.sql")


# ---- enqueue ------------------------------------------------------------------------------------
def enqueue_incident_changes(warehouse: Warehouse, run_id: str, report_url: str | None = None,
                             prefect_run_url: str | None = None, now: datetime | None = None) -> int:  # fmt: skip
    """Outbox rows for every break this run opened, changed, reopened (upsert) or closed (resolve).

    Idempotent per (break_id, run_id, op): enqueueing the same run again adds nothing. Returns the
    number of rows added.
    """
    ensure_outbox(warehouse)
    now = now or _utcnow()
    rows = warehouse.fetch_rows(ENQUEUE.run_changes, {"run_id": run_id})
    chosen: dict[tuple[str, str], dict] = {}
    for row in rows:
        op = "resolve" if row["change_event"] == "closed" else "upsert"
        key = (row["break_id"], op)
        old = chosen.get(key)
        if old is None or EVENT_RANK.get(row["change_event"], 0) > EVENT_RANK.get(old["change_event"], 0):
            chosen[key] = row
    # An upsert goes before a resolve of the same break; otherwise the order the events happened.
    ordered = sorted(chosen.items(), key=lambda kv: (kv[1]["change_at"], kv[0][0], kv[0][1] == "resolve"))
    with _LOCK:
        base = warehouse.scalar(ENQUEUE.last_seq) or 0
        stage = {k: [] for k in ("outbox_id", "seq", "break_id", "run_id", "op", "event", "payload", "created_at")}
        for i, ((break_id, op), row) in enumerate(ordered, start=1):
            brk = {k: _jsonable(v) for k, v in row.items() if k not in ("change_event", "change_at")}
            payload = {"break": brk, "run_id": run_id, "event": row["change_event"],
                       "report_url": report_url, "prefect_run_url": prefect_run_url}  # fmt: skip
            values = (_md5(break_id, run_id, op), int(base) + i, break_id, run_id, op, row["change_event"],
                      json.dumps(payload, sort_keys=True), now)  # fmt: skip
            for name, value in zip(stage, values, strict=True):
                stage[name].append(value)
        warehouse.execute(ENQUEUE.clear_stage)
        if not ordered:
            return 0
        warehouse.load_arrow("incident_outbox_stage", pa.table(stage))
        added = warehouse.scalar(ENQUEUE.new_in_stage)
        warehouse.execute(ENQUEUE.insert_from_stage)
        warehouse.execute(ENQUEUE.clear_stage)
    log.info("run %s: %d incident change(s) queued", run_id, added)
    return int(added)


def enqueue_manual_resolution(warehouse: Warehouse, break_id: str, event_id: str, close_code: str,
                              close_notes: str, now: datetime | None = None) -> None:  # fmt: skip
    """A person resolved or wrote off the break (CLI, approvals): resolve its incident with their code."""
    ensure_outbox(warehouse)
    now = now or _utcnow()
    rows = warehouse.fetch_rows(ENQUEUE.break_row, {"b": break_id})
    run_id = f"manual:{event_id}"
    payload = {"break": {k: _jsonable(v) for k, v in rows[0].items()}, "run_id": run_id, "event": "manual",
               "close_code": close_code, "close_notes": close_notes}  # fmt: skip
    with _LOCK:
        warehouse.execute(
            ENQUEUE.insert_manual_resolution,
            {"id": _md5(break_id, run_id, "resolve"), "b": break_id, "run_id": run_id,
             "payload": json.dumps(payload, sort_keys=True), "now": now},  # fmt: skip
        )


# ---- deliver ------------------------------------------------------------------------------------
def _write_incident(servicenow: ServiceNow, row: dict, rounds: int = 3) -> dict:
    """One outbox row -> ServiceNow. A create that may or may not have happened (5xx, lost response)
    is never re-posted blind: the next round looks the incident up by correlation_id first."""
    for round_ in range(rounds):
        try:
            return _write_once(servicenow, row)
        except ServiceNowUnavailable:
            if round_ == rounds - 1:
                raise
    raise AssertionError("unreachable")


def _write_once(servicenow: ServiceNow, row: dict) -> dict:
    payload = json.loads(row["payload"])
    brk, run_id, event = payload["break"], payload["run_id"], payload["event"]
    links = {"run_id": run_id, "prefect_run_url": payload.get("prefect_run_url"),
             "report_url": payload.get("report_url")}  # fmt: skip
    existing = servicenow.find_by_correlation_id(row["break_id"])
    if row["op"] == "resolve":
        resolution = {"state": STATE_RESOLVED,
                      "close_code": payload.get("close_code") or servicenow.resolve_close_code,
                      "close_notes": payload.get("close_notes")
                      or f"Break cleared: no longer found by reconciliation run {run_id}."}  # fmt: skip
        if existing is None:
            return servicenow.create({**incident_fields(servicenow, brk, **links), **resolution})
        if existing.get("state") in DONE_STATES:
            return existing  # an analyst (or an earlier delivery) resolved it already
        return servicenow.update(existing["sys_id"], resolution)
    if existing is None:
        return servicenow.create(incident_fields(servicenow, brk, **links))
    values = incident_fields(servicenow, brk, new=False, **links)
    values["work_notes"] = f"Break {event} by reconciliation run {run_id}."
    if event == "reopened" and existing.get("state") in DONE_STATES:
        values["state"] = STATE_IN_PROGRESS
    return servicenow.update(existing["sys_id"], values)


def _pending_count(warehouse: Warehouse) -> int:
    return int(warehouse.scalar(DELIVERY.pending_count) or 0)


def deliver_outbox(warehouse: Warehouse, servicenow: ServiceNow | None, max_batch: int = 500,
                   retry_base_seconds: float = 30.0, now: datetime | None = None) -> dict[str, int]:  # fmt: skip
    """Send pending outbox rows in order. Never raises: what cannot be sent now stays pending.

    Returns {delivered, failed, refused, pending}: failed = attempts that failed this call (the row
    stays pending with attempts / next_attempt_at / last_error), refused = rows ServiceNow rejected
    as invalid (status 'failed', for a human), pending = rows still waiting after this call.
    """
    counts = {"delivered": 0, "failed": 0, "refused": 0, "pending": 0}
    now = now or _utcnow()
    try:
        ensure_outbox(warehouse)
        if servicenow is None or not servicenow.configured:
            counts["pending"] = _pending_count(warehouse)
            log.info("no ServiceNow instance configured: %d incident change(s) kept locally", counts["pending"])
            return counts
        with _LOCK:
            _deliver_batch(warehouse, servicenow, counts, max_batch, retry_base_seconds, now)
            counts["pending"] = _pending_count(warehouse)
    except Exception as exc:  # noqa: BLE001 - e.g. the warehouse itself failing: report, never raise
        log.error("incident delivery stopped: %s", _error_text(exc))
        counts["error"] = _error_text(exc)
        return counts
    log.info("incident outbox: %(delivered)d delivered, %(failed)d failed, %(refused)d refused, "
             "%(pending)d pending", counts)  # fmt: skip
    return counts


def _deliver_batch(warehouse: Warehouse, servicenow: ServiceNow, counts: dict, max_batch: int,
                   retry_base_seconds: float, now: datetime) -> None:  # fmt: skip
    """Pending rows in seq order; what is delivered is written back in batches (also on the way out)."""
    rows = warehouse.fetch_rows(DELIVERY.pending_rows, {"max_batch": int(max_batch)})
    held: set[str] = set()  # breaks with an earlier row still undelivered: keep their order
    done: list[tuple[dict, dict]] = []  # delivered, written back in batches
    try:
        for row in rows:
            if row["break_id"] in held:
                continue
            if row["next_attempt_at"] is not None and row["next_attempt_at"] > now:
                held.add(row["break_id"])
                continue
            try:
                incident = _write_incident(servicenow, row)
            except ServiceNowAuthError as exc:  # every row would fail the same way
                _retry_later(warehouse, row, exc, now, retry_base_seconds)
                counts["failed"] += 1
                break
            except ServiceNowRejected as exc:
                _refused(warehouse, row, exc)
                counts["refused"] += 1
                held.add(row["break_id"])
            except ServiceNowUnavailable as exc:  # the bounded retries are spent: stop, try next time
                _retry_later(warehouse, row, exc, now, retry_base_seconds)
                counts["failed"] += 1
                break
            except Exception as exc:  # noqa: BLE001 - a delivery problem must never block matching
                _retry_later(warehouse, row, exc, now, retry_base_seconds)
                counts["failed"] += 1
                held.add(row["break_id"])
            else:
                done.append((row, incident))
                counts["delivered"] += 1
                if len(done) >= WRITE_BACK_BATCH:
                    _write_back(warehouse, done, now)
    finally:
        _write_back(warehouse, done, now)


def _error_text(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:1000]


def _retry_later(warehouse: Warehouse, row: dict, exc: Exception, now: datetime, base: float) -> None:
    attempts = int(row["attempts"]) + 1
    delay = min(3600.0, base * 2 ** (attempts - 1))
    log.warning("incident for break %s not delivered (attempt %d): %s", row["break_id"], attempts, exc)
    warehouse.execute(
        DELIVERY.retry_later,
        {"attempts": attempts, "next": now + timedelta(seconds=delay), "error": _error_text(exc),
         "id": row["outbox_id"]},  # fmt: skip
    )


def _refused(warehouse: Warehouse, row: dict, exc: Exception) -> None:
    log.error("ServiceNow refused the incident for break %s: %s", row["break_id"], exc)
    warehouse.execute(DELIVERY.refused, {"error": _error_text(exc), "id": row["outbox_id"]})


def _write_back(warehouse: Warehouse, done: list[tuple[dict, dict]], now: datetime) -> None:
    """Mark delivered rows and remember each break's incident: two statements per batch."""
    if not done:
        return
    stage = pa.table({
        "outbox_id": [r["outbox_id"] for r, _ in done], "seq": [int(r["seq"]) for r, _ in done],
        "break_id": [r["break_id"] for r, _ in done], "sys_id": [i.get("sys_id") for _, i in done],
        "number": [i.get("number") for _, i in done], "state": [i.get("state") for _, i in done],
        "delivered_at": [now] * len(done),
    })  # fmt: skip
    warehouse.execute(DELIVERY.clear_done)
    warehouse.load_arrow("incident_outbox_done", stage)
    warehouse.execute(DELIVERY.mark_delivered)
    warehouse.execute(DELIVERY.link_delivered)
    warehouse.execute(DELIVERY.clear_done)
    done.clear()


def record_link(warehouse: Warehouse, break_id: str, sys_id, number, state, now: datetime) -> None:
    warehouse.execute(
        DELIVERY.record_link,
        {"break_id": break_id, "sys_id": sys_id, "number": number, "state": state, "now": now},
    )


# ---- Prefect tasks (orchestration options only) --------------------------------------------------
def _servicenow(ref: str | None) -> ServiceNow:
    return ServiceNow.load(ref) if ref else ServiceNow()  # no block: local only (embedded default)


@task(name="enqueue-incident-changes", cache_policy=NO_CACHE)
def enqueue_incident_changes_task(run: dict | str, warehouse_ref: str | None = None, report_url: str | None = None,
                                  prefect_run_url: str | None = None) -> int:  # fmt: skip
    """run: the run's id, or the daily flow's run dict ({run_id, out_dir}: the report link follows)."""
    from blocks.warehouse import get_warehouse

    if isinstance(run, dict):
        report_url = report_url or Path(run["out_dir"], "report.html").as_uri()
        run = run["run_id"]
    run_id = run
    added = enqueue_incident_changes(get_warehouse(warehouse_ref), run_id, report_url, prefect_run_url)
    step_logger().info("run %s: %d incident change(s) queued", run_id, added)
    return added


@task(name="deliver-incident-outbox", cache_policy=NO_CACHE, timeout_seconds=900)
def deliver_outbox_task(warehouse_ref: str | None = None, servicenow_ref: str | None = None,
                        max_batch: int = 500) -> dict[str, int]:  # fmt: skip
    from blocks.warehouse import get_warehouse

    servicenow = _servicenow(servicenow_ref)
    try:
        counts = deliver_outbox(get_warehouse(warehouse_ref), servicenow, max_batch=max_batch)
        step_logger().info("incident outbox: %s", counts)
        return counts
    finally:
        servicenow.close()
