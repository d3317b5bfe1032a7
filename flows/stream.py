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
def stream_reconciliation(
    stream_ref: str | None = None,
    replay_files: list[str] | None = None,
    landing_dir: str | None = None,
    internal: list[str] | None = None,
    instruments: str | None = None,
    broker: str | None = None,
    senders: dict[str, str] | None = None,
    batch_size: int = 500,
    batch_seconds: float = 1.0,
    window_seconds: float = 60.0,
    max_batches: int | None = None,
    duration_seconds: float | None = None,
    stop_when_idle: float | None = None,
    warehouse_ref: str | None = None,
    flow_run_per_batch: bool = True,
) -> dict:
    """Consume a stream (a saved KinesisStream block, or FIX log files replayed) until max_batches,
    duration_seconds, or stop_when_idle seconds with nothing left to decide; none: run until stopped.

    flow_run_per_batch: each batch is a `reconcile_stream_batch` flow run (visible in the UI); False
    runs the same steps as plain calls inside the consuming task (about 1 s less per batch on the
    local server, see BENCHMARKS.md), still with the metrics artifact per batch.
    """
    landed = land_internal_task(landing_dir, internal, instruments, warehouse_ref)
    return consume_stream_task(
        stream_ref, replay_files, broker, senders, batch_size, batch_seconds, window_seconds, max_batches,
        duration_seconds, stop_when_idle, warehouse_ref, flow_run_per_batch, wait_for=[landed],
    )
