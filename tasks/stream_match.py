"""Streaming reconciliation, step 2: re-match the affected keys and publish what is due.

Matching reuses the daily SQL passes unchanged: `match_day(trade_date, recon='dropcopy')` scoped to
the brokers and accounts of the keys that need it. Writing incremental matching logic would mean
a second implementation of exact/tolerance/aggregate/N:M pairing to keep equal to the first; the
passes are set-based and a scoped day is small, so re-running them is both simpler and fast
enough (bench/bench_stream.py). What the stream adds is *when* a break is published:

- a match is recorded as soon as it is made;
- a break that involves drop-copy records is published only once every one of its drop-copy
  records arrived more than `window_seconds` ago (the internal booking may still be on its way);
- one-sided internal breaks (MISSING_AT_BROKER) are never opened here - the drop copy may still
  come, and the end-of-day run decides them - but an open one is kept (not closed) while it stands;
- a break the passes no longer find (a late internal booking matched it) is closed with an event.

Keys that need matching: drop-copy changes (`stream_dirty`, written with the executions), fills
whose window just passed, and keys whose internal side changed since they were last matched (a
fingerprint of count, quantity and notional per key: a late OMS booking landed with land_file).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from contextlib import contextmanager
from datetime import datetime, timedelta

import pyarrow as pa
from prefect import task
from prefect.cache_policies import NO_CACHE

from blocks.warehouse import Warehouse, get_warehouse
from tasks.break_store import ensure_store, publish_breaks
from tasks.incidents import enqueue_incident_changes
from tasks.match import match_day
from tasks.stream import ensure_stream_tables, utcnow

_STREAM_KEYS = "SELECT DISTINCT broker, account, trade_date FROM stream_fills WHERE account IS NOT NULL"
_FINGERPRINTS = f"""
SELECT k.broker, k.account, k.trade_date,
       COALESCE(CAST(COUNT(e.record_id) AS VARCHAR) || ':' || CAST(CAST(SUM(e.quantity) AS NUMBER(38, 8)) AS VARCHAR)
         || ':' || CAST(CAST(SUM(e.quantity * e.price) AS NUMBER(38, 6)) AS VARCHAR), '0') AS fingerprint
FROM ({_STREAM_KEYS}) k
LEFT JOIN executions e ON e.source = 'internal' AND e.broker = k.broker AND e.account = k.account
     AND e.trade_date = k.trade_date
GROUP BY k.broker, k.account, k.trade_date
"""
# Young breaks wait; one-sided internal breaks are kept only while already open (never opened here).
_HOLD_BACK = """
DELETE FROM w_breaks WHERE link_id IN (
    SELECT k.link_id FROM w_links k
    JOIN w_candidates c ON c.uid = k.uid AND c.side_of = 'R'
    JOIN stream_fills f ON f.broker = c.broker AND f.record_id = c.record_id
    WHERE f.first_arrival > CAST(:due_before AS TIMESTAMP)
);
DELETE FROM w_breaks WHERE COALESCE(broker_ids, '') = ''
  AND NOT EXISTS (SELECT 1 FROM breaks b WHERE b.break_id = w_breaks.break_id AND b.status <> 'closed');
"""
_DECIDE = """
UPDATE stream_fills SET decided_at = CAST(:now AS TIMESTAMP), outcome = d.outcome, decided_batch = :batch
FROM (
    SELECT c.broker, c.record_id, MIN(CASE WHEN r.break_type IS NULL THEN 'matched' ELSE 'break' END) AS outcome
    FROM w_candidates c
    JOIN w_links k ON k.uid = c.uid
    JOIN w_results r ON r.link_id = k.link_id
    WHERE c.side_of = 'R' AND (r.break_type IS NULL OR r.link_id IN (SELECT link_id FROM w_breaks))
    GROUP BY c.broker, c.record_id
) d
WHERE stream_fills.broker = d.broker AND stream_fills.record_id = d.record_id AND stream_fills.decided_at IS NULL
"""


@contextmanager
def _transaction(wh: Warehouse):
    """DuckDB: the batch's ~100 statements in one transaction, so one commit instead of one per
    statement (most of a batch's time otherwise). Snowflake commits on DDL anyway: left as is."""
    if wh.engine != "duckdb":
        yield
        return
    wh.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        wh.execute("ROLLBACK")
        raise
    wh.execute("COMMIT")


def new_tick_id() -> str:
    """Id of a batch with no records (windows passing): unique, unlike a hash of nothing."""
    return f"tick-{uuid.uuid4().hex}"


def keys_to_match(wh: Warehouse, due_before: datetime) -> tuple[list[dict], list[str], dict]:
    """-> (keys, dirty batch ids consumed, current internal fingerprints per key)."""
    dirty = wh.fetch_rows("SELECT DISTINCT broker, account, trade_date, batch_id FROM stream_dirty")
    keys = {(r["broker"], r["account"], r["trade_date"]) for r in dirty}
    due = wh.fetch_rows(
        "SELECT DISTINCT broker, account, trade_date FROM stream_fills "
        "WHERE decided_at IS NULL AND account IS NOT NULL AND first_arrival <= CAST(:due AS TIMESTAMP)",
        {"due": due_before},
    )
    keys |= {(r["broker"], r["account"], r["trade_date"]) for r in due}
    marks = {(r["broker"], r["account"], r["trade_date"]): r["fingerprint"]
             for r in wh.fetch_rows("SELECT * FROM stream_internal_marks")}  # fmt: skip
    current = {(r["broker"], r["account"], r["trade_date"]): r["fingerprint"] for r in wh.fetch_rows(_FINGERPRINTS)}
    keys |= {k for k, fp in current.items() if marks.get(k) != fp}
    ordered = [{"broker": b, "account": a, "trade_date": d} for b, a, d in sorted(keys, key=str)]
    return ordered, sorted({r["batch_id"] for r in dirty}), current


def _remember_marks(wh: Warehouse, keys: list[dict], current: dict) -> None:
    if not keys:
        return
    table = pa.table({name: [k[name] for k in keys] for name in ("broker", "account", "trade_date")})
    wh.execute("DELETE FROM w_stream_keys")
    wh.load_arrow("w_stream_keys", table)
    wh.execute(
        "DELETE FROM stream_internal_marks WHERE EXISTS (SELECT 1 FROM w_stream_keys k WHERE k.broker = "
        "stream_internal_marks.broker AND k.account = stream_internal_marks.account AND k.trade_date = "
        "stream_internal_marks.trade_date)"
    )
    rows = [(k["broker"], k["account"], k["trade_date"]) for k in keys]
    fps = [current.get(r) for r in rows]
    marks = pa.table({"broker": [r[0] for r in rows if current.get(r)], "account": [r[1] for r in rows if current.get(r)],
                      "trade_date": [r[2] for r in rows if current.get(r)], "fingerprint": [f for f in fps if f]})  # fmt: skip
    if marks.num_rows:
        wh.load_arrow("stream_internal_marks", marks)


def reconcile_stream_keys(
    ingested: dict, window_seconds: float = 60.0, warehouse_ref: str | None = None, now: datetime | None = None
) -> dict:
    """Match every key that needs it, publish due breaks and close fixed ones; -> counts (small JSON)."""
    wh = get_warehouse(warehouse_ref)
    ensure_stream_tables(wh)
    ensure_store(wh)
    batch_id = ingested["batch_id"] or new_tick_id()
    run_id = f"stream-{batch_id}"
    now = now or utcnow()
    due_before = now - timedelta(seconds=window_seconds)
    with wh._lock, _transaction(wh):  # the pass work tables are shared: one at a time per warehouse
        keys, dirty_batches, current = keys_to_match(wh, due_before)
        by_date: dict = defaultdict(list)
        for k in keys:
            by_date[k["trade_date"]].append(k)
        for trade_date, group in sorted(by_date.items()):
            brokers = sorted({k["broker"] for k in group})
            accounts = sorted({k["account"] for k in group})
            summary = match_day(wh, trade_date, "dropcopy", brokers, accounts)
            if summary.get("skipped"):
                continue
            wh.execute(_HOLD_BACK, {"due_before": due_before})
            publish_breaks(wh, trade_date, "dropcopy", run_id, now)
            # A micro-batch re-evaluates standing breaks constantly: 'seen' per batch is noise.
            wh.execute("DELETE FROM break_events WHERE run_id = :r AND event = 'seen'", {"r": run_id})
            wh.execute(_DECIDE, {"now": utcnow(), "batch": batch_id})
        _remember_marks(wh, keys, current)
        if dirty_batches:
            names = {f"b{i}": b for i, b in enumerate(dirty_batches)}
            wh.execute(f"DELETE FROM stream_dirty WHERE batch_id IN ({', '.join(':' + n for n in names)})", names)
        events = {r["event"]: r["n"] for r in wh.fetch_rows(
            "SELECT event, COUNT(*) AS n FROM break_events WHERE run_id = :r GROUP BY event", {"r": run_id})}  # fmt: skip
        queued = enqueue_incident_changes(wh, run_id, now=now) if events else 0
        decided = {r["outcome"]: r["n"] for r in wh.fetch_rows(
            "SELECT outcome, COUNT(*) AS n FROM stream_fills WHERE decided_batch = :b GROUP BY outcome",
            {"b": batch_id})}  # fmt: skip
        pending = wh.scalar("SELECT COUNT(*) FROM stream_fills WHERE decided_at IS NULL")
    return {
        "batch_id": batch_id,
        "keys_matched": len(keys),
        "matched": decided.get("matched", 0),
        "breaks": decided.get("break", 0),
        "events": events,
        "incident_changes": queued,
        "pending": int(pending or 0),
    }


reconcile_stream_keys_task = task(reconcile_stream_keys, name="stream-reconcile-keys", cache_policy=NO_CACHE)
