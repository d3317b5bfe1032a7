"""The FIX session layer as a state machine without I/O: bytes in, actions out.

The initiator (initiator.py) owns the socket and the clock; this class decides what a message or
the passing of time means: what to send back, which application messages to deliver, when to
disconnect. Inbound sequence rules (FIX session protocol):

- seq == expected: handle it, expect seq + 1, then drain messages queued behind a gap.
- seq >  expected: a gap. Queue the message and ask once for a resend (7=expected, 16=0 "all").
- seq <  expected: with PossDup(43)=Y a duplicate already handled -> dropped; without it the peer
  lost its sequence -> Logout and disconnect (the FIX "MsgSeqNum too low" rule).
- SequenceReset GapFill (123=Y) moves expected to NewSeqNo(36); Reset (no 123=Y) does so
  whatever the message's own seq.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass, field

from recon.fix import tags
from recon.fixsession.config import SessionConfig
from recon.fixsession.messages import (
    HEARTBEAT,
    LOGON,
    LOGOUT,
    REJECT,
    RESEND_REQUEST,
    SEQUENCE_RESET,
    TEST_REQUEST,
    Builder,
    Inbound,
    MessageError,
    parse,
)
from recon.fixsession.store import SequenceStore

log = logging.getLogger("recon.fixsession")


class State(enum.Enum):
    DISCONNECTED = "disconnected"
    LOGON_SENT = "logon_sent"
    ACTIVE = "active"
    LOGOUT_SENT = "logout_sent"


@dataclass(frozen=True)
class AppMessage:
    """An application message to publish: raw bytes exactly as received."""

    seq: int
    msg_type: str
    poss_dup: bool
    raw: bytes
    fields: dict  # recon.fix.fields.split_fields: str tags, groups under "<count tag>[]"


@dataclass
class Actions:
    send: list[bytes] = field(default_factory=list)
    deliver: list[AppMessage] = field(default_factory=list)
    disconnect: str | None = None  # reason, when the connection must be closed

    def extend(self, other: Actions) -> None:
        self.send += other.send
        self.deliver += other.deliver
        self.disconnect = self.disconnect or other.disconnect


@dataclass
class Counters:
    received: int = 0
    delivered: int = 0
    duplicates_dropped: int = 0
    resend_requests_sent: int = 0
    gap_fills_received: int = 0
    test_requests_sent: int = 0
    malformed: int = 0


class FixSession:
    def __init__(self, config: SessionConfig, store: SequenceStore):
        self.config = config
        self.store = store
        self.builder = Builder(config.begin_string, config.sender_comp_id, config.target_comp_id)
        self.state = State.DISCONNECTED
        self.next_in = store.next_in
        self.counters = Counters()
        self._queue: dict[int, Inbound] = {}
        self._resend_until = 0  # a resend is in flight until next_in passes this seq
        self._last_received = 0.0
        self._last_sent = 0.0
        self._state_since = 0.0
        self._test_req_id: str | None = None
        self._test_req_at = 0.0

    # ---- lifecycle --------------------------------------------------------------------------
    def on_connected(self, now: float) -> Actions:
        """A new TCP connection: resume inbound from the last acknowledged seq and send Logon."""
        self._queue.clear()
        self._resend_until = 0
        self._test_req_id = None
        if self.config.reset_on_logon:
            self.store.reset()
        self.next_in = self.store.next_in
        self._last_received = now
        self._enter(State.LOGON_SENT, now)
        hb = self.config.heartbeat_s
        return self._send(now, self.builder.logon(self.store.take_out(), hb, self.config.reset_on_logon))

    def on_disconnected(self) -> None:
        self.state = State.DISCONNECTED
        self._queue.clear()

    def logout(self, now: float, text: str | None = None) -> Actions:
        if self.state not in (State.ACTIVE, State.LOGON_SENT):
            return Actions(disconnect="not logged on")
        self._enter(State.LOGOUT_SENT, now)
        return self._send(now, self.builder.logout(self.store.take_out(), text))

    @property
    def resend_in_flight(self) -> bool:
        return self._resend_until >= self.next_in

    # ---- inbound ----------------------------------------------------------------------------
    def on_message(self, raw: bytes, now: float) -> Actions:
        self._last_received = now
        self._test_req_id = None  # any message answers our TestRequest
        self.counters.received += 1
        try:
            msg = parse(raw)
        except MessageError as exc:
            # A garbled message still used a seq; the gap it leaves is recovered by a resend.
            self.counters.malformed += 1
            log.warning("malformed inbound message (%s): %r", exc, raw[:200])
            return Actions()
        if (msg.sender, msg.target) != (self.config.target_comp_id, self.config.sender_comp_id):
            return self._fatal(now, f"CompID mismatch: got {msg.sender}->{msg.target}")
        if self.state == State.LOGON_SENT and msg.msg_type == LOGOUT:
            return Actions(disconnect=f"logon rejected: {msg.get(tags.TEXT, '(no text)')}")
        if self.state == State.LOGON_SENT and msg.msg_type != LOGON:
            return self._fatal(now, f"first message must be Logon, got 35={msg.msg_type}")
        if msg.msg_type == SEQUENCE_RESET and msg.get(tags.GAP_FILL_FLAG) != "Y":
            return self._sequence_reset(msg, now)

        if msg.seq > self.next_in:
            return self._gap(msg, now)
        if msg.seq < self.next_in:
            if msg.poss_dup:
                self.counters.duplicates_dropped += 1
                return Actions()
            return self._fatal(now, f"MsgSeqNum too low, expecting {self.next_in} but received {msg.seq}")
        actions = self._handle(msg, now)
        actions.extend(self._drain(now))
        return actions

    def _gap(self, msg: Inbound, now: float) -> Actions:
        actions = Actions()
        if msg.msg_type == LOGON:  # handle the logon itself, then recover what came before it
            actions.extend(self._logon(msg, now))
            if msg.seq < self.next_in:  # the peer reset its sequence: no gap after all
                return actions
        elif msg.msg_type == LOGOUT:
            return self._logout_received(msg, now)
        elif msg.msg_type == RESEND_REQUEST:
            actions.extend(self._resend_request(msg, now))
        if len(self._queue) >= self.config.max_queued:
            return self._fatal(now, f"more than {self.config.max_queued} messages queued behind a gap")
        self._queue[msg.seq] = msg
        if not self.resend_in_flight:
            self._resend_until = msg.seq
            self.counters.resend_requests_sent += 1
            log.info("gap: expected %d, received %d; ResendRequest %d-0", self.next_in, msg.seq, self.next_in)
            actions.extend(self._send(now, self.builder.resend_request(self.store.take_out(), self.next_in, 0)))
        return actions

    def _drain(self, now: float) -> Actions:
        actions = Actions()
        for seq in [s for s in self._queue if s < self.next_in]:
            del self._queue[seq]
        while self.next_in in self._queue and not actions.disconnect:
            msg = self._queue.pop(self.next_in)
            actions.extend(self._handle(msg, now, from_queue=True))
        return actions

    def _handle(self, msg: Inbound, now: float, from_queue: bool = False) -> Actions:
        """Handle an in-sequence message and advance next_in."""
        actions = Actions()
        kind = msg.msg_type
        self.next_in = msg.seq + 1
        if kind == LOGON:
            if not from_queue:
                actions.extend(self._logon(msg, now))
        elif kind == HEARTBEAT:
            pass
        elif kind == TEST_REQUEST:
            actions.extend(self._send(now, self.builder.heartbeat(self.store.take_out(), msg.get(tags.TEST_REQ_ID, ""))))
        elif kind == RESEND_REQUEST:
            if not from_queue:  # already answered when it arrived ahead of the gap
                actions.extend(self._resend_request(msg, now))
        elif kind == SEQUENCE_RESET:  # gap fill (reset mode is handled before sequencing)
            self.counters.gap_fills_received += 1
            new_seq = _int(msg.get(tags.NEW_SEQ_NO))
            if new_seq is None or new_seq < msg.seq:
                log.warning("ignoring SequenceReset-GapFill with NewSeqNo %r at seq %d", msg.get(tags.NEW_SEQ_NO), msg.seq)
            else:
                self.next_in = new_seq
        elif kind == LOGOUT:
            actions.extend(self._logout_received(msg, now))
        elif kind == REJECT:
            log.warning("session Reject from peer: %s", msg.get(tags.TEXT, "(no text)"))
        else:
            self.counters.delivered += 1
            actions.deliver.append(AppMessage(msg.seq, kind, msg.poss_dup, msg.raw, msg.fields))
        return actions

    def _logon(self, msg: Inbound, now: float) -> Actions:
        if msg.get(tags.RESET_SEQ_NUM_FLAG) == "Y" and not self.config.reset_on_logon:
            # The peer reset its sequence: our inbound restarts at its logon's seq.
            log.warning("peer logon with ResetSeqNumFlag: inbound sequence restarts at %d", msg.seq)
            self.next_in = msg.seq + 1
            self.store.reset(next_in=msg.seq + 1, next_out=self.store.next_out)
        self._enter(State.ACTIVE, now)
        log.info("logged on %s->%s (inbound from %d)", self.config.sender_comp_id, self.config.target_comp_id, self.next_in)
        return Actions()

    def _resend_request(self, msg: Inbound, now: float) -> Actions:
        """We send only admin messages, so any resend is answered with one gap fill."""
        begin = _int(msg.get(tags.BEGIN_SEQ_NO)) or 1
        if begin >= self.store.next_out:
            return Actions()
        raw = self.builder.gap_fill(begin, self.store.next_out)
        return self._send(now, raw)

    def _sequence_reset(self, msg: Inbound, now: float) -> Actions:
        new_seq = _int(msg.get(tags.NEW_SEQ_NO))
        if new_seq is None or new_seq < self.next_in:
            log.warning("ignoring SequenceReset-Reset to %r (expecting %d)", msg.get(tags.NEW_SEQ_NO), self.next_in)
            return Actions()
        log.warning("SequenceReset-Reset: inbound jumps from %d to %d", self.next_in, new_seq)
        self.next_in = new_seq
        return self._drain(now)

    def _logout_received(self, msg: Inbound, now: float) -> Actions:
        if self.state == State.LOGOUT_SENT:
            return Actions(disconnect="logout confirmed")
        actions = self._send(now, self.builder.logout(self.store.take_out()))
        actions.disconnect = f"peer logged out: {msg.get(tags.TEXT, '')}".strip()
        return actions

    def _fatal(self, now: float, reason: str) -> Actions:
        log.error("session error: %s", reason)
        actions = Actions(disconnect=reason)
        if self.state in (State.ACTIVE, State.LOGON_SENT):
            actions.send.append(self.builder.logout(self.store.take_out(), reason[:200]))
        return actions

    # ---- time -------------------------------------------------------------------------------
    def on_timer(self, now: float) -> Actions:
        hb = self.config.heartbeat_s
        if self.state == State.LOGON_SENT and now - self._state_since > self.config.logon_timeout_s:
            return Actions(disconnect="no Logon reply")
        if self.state == State.LOGOUT_SENT and now - self._state_since > self.config.logout_timeout_s:
            return Actions(disconnect="no Logout reply")
        if self.state != State.ACTIVE:
            return Actions()
        if self._test_req_id is not None:
            if now - self._test_req_at > hb:
                return Actions(disconnect=f"peer silent for {now - self._last_received:.1f}s after TestRequest")
        elif now - self._last_received > hb * 1.2:
            self._test_req_id = f"TEST-{int(now * 1000)}"
            self._test_req_at = now
            self.counters.test_requests_sent += 1
            return self._send(now, self.builder.test_request(self.store.take_out(), self._test_req_id))
        if now - self._last_sent >= hb:
            return self._send(now, self.builder.heartbeat(self.store.take_out()))
        return Actions()

    # ---- helpers ----------------------------------------------------------------------------
    def _send(self, now: float, raw: bytes) -> Actions:
        self._last_sent = now
        return Actions(send=[raw])

    def _enter(self, state: State, now: float) -> None:
        self.state = state
        self._state_since = now


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
