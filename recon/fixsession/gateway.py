"""The drop-copy gateway: a FIX session whose application messages are published, raw, to a sink.

A message counts as consumed only once the sink accepted it: the inbound sequence number is
acknowledged (persisted) after `sink.put()` returned. If the process dies between receiving and
publishing, the next Logon resumes from the acknowledged number and the ResendRequest that
follows brings the lost messages back (as PossDup resends). Duplicates can therefore reach the
stream, always marked PossDup(43)=Y when they are resends; downstream removes them by ExecID.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Protocol

from recon.fixsession.config import SessionConfig
from recon.fixsession.initiator import Initiator
from recon.fixsession.session import AppMessage, FixSession
from recon.fixsession.store import SequenceStore, store_path

log = logging.getLogger("recon.fixsession")

ACCOUNT = 1  # FIX tag Account: the default partition key, so one account's messages stay in order


class Sink(Protocol):
    """Where raw messages go; put() returns only when every record was accepted, else raises."""

    def put(self, records: Sequence[tuple[str, bytes]]) -> None: ...


class DropCopyGateway:
    def __init__(
        self,
        config: SessionConfig,
        sink: Sink,
        *,
        store: SequenceStore | None = None,
        partition_tag: int = ACCOUNT,
        batch_size: int = 500,
    ):
        self.config = config
        self.sink = sink
        self.store = store or SequenceStore(
            store_path(config.begin_string, config.sender_comp_id, config.target_comp_id)
        )
        self.partition_tag = partition_tag
        self.batch_size = batch_size
        self.session = FixSession(config, self.store)
        self.initiator = Initiator(self.session, self._deliver, self._flush, self._on_disconnect)
        self.published = 0
        self.sink_failures = 0
        self._pending: list[AppMessage] = []
        self._refused = False  # a batch was refused: acknowledge nothing more on this connection
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def partition_key(self, message: AppMessage) -> str:
        key = message.fields.get(self.partition_tag)
        return key or f"{self.config.target_comp_id}.{self.config.sender_comp_id}"

    # ---- running ----------------------------------------------------------------------------
    def run(self, stop: threading.Event | None = None, max_connections: int | None = None) -> None:
        """Run in the calling thread until `stop` is set (then Logout and return)."""
        self.initiator.run(stop or self._stop, max_connections=max_connections)

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

    # ---- publishing and acknowledging -------------------------------------------------------
    def _deliver(self, messages: list[AppMessage]) -> None:
        self._pending.extend(messages)

    def _flush(self) -> str | None:
        """Publish what is pending, then acknowledge everything the session has handled."""
        if self._refused:
            self._pending.clear()
            return "sink refused a batch"
        while self._pending:
            batch = self._pending[: self.batch_size]
            try:
                self.sink.put([(self.partition_key(m), m.raw) for m in batch])
            except Exception as exc:  # the sink gave up after its own retries
                self.sink_failures += 1
                log.error("sink refused %d messages (%s); they stay unacknowledged", len(self._pending), exc)
                self._pending.clear()  # the resend after reconnecting brings them back
                self._refused = True
                return f"sink failed: {exc}"
            del self._pending[: len(batch)]
            self.published += len(batch)
        self.store.acknowledge_in(self.session.next_in)
        return None

    def _on_disconnect(self) -> None:
        self._flush()
        # The next connection resumes from the acknowledged seq (FixSession.on_connected).
        self._refused = False
