"""Split a TCP byte stream into whole FIX messages, verifying BodyLength (9) and CheckSum (10).

simplefix does not verify either, and junk before `8=` leaves its parser stuck, so the session
frames messages itself and hands simplefix only complete, verified messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SOH = b"\x01"
# 8=FIX...|9=<digits>|  (BodyLength counts from the byte after its SOH up to and including the SOH
# before 10=)
_HEADER = re.compile(rb"8=([^\x01]{1,16})\x019=(\d{1,9})\x01")
_TRAILER_LEN = 7  # b"10=NNN\x01"
MAX_BODY = 1 << 20  # 1 MiB: a larger BodyLength means the stream is corrupt, not a real message


def checksum(data: bytes) -> int:
    return sum(data) % 256


@dataclass
class FrameError:
    """A stretch of the byte stream that is not a valid message, and why."""

    reason: str
    data: bytes


@dataclass
class Framer:
    """Accumulates bytes; `feed()` returns the complete messages and the errors found so far."""

    buffer: bytearray = field(default_factory=bytearray)

    def feed(self, data: bytes) -> tuple[list[bytes], list[FrameError]]:
        self.buffer += data
        messages: list[bytes] = []
        errors: list[FrameError] = []
        while True:
            start = self.buffer.find(b"8=")
            if start < 0:
                # keep a trailing b"8" that may be the start of the next header
                keep = 1 if self.buffer.endswith(b"8") else 0
                if len(self.buffer) > keep:
                    errors.append(FrameError("junk without a BeginString", bytes(self.buffer[: len(self.buffer) - keep])))
                    del self.buffer[: len(self.buffer) - keep]
                break
            if start > 0:
                errors.append(FrameError("junk before BeginString", bytes(self.buffer[:start])))
                del self.buffer[:start]
            head = _HEADER.match(self.buffer)
            if head is None:
                if self._header_incomplete():
                    break  # wait for more bytes
                errors.append(FrameError("garbled header (8= then 9=BodyLength expected)", bytes(self.buffer[:2])))
                del self.buffer[:2]
                continue
            body_len = int(head.group(2))
            if body_len > MAX_BODY:
                errors.append(FrameError(f"BodyLength {body_len} exceeds {MAX_BODY}", bytes(head.group(0))))
                del self.buffer[: head.end()]
                continue
            total = head.end() + body_len + _TRAILER_LEN
            if len(self.buffer) < total:
                break
            msg = bytes(self.buffer[:total])
            trailer = msg[-_TRAILER_LEN:]
            if not (trailer.startswith(b"10=") and trailer.endswith(SOH) and trailer[3:6].isdigit()):
                errors.append(FrameError("BodyLength does not end at CheckSum (10=)", msg))
                # resynchronise on the next BeginString after this header
                del self.buffer[:2]
                continue
            del self.buffer[:total]
            if int(trailer[3:6]) != checksum(msg[:-_TRAILER_LEN]):
                errors.append(FrameError(f"CheckSum {trailer[3:6].decode()} != {checksum(msg[:-_TRAILER_LEN]):03d}", msg))
                continue
            messages.append(msg)
        return messages, errors

    def _header_incomplete(self) -> bool:
        """True while the buffer could still become a valid header once more bytes arrive."""
        return re.fullmatch(rb"8=[^\x01]{0,16}(\x01(9(=\d{0,9})?)?)?", bytes(self.buffer)) is not None
