"""The socket side of the session: connect, read, write, run timers, reconnect with backoff."""

from __future__ import annotations

import logging
import random
import select
import socket
import threading
import time
from collections.abc import Callable

from recon.fix.framing import StreamFramer
from recon.fixsession.session import Actions, AppMessage, FixSession, State
from recon.retry import Backoff

log = logging.getLogger("recon.fixsession")


class Initiator:
    """Runs a FixSession over TCP until `stop` is set.

    `deliver` receives application messages as they are handled; `after_read` runs once per
    socket read (after the messages of that read were handled) and returns an error text when
    the connection must be dropped (e.g. the sink refused a batch); `on_disconnect` runs before
    every reconnect.
    """

    def __init__(
        self,
        session: FixSession,
        deliver: Callable[[list[AppMessage]], None],
        after_read: Callable[[], str | None] = lambda: None,
        on_disconnect: Callable[[], None] = lambda: None,
        tick_s: float = 0.05,
    ):
        self.session = session
        self.deliver = deliver
        self.after_read = after_read
        self.on_disconnect = on_disconnect
        self.tick_s = tick_s
        self.logged_on = threading.Event()
        self.connections = 0
        self.frame_errors: list[str] = []
        self._rng = random.Random()

    def run(self, stop: threading.Event, max_connections: int | None = None) -> None:
        """Connect, serve, reconnect until `stop`: every reconnect waits recon.retry's backoff (the
        n-th since the last logged-on session), so many gateways do not reconnect in lockstep."""
        cfg = self.session.config
        backoff = Backoff(cfg.reconnect_initial_s, cfg.reconnect_max_s, self._rng)
        retries = 0
        while not stop.is_set():
            if max_connections is not None and self.connections >= max_connections:
                return
            retries += 1
            try:
                sock = socket.create_connection((cfg.host, cfg.port), timeout=5)
            except OSError as exc:
                log.warning("connect to %s:%d failed: %s; retry %d", cfg.host, cfg.port, exc, retries)
            else:
                self.connections += 1
                if self._serve(sock, stop):
                    retries = 1
            if stop.is_set():
                return
            stop.wait(backoff.delay(retries))

    def _serve(self, sock: socket.socket, stop: threading.Event) -> bool:
        session = self.session
        framer = StreamFramer()
        was_active = False
        reason = None
        sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            reason = self._apply(sock, session.on_connected(time.monotonic()))
            stopping = False
            while reason is None:
                if stop.is_set() and not stopping:
                    stopping = True
                    reason = self._apply(sock, session.logout(time.monotonic(), "gateway stopping"))
                    continue
                readable, _, _ = select.select([sock], [], [], self.tick_s)
                if readable:
                    data = sock.recv(1 << 16)
                    if not data:
                        reason = "peer closed the connection"
                        break
                    messages, errors = framer.feed(data)
                    for err in errors:
                        self.frame_errors.append(err.reason)
                        log.warning("dropped bytes from the stream: %s", err.reason)
                    for raw in messages:
                        reason = self._apply(sock, session.on_message(raw, time.monotonic()))
                        if session.state == State.ACTIVE and not was_active:
                            was_active = True
                            self.logged_on.set()
                        if reason:
                            break
                    failure = self.after_read()
                    if failure and reason is None:
                        reason = failure
                        self._apply(sock, session.logout(time.monotonic(), "gateway cannot publish"))
                if reason is None:
                    reason = self._apply(sock, session.on_timer(time.monotonic()))
        except OSError as exc:
            reason = f"socket error: {exc}"
        finally:
            log.info("disconnected: %s", reason)
            self.logged_on.clear()
            try:
                sock.close()
            finally:
                self.on_disconnect()
                session.on_disconnected()
        return was_active

    def _apply(self, sock: socket.socket, actions: Actions) -> str | None:
        for raw in actions.send:
            sock.sendall(raw)
        if actions.deliver:
            self.deliver(actions.deliver)
        return actions.disconnect
