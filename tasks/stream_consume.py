"""The long-running consumer loop: poll -> reconcile one micro-batch -> checkpoint.

The loop is a step (one task in the long-running flow) because it branches on what each poll
returns, which a traced flow cannot. Each batch goes to a handler the caller passes: the flow gives
its per-batch flow (flows/stream.py:reconcile_stream_batch, one flow run per batch with its
artifact); without one, or with StreamOptions.flow_run_per_batch off, `reconcile_batch` runs the
same three steps as plain calls (no orchestration overhead; what the benchmark measures). The
checkpoint comes only after the handler returned, i.e. after the batch's results were committed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE

from blocks.warehouse import get_warehouse
from tasks.stream import batch_payload, ingest_stream_batch
from tasks.stream_match import reconcile_stream_keys, warm_up
from tasks.stream_metrics import record_batch_metrics
from tasks.stream_options import StreamOptions

log = logging.getLogger("recon.stream")
IDLE_TICK_SECONDS = 10.0
# What handles one batch: the per-batch flow's signature (batch, stream, broker, senders,
# window_seconds, warehouse_ref) -> the batch's metrics.
BatchHandler = Callable[..., dict]


def reconcile_batch(batch: list[dict], stream: str, broker: str | None = None, senders: dict | None = None,
                    window_seconds: float = 60.0, warehouse_ref: str | None = None) -> dict:  # fmt: skip
    """The per-batch flow's three steps as plain calls."""
    ingested = ingest_stream_batch(batch, stream, broker, senders, warehouse_ref)
    reconciled = reconcile_stream_keys(ingested, window_seconds, warehouse_ref)
    return record_batch_metrics(ingested, reconciled, window_seconds, warehouse_ref)


def open_consumers(stream_ref: str | None, replay_files: list[str] | None, warehouse_ref: str | None):
    """-> (stream name, [(consumer, broker or None)]). A saved KinesisStream block, or FIX log files
    replayed (the embedded default; each file's broker is its name without extension)."""
    from blocks.kinesis import KinesisStream

    wh = get_warehouse(warehouse_ref)
    if replay_files:
        consumers = []
        for path in replay_files:
            if not Path(path).is_file():
                raise FileNotFoundError(f"replay file not found: {path}")
            replay = KinesisStream(engine="file", replay_file=str(Path(path).resolve()))
            consumers.append((replay.consumer(wh), Path(path).stem))
        return "replay", consumers
    block = KinesisStream.load(stream_ref) if stream_ref else KinesisStream()
    name = block.stream_name if block.engine == "kinesis" else f"file:{block.replay_path()}"
    return name, [(block.consumer(wh), None)]


class Prefetcher:
    """Polls on a thread while the current batch is reconciled (the poll - HTTP and JSON for
    Kinesis - overlaps the warehouse work), adding to the waiting batch until it is taken or full:
    the next batch holds everything that arrived meanwhile. A batch closes when full or
    batch_seconds after its first record (size and time bounded, like a Lambda batching window). A consumer is never polled and
    checkpointed at the same time. Records polled but not reconciled when the loop stops are not
    checkpointed: the next start delivers them again."""

    def __init__(self, consumers: list, batch_size: int, batch_seconds: float):
        self.consumers, self.batch_size, self.batch_seconds = consumers, batch_size, batch_seconds
        self.lock = threading.Lock()  # one consumer call at a time
        self.wanted = threading.Event()  # the loop waits for the lock: the poller must not take it again
        self.poll_wait = min(0.1, batch_seconds) / len(consumers)
        self.ready = threading.Condition()
        self.waiting: dict[int, list] = {i: [] for i in range(len(consumers))}
        self.first_at: dict[int, float] = dict.fromkeys(self.waiting, 0.0)
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="stream-prefetch", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        turn = 0
        try:
            while not self.stop.is_set():
                index = turn % len(self.consumers)
                turn += 1
                room = self.batch_size - len(self.waiting[index])
                if room <= 0:  # full: wait until the loop takes it
                    with self.ready:
                        self.ready.wait(0.05)
                    continue
                while self.wanted.is_set() and not self.stop.is_set():  # the loop's checkpoint goes first
                    time.sleep(0.001)
                with self.lock:
                    records = self.consumers[index][0].poll(room, self.poll_wait)
                if records:
                    with self.ready:
                        if not self.waiting[index]:
                            self.first_at[index] = time.monotonic()
                        self.waiting[index].extend(records)
                        self.ready.notify_all()
        except BaseException as exc:  # surfaced to the loop on its next get()
            self.error = exc
            with self.ready:
                self.ready.notify_all()

    def get(self, timeout: float) -> tuple[int, list]:
        """The next batch: once it is full, or batch_seconds after its first record came in."""
        with self.ready:
            self.ready.wait_for(lambda: self.error is not None or any(self.waiting.values()), timeout)
            index = next((i for i, records in self.waiting.items() if records), None)
            if index is not None:
                closes = self.first_at[index] + self.batch_seconds
                self.ready.wait_for(
                    lambda: self.error is not None or len(self.waiting[index]) >= self.batch_size
                    or time.monotonic() >= closes,
                    max(0.0, closes - time.monotonic()),
                )
            if self.error is not None:
                raise self.error
            if index is None:
                return 0, []
            records, self.waiting[index] = self.waiting[index], []
            self.ready.notify_all()
            return index, records

    def checkpoint(self, index: int, records: list) -> None:
        self.wanted.set()
        try:
            with self.lock:
                self.consumers[index][0].checkpoint(records)
        finally:
            self.wanted.clear()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=30)


def consume(
    consumers: list,
    stream: str,
    handler: BatchHandler,
    options: StreamOptions,
    idle_handler: BatchHandler | None = None,
) -> dict:
    """Run until options.max_batches non-empty batches, options.duration_seconds, or
    options.stop_when_idle seconds without a record and with nothing pending; -> totals and the
    last batches' metrics.

    idle_handler (default: handler) runs the ticks with no record and no fill waiting for its
    window (they look for late internal bookings): the per-batch flow would otherwise add a flow
    run to the Prefect UI every IDLE_TICK_SECONDS of a quiet stream."""
    o = options
    warm_up(o.warehouse_ref)
    started = time.monotonic()
    idle_since = started
    batches, records, results = 0, 0, []
    last_tick = time.monotonic()
    args = (stream, o.broker, o.senders, o.window_seconds, o.warehouse_ref)
    prefetch = Prefetcher(consumers, o.batch_size, o.batch_seconds)
    try:
        while True:
            now = time.monotonic()
            if o.duration_seconds is not None and now - started >= o.duration_seconds:
                break
            if o.max_batches is not None and batches >= o.max_batches:
                break
            index, polled = prefetch.get(timeout=o.batch_seconds)
            if polled:
                file_broker = consumers[index][1]
                result = handler(batch_payload(polled, file_broker), *args)
                prefetch.checkpoint(index, polled)  # only after the batch's results were committed
                batches, records = batches + 1, records + len(polled)
                results.append(result)
                idle_since = time.monotonic()
                continue
            pending = results[-1]["pending"] if results else 0
            # Checked before a tick is: when ticks are due on every poll, they must not starve it.
            if o.stop_when_idle is not None and not pending and time.monotonic() - idle_since >= o.stop_when_idle:
                break
            # Windows pass, and internal bookings land, without new records: tick the reconciliation
            # (every batch_seconds while fills wait for their window, else every IDLE_TICK_SECONDS).
            if now - last_tick >= (o.batch_seconds if pending else max(o.batch_seconds, IDLE_TICK_SECONDS)):
                tick = handler if pending else (idle_handler or handler)
                results.append(tick([], *args))
                last_tick = now
                if results[-1]["breaks"] or results[-1]["matched"]:
                    idle_since = time.monotonic()
    finally:
        prefetch.close()
    log.info("stream %s: %d batch(es), %d record(s)", stream, batches, records)
    return {"stream": stream, "batches": batches, "records": records, "ticks": len(results) - batches,
            "seconds": round(time.monotonic() - started, 3), "last": results[-5:]}  # fmt: skip


def consume_stream(options: StreamOptions, batch_flow: BatchHandler | None = None) -> dict:
    """Open the consumer(s) and run the loop. Each batch goes to `batch_flow` (the flow's per-batch
    flow, passed in by the flow) when options.flow_run_per_batch, else to the plain steps; ticks
    with nothing to decide always run the plain steps."""
    handler = batch_flow if batch_flow is not None and options.flow_run_per_batch else reconcile_batch
    stream, consumers = open_consumers(options.stream_ref, options.replay_files, options.warehouse_ref)
    return consume(consumers, stream, handler, options, idle_handler=reconcile_batch)


consume_stream_task = task(consume_stream, name="stream-consume", cache_policy=NO_CACHE)


def land_internal(options: StreamOptions) -> dict:
    """Land the instrument master and the internal (OMS) files the drop copy is matched against.

    Same tasks as the daily flow (land_instruments, land_file): an unchanged file is skipped, a
    changed one (late bookings) replaces its rows. From a landing directory only its reference and
    internal files are used: the drop copy comes from the stream.
    """
    from recon.inputs import discover
    from tasks.land import land_file, land_instruments

    instruments, warehouse_ref = options.instruments, options.warehouse_ref
    files = [{"path": p, "mapping": "oms"} for p in options.internal or []]
    if options.landing_dir:
        day = discover(options.landing_dir)
        instruments = instruments or day.instruments
        files = [f.model_dump() for f in day.internal] + files
    count = land_instruments({"instruments": instruments}, warehouse_ref) if instruments else 0
    landed = [land_file(f, None, {"run_id": "stream-landing"}, False, warehouse_ref) for f in files]
    return {"instruments": count, "internal_files": len(landed), "internal_rows": sum(t["canonical"] for t in landed)}


land_internal_task = task(land_internal, name="stream-land-internal", cache_policy=NO_CACHE)
