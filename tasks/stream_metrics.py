"""Streaming reconciliation, step 3: per-batch metrics into `stream_batches` and a Prefect artifact.

Lag is measured per drop-copy fill decided in the batch, from its put time (Kinesis arrival
timestamp; receipt time for a file replay) to the moment the decision was committed: a match
when it was made; a break when it was recorded, counted from when it became due (receipt on
recon's clock + window: the window never depends on the producer's clock), since waiting out the
window is the design, not delay.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta

from prefect import task
from prefect.cache_policies import NO_CACHE

from blocks.warehouse import SqlStatements, Warehouse, get_warehouse
from tasks.stream import ensure_stream_tables, utcnow

SQL = SqlStatements("45_stream_metrics.sql")


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def batch_lags_ms(wh: Warehouse, batch_id: str, window_seconds: float) -> list[float]:
    rows = wh.fetch_rows(SQL.decided_fills, {"b": batch_id})
    window = timedelta(seconds=window_seconds)
    lags = []
    for r in rows:
        due = r["first_seen"] + window if r["outcome"] == "break" else r["first_arrival"]
        lags.append(max(0.0, (r["decided_at"] - due).total_seconds() * 1000))
    return lags


def record_batch_metrics(
    ingested: dict, reconciled: dict, window_seconds: float = 60.0, warehouse_ref: str | None = None
) -> dict:
    """Store one row in stream_batches (replacing a redelivered batch's) and return it as JSON."""
    wh = get_warehouse(warehouse_ref)
    ensure_stream_tables(wh)
    batch_id = reconciled["batch_id"]
    started = datetime.fromisoformat(ingested["started_at"])
    finished = utcnow()
    seconds = max((finished - started).total_seconds(), 1e-6)
    lags = batch_lags_ms(wh, batch_id, window_seconds)
    events = reconciled.get("events", {})
    row = {
        "batch_id": batch_id, "stream": ingested["stream"], "started_at": started, "finished_at": finished,
        "records": ingested["records"], "redelivered": ingested["redelivered"], "parsed": ingested["parsed"],
        "rejects": ingested["rejects"], "executions": ingested["executions"], "removed": ingested["removed"],
        "keys_matched": reconciled["keys_matched"], "matched": reconciled["matched"], "breaks": reconciled["breaks"],
        "opened": events.get("opened", 0) + events.get("reopened", 0), "closed": events.get("closed", 0),
        "pending": reconciled["pending"], "lag_p50_ms": percentile(lags, 50), "lag_p99_ms": percentile(lags, 99),
        "lag_max_ms": max(lags) if lags else None, "seconds": round(seconds, 4),
        "records_per_s": round(ingested["records"] / seconds, 1),
    }  # fmt: skip
    with wh.exclusive():
        wh.execute(SQL.forget_batch, {"batch_id": batch_id})
        wh.execute(SQL.insert_batch, row)
    _artifact(row)
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()}


def _artifact(row: dict) -> None:
    """A table artifact per batch under one key per stream (the UI keeps the history by key)."""
    from prefect.context import FlowRunContext, TaskRunContext

    if FlowRunContext.get() is None and TaskRunContext.get() is None:
        return  # a plain call (bench, Step Functions task): the table row is the record
    from prefect.artifacts import create_table_artifact

    key = "stream-" + re.sub(r"[^a-z0-9-]+", "-", str(row["stream"]).lower()).strip("-") + "-batches"
    shown = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()}
    create_table_artifact(key=key[:100], table=[shown], description=f"micro-batch {row['batch_id']}")


def recent_batches(wh: Warehouse, stream: str | None = None, limit: int = 50) -> list[dict]:
    """The latest batches (newest last), for `recon stream --stats`."""
    ensure_stream_tables(wh)
    rows = wh.fetch_rows(SQL.recent_batches, {"stream": stream or None, "limit": int(limit)})
    return list(reversed(rows))


record_batch_metrics_task = task(record_batch_metrics, name="stream-batch-metrics", cache_policy=NO_CACHE)
