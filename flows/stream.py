"""Streaming reconciliation: drop-copy micro-batches matched against internal executions.

Composition only (steps in tasks/stream*.py). `reconcile_stream_batch` handles ONE micro-batch and
is what production runs as an EXPRESS state machine (Kinesis -> Lambda -> StartSyncExecution, the
batch in the execution input); `stream_reconciliation` is the long-running local deployment
(`stream` in prefect.yaml): land the internal side, then poll -> reconcile_stream_batch ->
checkpoint until stopped. See docs/streaming.md, "Streaming reconciliation".
"""

from __future__ import annotations

from prefect import flow

from tasks.stream import ingest_stream_batch_task
from tasks.stream_consume import consume_stream_task, land_internal_task
from tasks.stream_match import reconcile_stream_keys_task
from tasks.stream_metrics import record_batch_metrics_task
from tasks.stream_options import StreamOptions


@flow(name="reconcile-stream-batch", timeout_seconds=300)
def reconcile_stream_batch(
    batch: list[dict],
    stream: str,
    broker: str | None = None,
    senders: dict[str, str] | None = None,
    window_seconds: float = 60.0,
    warehouse_ref: str | None = None,
) -> dict:
    """One micro-batch: parse and upsert by ExecID, re-match the affected keys, publish what is due.

    batch: [{data, partition_key, shard_id, sequence_number, arrival, broker?}] (data: the raw FIX
    message as latin-1 text). A record's broker: its `broker` field, else SenderCompID(49) through
    `senders`, else `broker`. An empty batch only publishes fills whose window has passed.
    """
    ingested = ingest_stream_batch_task(batch, stream, broker, senders, warehouse_ref)
    reconciled = reconcile_stream_keys_task(ingested, window_seconds, warehouse_ref)
    return record_batch_metrics_task(ingested, reconciled, window_seconds, warehouse_ref)


@flow(name="stream-reconciliation")
def stream_reconciliation(options: StreamOptions = StreamOptions()) -> dict:
    """Consume a stream (a saved KinesisStream block, or FIX log files replayed) until
    options.max_batches, duration_seconds, or stop_when_idle seconds with nothing left to decide;
    none: run until stopped. `options` is tasks/stream_options.py:StreamOptions (JSON: its fields).

    Each batch is a `reconcile_stream_batch` flow run (visible in the UI); with
    options.flow_run_per_batch off the consuming task runs the same steps as plain calls (about 1 s
    less per batch on the local server, see BENCHMARKS.md), still with the metrics artifact per batch.
    """
    landed = land_internal_task(options)
    return consume_stream_task(options, reconcile_stream_batch, wait_for=[landed])
