"""The long-running consumer loop: poll -> reconcile one micro-batch -> checkpoint.

The loop is a step (one task in the long-running flow) because it branches on what each poll
returns, which a traced flow cannot. Each batch goes to a handler named by import path - by
default the per-batch Prefect flow (flows/stream.py:reconcile_stream_batch, one flow run per
batch with its artifact), or `tasks.stream_consume:reconcile_batch`, the same three steps as plain
calls (no orchestration overhead; what the benchmark measures). The checkpoint comes only after
the handler returned, i.e. after the batch's results were committed.
"""

from __future__ import annotations

import importlib
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

log = logging.getLogger("recon.stream")
DEFAULT_HANDLER = "flows.stream:reconcile_stream_batch"
PLAIN_HANDLER = "tasks.stream_consume:reconcile_batch"
IDLE_TICK_SECONDS = 10.0


def reconcile_batch(batch: list[dict], stream: str, broker: str | None = None, senders: dict | None = None,
                    window_seconds: float = 60.0, warehouse_ref: str | None = None) -> dict:  # fmt: skip
    """The per-batch flow's three steps as plain calls."""
    ingested = ingest_stream_batch(batch, stream, broker, senders, warehouse_ref)
    reconciled = reconcile_stream_keys(ingested, window_seconds, warehouse_ref)
    return record_batch_metrics(ingested, reconciled, window_seconds, warehouse_ref)


def load_handler(path: str) -> Callable[..., dict]:
    module, _, name = path.partition(":")
    if not module or not name:
        raise ValueError(f"handler must look like 'package.module:function', not {path!r}")
    return getattr(importlib.import_module(module), name)


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
    handler: Callable[..., dict],
    *,
    broker: str | None = None,
    senders: dict | None = None,
    batch_size: int = 500,
    batch_seconds: float = 1.0,
    window_seconds: float = 60.0,
    max_batches: int | None = None,
    duration_seconds: float | None = None,
    stop_when_idle: float | None = None,
    warehouse_ref: str | None = None,
    idle_handler: Callable[..., dict] | None = None,
) -> dict:
    """Run until max_batches non-empty batches, duration_seconds, or stop_when_idle seconds without a
    record and with nothing pending; -> totals and the last batches' metrics.

    idle_handler (default: handler) runs the ticks with no record and no fill waiting for its
    window (they look for late internal bookings): the per-batch flow would otherwise add a flow
    run to the Prefect UI every IDLE_TICK_SECONDS of a quiet stream."""
    if batch_size < 1 or batch_seconds <= 0:
        raise ValueError("batch_size must be >= 1 and batch_seconds > 0")
    warm_up(warehouse_ref)
    started = time.monotonic()
    idle_since = started
    batches, records, results = 0, 0, []
    last_tick = time.monotonic()
    prefetch = Prefetcher(consumers, batch_size, batch_seconds)
    try:
        while True:
            now = time.monotonic()
            if duration_seconds is not None and now - started >= duration_seconds:
                break
            if max_batches is not None and batches >= max_batches:
                break
            index, polled = prefetch.get(timeout=batch_seconds)
            if polled:
                file_broker = consumers[index][1]
                result = handler(batch_payload(polled, file_broker), stream, broker, senders, window_seconds, warehouse_ref)
                prefetch.checkpoint(index, polled)  # only after the batch's results were committed
                batches, records = batches + 1, records + len(polled)
                results.append(result)
                idle_since = time.monotonic()
                continue
            pending = results[-1]["pending"] if results else 0
            # Checked before a tick is: when ticks are due on every poll, they must not starve it.
            if stop_when_idle is not None and not pending and time.monotonic() - idle_since >= stop_when_idle:
                break
            # Windows pass, and internal bookings land, without new records: tick the reconciliation
            # (every batch_seconds while fills wait for their window, else every IDLE_TICK_SECONDS).
            if now - last_tick >= (batch_seconds if pending else max(batch_seconds, IDLE_TICK_SECONDS)):
                tick = handler if pending else (idle_handler or handler)
                results.append(tick([], stream, broker, senders, window_seconds, warehouse_ref))
                last_tick = now
                if results[-1]["breaks"] or results[-1]["matched"]:
                    idle_since = time.monotonic()
    finally:
        prefetch.close()
    log.info("stream %s: %d batch(es), %d record(s)", stream, batches, records)
    return {"stream": stream, "batches": batches, "records": records, "ticks": len(results) - batches,
            "seconds": round(time.monotonic() - started, 3), "last": results[-5:]}  # fmt: skip


def consume_stream(
    stream_ref: str | None = None,
    replay_files: list[str] | None = None,
    broker: str | None = None,
    senders: dict | None = None,
    batch_size: int = 500,
    batch_seconds: float = 1.0,
    window_seconds: float = 60.0,
    max_batches: int | None = None,
    duration_seconds: float | None = None,
    stop_when_idle: float | None = None,
    warehouse_ref: str | None = None,
    flow_run_per_batch: bool = True,
    handler: str | None = None,
) -> dict:
    """Open the consumer(s) and run the loop; each batch goes to `handler` (an import path), by
    default the per-batch flow, or the plain steps when flow_run_per_batch is False."""
    handler = handler or (DEFAULT_HANDLER if flow_run_per_batch else PLAIN_HANDLER)
    stream, consumers = open_consumers(stream_ref, replay_files, warehouse_ref)
    return consume(
        consumers, stream, load_handler(handler), broker=broker, senders=senders, batch_size=batch_size,
        batch_seconds=batch_seconds, window_seconds=window_seconds, max_batches=max_batches,
        duration_seconds=duration_seconds, stop_when_idle=stop_when_idle, warehouse_ref=warehouse_ref,
        idle_handler=load_handler(PLAIN_HANDLER),
    )  # fmt: skip


consume_stream_task = task(consume_stream, name="stream-consume", cache_policy=NO_CACHE)


def land_internal(landing_dir: str | None = None, internal: list[str] | None = None,
                  instruments: str | None = None, warehouse_ref: str | None = None) -> dict:  # fmt: skip
    """Land the instrument master and the internal (OMS) files the drop copy is matched against.

    Same tasks as the daily flow (land_instruments, land_file): an unchanged file is skipped, a
    changed one (late bookings) replaces its rows. From a landing directory only its reference and
    internal files are used: the drop copy comes from the stream.
    """
    from recon.inputs import discover
    from tasks.land import land_file, land_instruments

    files = [{"path": p, "mapping": "oms"} for p in internal or []]
    if landing_dir:
        day = discover(landing_dir)
        instruments = instruments or day.instruments
        files = [f.model_dump() for f in day.internal] + files
    count = land_instruments({"instruments": instruments}, warehouse_ref) if instruments else 0
    landed = [land_file(f, None, {"run_id": "stream-landing"}, False, warehouse_ref) for f in files]
    return {"instruments": count, "internal_files": len(landed), "internal_rows": sum(t["canonical"] for t in landed)}


land_internal_task = task(land_internal, name="stream-land-internal", cache_policy=NO_CACHE)
