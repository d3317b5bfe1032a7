"""FIX message building (simplefix.FixMessage) and reading of verified raw messages."""

from __future__ import annotations

from dataclasses import dataclass

import simplefix

# Session-level (admin) message types; everything else is an application message.
HEARTBEAT, TEST_REQUEST, RESEND_REQUEST, REJECT, SEQUENCE_RESET, LOGOUT, LOGON = "0", "1", "2", "3", "4", "5", "A"
ADMIN_TYPES = frozenset({HEARTBEAT, TEST_REQUEST, RESEND_REQUEST, REJECT, SEQUENCE_RESET, LOGOUT, LOGON})


@dataclass(frozen=True)
class Inbound:
    """The fields the session layer needs from one verified message, plus the raw bytes."""

    raw: bytes
    msg_type: str
    seq: int
    sender: str
    target: str
    poss_dup: bool
    fields: dict[int, str]

    def get(self, tag: int, default: str | None = None) -> str | None:
        return self.fields.get(tag, default)

    @property
    def is_admin(self) -> bool:
        return self.msg_type in ADMIN_TYPES


class MessageError(ValueError):
    """A framed message that lacks a field the session needs (35, 34, 49, 56)."""


def parse(raw: bytes) -> Inbound:
    """Read a framed, checksum-verified message (first occurrence of each tag).

    A plain split, not simplefix's parser: measured 10x faster (42k vs 4k messages/s here), and
    the session only needs header fields of a message the framer has already verified. Pieces
    that are not tag=value (binary data fields containing SOH) are skipped, not fatal.
    """
    fields: dict[int, str] = {}
    for piece in raw.split(b"\x01"):
        tag, sep, value = piece.partition(b"=")
        if sep and tag.isdigit():
            fields.setdefault(int(tag), value.decode("latin-1"))
    try:
        seq = int(fields[34])
        return Inbound(
            raw=raw,
            msg_type=fields[35],
            seq=seq,
            sender=fields[49],
            target=fields[56],
            poss_dup=fields.get(43) == "Y",
            fields=fields,
        )
    except KeyError as missing:
        raise MessageError(f"required header field {missing} missing") from None
    except ValueError:
        raise MessageError(f"MsgSeqNum(34) is not an integer: {fields.get(34)!r}") from None


@dataclass
class Builder:
    """Builds our outbound admin messages with the standard header."""

    begin_string: str
    sender: str
    target: str

    def new(self, msg_type: str, seq: int, *, poss_dup: bool = False) -> simplefix.FixMessage:
        msg = simplefix.FixMessage()
        msg.append_pair(8, self.begin_string, header=True)
        msg.append_pair(35, msg_type, header=True)
        msg.append_pair(49, self.sender, header=True)
        msg.append_pair(56, self.target, header=True)
        msg.append_pair(34, seq, header=True)
        if poss_dup:
            msg.append_pair(43, "Y", header=True)
        msg.append_utc_timestamp(52, precision=3, header=True)
        if poss_dup:
            msg.append_utc_timestamp(122, precision=3, header=True)
        return msg

    def logon(self, seq: int, heartbeat_s: int, reset: bool) -> bytes:
        msg = self.new(LOGON, seq)
        msg.append_pair(98, 0)
        msg.append_pair(108, heartbeat_s)
        if reset:
            msg.append_pair(141, "Y")
        return msg.encode()

    def heartbeat(self, seq: int, test_req_id: str | None = None) -> bytes:
        msg = self.new(HEARTBEAT, seq)
        if test_req_id is not None:
            msg.append_pair(112, test_req_id)
        return msg.encode()

    def test_request(self, seq: int, test_req_id: str) -> bytes:
        msg = self.new(TEST_REQUEST, seq)
        msg.append_pair(112, test_req_id)
        return msg.encode()

    def resend_request(self, seq: int, begin: int, end: int = 0) -> bytes:
        msg = self.new(RESEND_REQUEST, seq)
        msg.append_pair(7, begin)
        msg.append_pair(16, end)
        return msg.encode()

    def gap_fill(self, seq: int, new_seq: int) -> bytes:
        """SequenceReset-GapFill sent in place of messages we will not resend (ours are all admin)."""
        msg = self.new(SEQUENCE_RESET, seq, poss_dup=True)
        msg.append_pair(123, "Y")
        msg.append_pair(36, new_seq)
        return msg.encode()

    def logout(self, seq: int, text: str | None = None) -> bytes:
        msg = self.new(LOGOUT, seq)
        if text:
            msg.append_pair(58, text)
        return msg.encode()
