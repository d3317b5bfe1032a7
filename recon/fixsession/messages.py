"""FIX message building (simplefix.FixMessage) and reading of verified raw messages."""

from __future__ import annotations

from dataclasses import dataclass

import simplefix
from simplefix import constants as fix

from recon.fix import tags
from recon.fix.fields import FieldError, split_fields

# Session-level (admin) message types; everything else is an application message.
HEARTBEAT, TEST_REQUEST, RESEND_REQUEST, REJECT = tags.HEARTBEAT, tags.TEST_REQUEST, tags.RESEND_REQUEST, tags.REJECT
SEQUENCE_RESET, LOGOUT, LOGON = tags.SEQUENCE_RESET, tags.LOGOUT, tags.LOGON
ADMIN_TYPES = frozenset({HEARTBEAT, TEST_REQUEST, RESEND_REQUEST, REJECT, SEQUENCE_RESET, LOGOUT, LOGON})
_TRAILER_LEN = len(b"10=000\x01")


@dataclass(frozen=True)
class Inbound:
    """The fields the session layer needs from one verified message, plus the raw bytes.

    `fields` is recon.fix's split of the message: str tags, repeating groups under "<count tag>[]"."""

    raw: bytes
    msg_type: str
    seq: int
    sender: str
    target: str
    poss_dup: bool
    fields: dict

    def get(self, tag: str | int, default: str | None = None) -> str | None:
        return self.fields.get(str(tag), default)

    @property
    def is_admin(self) -> bool:
        return self.msg_type in ADMIN_TYPES


class MessageError(ValueError):
    """A framed message that lacks a field the session needs (35, 34, 49, 56)."""


def parse(raw: bytes) -> Inbound:
    """Read a framed, checksum-verified message (recon.fix.framing.StreamFramer's output).

    The same field split as the FIX parser (recon.fix.fields). The session needs only header
    fields: a message the parser would reject (a malformed field or group further on) is still
    sequenced and delivered from its header, and the parser downstream rejects it with its reason.
    """
    text = raw[:-_TRAILER_LEN].decode("latin-1")
    try:
        fields, _ = split_fields(text, "\x01")
    except FieldError as exc:
        fields = exc.fields
    try:
        seq = int(fields[tags.MSG_SEQ_NUM])
        return Inbound(
            raw=raw,
            msg_type=fields[tags.MSG_TYPE],
            seq=seq,
            sender=fields[tags.SENDER_COMP_ID],
            target=fields[tags.TARGET_COMP_ID],
            poss_dup=fields.get(tags.POSS_DUP_FLAG) == "Y",
            fields=fields,
        )
    except KeyError as missing:
        raise MessageError(f"required header field {missing} missing") from None
    except ValueError:
        raise MessageError(f"MsgSeqNum(34) is not an integer: {fields.get(tags.MSG_SEQ_NUM)!r}") from None


@dataclass
class Builder:
    """Builds our outbound admin messages with the standard header."""

    begin_string: str
    sender: str
    target: str

    def new(self, msg_type: str, seq: int, *, poss_dup: bool = False) -> simplefix.FixMessage:
        msg = simplefix.FixMessage()
        msg.append_pair(fix.TAG_BEGINSTRING, self.begin_string, header=True)
        msg.append_pair(fix.TAG_MSGTYPE, msg_type, header=True)
        msg.append_pair(fix.TAG_SENDER_COMPID, self.sender, header=True)
        msg.append_pair(fix.TAG_TARGET_COMPID, self.target, header=True)
        msg.append_pair(fix.TAG_MSGSEQNUM, seq, header=True)
        if poss_dup:
            msg.append_pair(fix.TAG_POSSDUPFLAG, "Y", header=True)
        msg.append_utc_timestamp(fix.TAG_SENDING_TIME, precision=3, header=True)
        if poss_dup:
            msg.append_utc_timestamp(fix.TAG_ORIGSENDINGTIME, precision=3, header=True)
        return msg

    def logon(self, seq: int, heartbeat_s: int, reset: bool) -> bytes:
        msg = self.new(LOGON, seq)
        msg.append_pair(fix.TAG_ENCRYPTMETHOD, 0)
        msg.append_pair(fix.TAG_HEARTBTINT, heartbeat_s)
        if reset:
            msg.append_pair(fix.TAG_RESETSEQNUMFLAG, "Y")
        return msg.encode()

    def heartbeat(self, seq: int, test_req_id: str | None = None) -> bytes:
        msg = self.new(HEARTBEAT, seq)
        if test_req_id is not None:
            msg.append_pair(fix.TAG_TESTREQID, test_req_id)
        return msg.encode()

    def test_request(self, seq: int, test_req_id: str) -> bytes:
        msg = self.new(TEST_REQUEST, seq)
        msg.append_pair(fix.TAG_TESTREQID, test_req_id)
        return msg.encode()

    def resend_request(self, seq: int, begin: int, end: int = 0) -> bytes:
        msg = self.new(RESEND_REQUEST, seq)
        msg.append_pair(fix.TAG_BEGINSEQNO, begin)
        msg.append_pair(fix.TAG_ENDSEQNO, end)
        return msg.encode()

    def gap_fill(self, seq: int, new_seq: int) -> bytes:
        """SequenceReset-GapFill sent in place of messages we will not resend (ours are all admin)."""
        msg = self.new(SEQUENCE_RESET, seq, poss_dup=True)
        msg.append_pair(fix.TAG_GAPFILLFLAG, "Y")
        msg.append_pair(fix.TAG_NEWSEQNO, new_seq)
        return msg.encode()

    def logout(self, seq: int, text: str | None = None) -> bytes:
        msg = self.new(LOGOUT, seq)
        if text:
            msg.append_pair(fix.TAG_TEXT, text)
        return msg.encode()
