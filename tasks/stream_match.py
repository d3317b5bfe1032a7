"""Streaming reconciliation, step 2: re-match the affected keys and publish what is due.

Matching reuses the daily SQL passes unchanged (the files and order of tasks/match.py) on the
day's candidates narrowed to the keys that need it: (broker, instrument, trade date). Every pass
pairs records of one instrument, so a key's outcome depends on that key's records only (accounts
would not do: ACCOUNT_MISMATCH pairs across accounts). Writing incremental matching logic would
mean a second implementation of exact/tolerance/aggregate/N:M pairing to keep equal to the first;
the passes are set-based and a batch's keys are a small part of the day, so re-running them is
both simpler and fast enough (bench/bench_stream.py). What the stream adds is *when* a break is
published:

- a match is recorded as soon as it is made;
- a break that involves drop-copy records is published only once every one of its drop-copy
  records arrived more than `window_seconds` ago (the internal booking may still be on its way);
- one-sided internal breaks (MISSING_AT_BROKER) are never opened here - the drop copy may still
  come, and the end-of-day run decides them - but an open one is kept (not closed) while it stands;
- a break the passes no longer find (a late internal booking matched it) is closed with an event.

Keys that need matching: drop-copy changes (`stream_dirty`, written with the executions), fills
whose window just passed, and keys whose internal side changed since they were last matched (a
fingerprint of count, quantity and notional per key: a late OMS booking landed with land_file).
The break store closes what a run in its scope (brokers) no longer finds, so the standing breaks of
keys not matched in this batch are carried into the run's breaks unchanged.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from contextlib import contextmanager
from datetime import datetime, timedelta

import pyarrow as pa
from prefect import task
from prefect.cache_policies import NO_CACHE

from blocks.warehouse import SqlStatements, Warehouse, get_warehouse, sql_file
from tasks.break_store import ensure_store, publish_breaks
from tasks.incidents import enqueue_incident_changes
from tasks.match import COUNTS, PASSES, run_passes, select_candidates
from tasks.stream import ensure_stream_tables, utcnow

SQL = SqlStatements("44_stream_match.sql")


@contextmanager
def _transaction(wh: Warehouse):
    """DuckDB: the batch's ~100 statements in one transaction, so one commit instead of one per
    statement (most of a batch's time otherwise). Snowflake commits on DDL anyway: left as is."""
    if wh.engine != "duckdb":
        yield
        return
    with wh.transaction():
        yield


def warm_up(warehouse_ref: str | None = None) -> None:
    """Transpile every statement a batch runs (cached per process) before the first records wait
    on it: half a second of sqlglot otherwise lands on the first batch's lag."""
    from blocks.warehouse import to_duckdb, to_snowflake

    wh = get_warehouse(warehouse_ref)
    ensure_stream_tables(wh)
    ensure_store(wh)
    convert = to_duckdb if wh.engine == "duckdb" else to_snowflake
    files = ["49_match_setup.sql", "50_match_scope.sql", *PASSES, "46_pair_round.sql", "47_link_pairs.sql",
             "58_classify.sql", "59_outputs.sql", "62_triage.sql", "60_publish_breaks.sql", "30_incident_outbox.sql"]  # fmt: skip
    for text in [*(sql_file(f) for f in files), *(getattr(SQL, n) for n in SQL.names())]:
        convert(text)


def new_tick_id() -> str:
    """Id of a batch with no records (windows passing): unique, unlike a hash of nothing."""
    return f"tick-{uuid.uuid4().hex}"


def _key(r: dict) -> tuple:
    return (r["broker"], r["instrument_id"], r["trade_date"])


def keys_to_match(wh: Warehouse, due_before: datetime) -> tuple[list[dict], list[str], dict]:
    """-> (keys, dirty batch ids consumed, current internal fingerprints per key)."""
    dirty = wh.fetch_rows(SQL.dirty_keys)
    keys = {_key(r) for r in dirty}
    keys |= {_key(r) for r in wh.fetch_rows(SQL.due_keys, {"due": due_before})}
    marks = {_key(r): r["fingerprint"] for r in wh.fetch_rows(SQL.internal_marks)}
    current = {_key(r): r["fingerprint"] for r in wh.fetch_rows(SQL.fingerprints)}
    keys |= {k for k, fp in current.items() if marks.get(k) != fp}
    ordered = [{"broker": b, "instrument_id": i, "trade_date": d} for b, i, d in sorted(keys, key=str)]
    return ordered, sorted({r["batch_id"] for r in dirty}), current


def _load_keys(wh: Warehouse, keys: list[dict]) -> None:
    wh.execute(SQL.clear_keys)
    if keys:
        names = ("broker", "instrument_id", "trade_date")
        wh.load_arrow("w_stream_keys", pa.table({n: [k[n] for k in keys] for n in names}))


def _remember_marks(wh: Warehouse, keys: list[dict], current: dict) -> None:
    if not keys:
        return
    _load_keys(wh, keys)
    wh.execute(SQL.forget_marks_of_keys)
    known = [(_key(k), current[_key(k)]) for k in keys if current.get(_key(k))]
    if known:
        wh.load_arrow("stream_internal_marks", pa.table({
            "broker": [k[0] for k, _ in known], "instrument_id": [k[1] for k, _ in known],
            "trade_date": [k[2] for k, _ in known], "fingerprint": [fp for _, fp in known]}))  # fmt: skip


def match_keys(wh: Warehouse, trade_date, keys: list[dict]) -> None:
    """tasks/match.py's passes, in its order, on the day's candidates of `keys` only."""
    _load_keys(wh, keys)
    params = select_candidates(wh, trade_date, "dropcopy", sorted({k["broker"] for k in keys}), source_sql=SQL.source_keys)
    run_passes(wh, params)


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
    with wh.exclusive(), _transaction(wh):  # the pass work tables are shared: one at a time per warehouse
        keys, dirty_batches, current = keys_to_match(wh, due_before)
        by_date: dict = defaultdict(list)
        for k in keys:
            by_date[k["trade_date"]].append(k)
        for trade_date, group in sorted(by_date.items()):
            match_keys(wh, trade_date, group)
            wh.execute(SQL.hold_back, {"due_before": due_before})
            wh.execute(SQL.carry_over, {"trade_date": trade_date})
            publish_breaks(wh, trade_date, "dropcopy", run_id, now)
            wh.execute(SQL.forget_seen_events, {"r": run_id})
            wh.execute(SQL.decide, {"now": utcnow(), "batch": batch_id})
        _remember_marks(wh, keys, current)
        if dirty_batches:
            wh.execute(SQL.consume_dirty, {"batch_ids": dirty_batches})
        events = {r["event"]: r["n"] for r in wh.fetch_rows(COUNTS.run_events, {"run_id": run_id})}
        queued = enqueue_incident_changes(wh, run_id, now=now) if events else 0
        decided = {r["outcome"]: r["n"] for r in wh.fetch_rows(SQL.decided_in_batch, {"b": batch_id})}
        pending = wh.scalar(SQL.pending_fills)
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
