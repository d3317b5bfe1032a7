"""The drop-copy gateway: a FIX session whose application messages are published, raw, to a sink.

A message counts as consumed only once the sink accepted it: the inbound sequence number is
acknowledged (persisted) after `sink.put()` returned. If the process dies between receiving and
publishing, the next Logon resumes from the acknowledged number and the ResendRequest that
follows brings the lost messages back (as PossDup resends). Duplicates can therefore reach the
stream, always marked PossDup(43)=Y when they are resends; downstream removes them by ExecID.

Publishing runs on its own thread so the session keeps reading while a put is in flight: after
each socket read the session thread queues (messages, next_in) and the publisher puts them in
order, acknowledging next_in only after the put. The queue is bounded (back-pressure). After a
refused put nothing later is acknowledged; the session drops the connection, waits for the
queue to drain, and the next Logon resumes from the last acknowledged number.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Sequence
from typing import Protocol

from recon.fix import tags
from recon.fixsession.config import SessionConfig
from recon.fixsession.initiator import Initiator
from recon.fixsession.session import AppMessage, FixSession
from recon.fixsession.store import SequenceStore, store_path

log = logging.getLogger("recon.fixsession")

ACCOUNT = int(tags.ACCOUNT)  # the default partition key, so one account's messages stay in order


class Sink(Protocol):
    """Where raw messages go; put() returns only when every record was accepted, else raises."""

    def put(self, records: Sequence[tuple[str, bytes]]) -> object: ...


class DropCopyGateway:
    def __init__(
        self,
        config: SessionConfig,
        sink: Sink,
        *,
        store: SequenceStore | None = None,
        partition_tag: int = ACCOUNT,
        batch_size: int = 500,
        max_queued_reads: int = 64,
    ):
        self.config = config
        self.sink = sink
        self.store = store or SequenceStore(
            store_path(config.begin_string, config.sender_comp_id, config.target_comp_id)
        )
        self.partition_tag = partition_tag
        self.batch_size = batch_size
        self.session = FixSession(config, self.store)
        self.initiator = Initiator(self.session, self._deliver, self._after_read, self._on_disconnect)
        self.published = 0
        self.sink_failures = 0
        self._pending: list[AppMessage] = []
        self._queued_ack = 0
        self._queue: queue.Queue[tuple[list[AppMessage], int] | None] = queue.Queue(max_queued_reads)
        self._failure: str | None = None  # set by the publisher; nothing is acknowledged after it
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def partition_key(self, message: AppMessage) -> str:
        tag = str(self.partition_tag)
        key = message.fields.get(tag)
        if key is None:  # e.g. Account(1) of a TradeCaptureReport sits in its NoSides entries
            key = next((e.get(tag) for v in message.fields.values() if isinstance(v, list) for e in v if e.get(tag)), None)
        return key or f"{self.config.target_comp_id}.{self.config.sender_comp_id}"

    # ---- running ----------------------------------------------------------------------------
    def run(self, stop: threading.Event | None = None, max_connections: int | None = None) -> None:
        """Run in the calling thread until `stop` is set (then Logout and return)."""
        publisher = threading.Thread(target=self._publish_loop, name="dropcopy-publisher", daemon=True)
        publisher.start()
        try:
            self.initiator.run(stop or self._stop, max_connections=max_connections)
        finally:
            self._queue.put(None)
            publisher.join()

    def start(self) -> DropCopyGateway:
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name="dropcopy-gateway", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def close(self) -> None:
        self.stop()
        self.store.close()

    @property
    def logged_on(self) -> threading.Event:
        return self.initiator.logged_on

    # ---- session thread ---------------------------------------------------------------------
    def _deliver(self, messages: list[AppMessage]) -> None:
        self._pending.extend(messages)

    def _after_read(self) -> str | None:
        """Queue what this read produced; report a refused put so the session disconnects."""
        if self._failure is not None:
            self._pending.clear()
            return self._failure
        next_in = self.session.next_in
        if self._pending or next_in != self._queued_ack:
            self._queue.put((self._pending, next_in))  # blocks while the publisher is far behind
            self._pending, self._queued_ack = [], next_in
        return None

    def _on_disconnect(self) -> None:
        self._after_read()
        self._queue.join()  # everything published (or skipped after a failure)
        # The next connection resumes from the acknowledged seq (FixSession.on_connected).
        self._failure = None
        self._pending.clear()
        self._queued_ack = 0

    # ---- publisher thread -------------------------------------------------------------------
    def _publish_loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                self._queue.task_done()
                return
            items = [item]
            size = len(item[0])
            while size < self.batch_size:  # merge reads that queued up meanwhile into one put
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)  # seen after this batch
                    self._queue.task_done()
                    break
                items.append(more)
                size += len(more[0])
            try:
                self._publish(items)
            finally:
                for _ in items:
                    self._queue.task_done()

    def _publish(self, items: list[tuple[list[AppMessage], int]]) -> None:
        if self._failure is not None:
            return
        messages = [m for batch, _ack in items for m in batch]
        try:
            for i in range(0, len(messages), self.batch_size):
                chunk = messages[i : i + self.batch_size]
                self.sink.put([(self.partition_key(m), m.raw) for m in chunk])
                self.published += len(chunk)
            self.store.acknowledge_in(items[-1][1])
        except Exception as exc:  # the sink gave up after its own retries (or the store failed)
            self.sink_failures += 1
            self._failure = f"sink failed: {exc}"
            log.error("publishing failed (%s); the batch stays unacknowledged and comes back by resend", exc)
