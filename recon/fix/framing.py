"""The one FIX framer: find messages in bytes and verify their BodyLength (9) and CheckSum (10).

Two ways in, one set of rules:
- `scan(buf)` reads a whole buffer (a file, a Kinesis record): raw SOH-delimited messages,
  '|'-delimited log lines, log lines with a timestamp prefix ("20261127-14:30:01.123 : 8=FIX.4.4|9=..."),
  zero-padded BodyLength ("9=0000202"). Everything that is not a well-framed message becomes a
  `Framed` item with an error (garbage between messages, junk before "8=", truncated message, wrong
  BodyLength, bad CheckSum) so the caller can write a reject and carry on with the next message.
- `StreamFramer.feed(data)` reads a TCP byte stream as it arrives (the FIX session layer): the same
  framing, waiting for more bytes where a message is incomplete, SOH only, and whole wire messages
  (CheckSum included) out.
`checksum()` is the CheckSum of a message (the generator's encoder uses it too).

simplefix verifies neither BodyLength nor CheckSum and gets stuck on junk; this scanner works on
the whole buffer with bytes.find, so the cost is per message, not per byte in Python.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from simplefix.constants import TAG_BEGINSTRING, TAG_BODYLENGTH, TAG_CHECKSUM

SOH = 0x01
PIPE = 0x7C
# '|' logs show SOH as '|': checksums were computed over SOH, so each '|' adds 0x7C - 0x01 too much.
_PIPE_EXCESS = PIPE - SOH
_BEGIN = TAG_BEGINSTRING + b"=FIX"
_BODY_LENGTH = TAG_BODYLENGTH + b"="
_CHECKSUM = TAG_CHECKSUM + b"="
# A log line may start with a timestamp (QuickFIX: "20261127-14:30:01.123 : ", ISO with T or space).
_TIMESTAMP_PREFIX = re.compile(
    rb"\s*\d{4}-?\d{2}-?\d{2}[-T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?Z?(?:\s|:|$)[^=\x01]*$"
)
_RAW_LIMIT = 2000  # longest raw text kept on a garbage reject (the line number locates the rest)


@dataclass(slots=True)
class Framed:
    """One message (text from "8=" up to, not including, "10=") or one error found while scanning.

    `text` keeps the message's own delimiter; `delim` is "\\x01" or "|". On error, `error` holds the
    reject reason and `raw` the offending bytes as text.
    """

    line: int
    text: str | None = None
    delim: str = "\x01"
    error: str | None = None
    raw: str | None = None


def byte_sum(data: bytes) -> int:
    """sum(data), 5x faster: adler32's low half is (1 + sum) mod 65521, exact while the sum of a
    chunk stays below 65520, i.e. for chunks of up to 256 bytes (255 * 256 + 1 < 65521)."""
    n = len(data)
    if n <= 256:
        return (zlib.adler32(data) & 0xFFFF) - 1
    view = memoryview(data)
    total = 0
    for i in range(0, n, 256):
        total += (zlib.adler32(view[i : i + 256]) & 0xFFFF) - 1
    return total


def checksum(data: bytes) -> int:
    """FIX CheckSum(10) of the bytes before "10=": their sum modulo 256."""
    return byte_sum(data) % 256


def _decode(b: bytes) -> str:
    try:
        return b.decode()
    except UnicodeDecodeError:
        return b.decode("latin-1")


def _show(b: bytes) -> str:
    return _decode(b[:_RAW_LIMIT]).replace("\x01", "|")


def _garbage(chunk: bytes, first_line: int) -> Iterator[Framed]:
    """One reject per non-blank line of text that is not part of any message."""
    for offset, text in enumerate(chunk.split(b"\n")):
        if text.strip():
            yield Framed(
                first_line + offset,
                error=f"garbage between messages: {_show(text.strip())!r}",
                raw=_show(text),
            )


def scan(buf: bytes, first_line: int = 1) -> Iterator[Framed]:
    """Yield every message and every framing error in `buf`, in order. `first_line` numbers line 1."""
    pos = 0
    line = first_line  # line number at `pos`
    n = len(buf)
    count = buf.count
    while pos < n:
        start = find_begin(buf, pos)
        if start < 0:
            yield from _garbage(buf[pos:], line)
            return
        if start > pos:
            between = buf[pos:start]
            nl = between.rfind(b"\n")
            if nl >= 0:
                if nl and not between[:nl].isspace():
                    yield from _garbage(between[:nl], line)
                line += between.count(b"\n")
            prefix = between[nl + 1 :]
            if prefix and not prefix.isspace() and not _TIMESTAMP_PREFIX.match(prefix):
                yield Framed(
                    line, error=f"junk before 8= on the message's line: {_show(prefix)!r}", raw=_show(prefix)
                )
        framed = _fast_frame(buf, start, line) or _frame(buf, start, line)
        yield framed[0]
        end = framed[1]
        line += count(b"\n", start, end)
        pos = end


def find_begin(buf: bytes, pos: int, end: int | None = None) -> int:
    """Index of the next "8=FIX" that starts a field (not the tail of e.g. "58=FIX..."), or -1."""
    end = len(buf) if end is None else end
    while True:
        k = buf.find(_BEGIN, pos, end)
        if k <= 0 or not (0x30 <= buf[k - 1] <= 0x39):
            return k
        pos = k + 1


def _next_begin(buf: bytes, start: int) -> int:
    nxt = find_begin(buf, start + 5)
    return len(buf) if nxt < 0 else nxt


_HEAD = re.compile(re.escape(_BEGIN) + rb"[^\x01|\n]{1,16}([\x01|])" + _BODY_LENGTH + rb"(\d{1,9})\1")
_CHECKSUM_AT = {b"\x01": b"\x01" + _CHECKSUM, b"|": b"|" + _CHECKSUM}
_DELIM_TEXT = {b"\x01": "\x01", b"|": "|"}
_ENDINGS = (b"", b"\n", b"\r")


def _fast_frame(buf: bytes, start: int, line: int) -> tuple[Framed, int] | None:
    """The common case in one regex match and a few slices; None sends the message to _frame,
    which finds and names whatever is wrong."""
    m = _HEAD.match(buf, start)
    if m is None:
        return None
    dch = m.group(1)
    cs = m.end() + int(m.group(2))
    if buf[cs - 1 : cs + 3] != _CHECKSUM_AT[dch]:
        return None
    value = buf[cs + 3 : cs + 6]
    after = buf[cs + 6 : cs + 7]
    if len(value) != 3 or not value.isdigit() or (after != dch and after not in _ENDINGS):
        return None
    body = buf[start:cs]
    total = byte_sum(body)
    if dch == b"|":
        total -= _PIPE_EXCESS * body.count(b"|")
    if total % 256 != int(value):
        return None
    return Framed(line, _decode(body), _DELIM_TEXT[dch]), (cs + 7 if after == dch else cs + 6)


def _frame(buf: bytes, start: int, line: int, final: bool = True) -> tuple[Framed, int] | None:
    """Frame the message starting at `start`; return it (or its error) and where scanning resumes.

    final=False (a stream still arriving): None where more bytes could change the answer."""
    n = len(buf)
    # The delimiter is whatever ends BeginString: SOH on the wire, '|' in most logs.
    i = start + 5
    limit = min(n, start + 32)
    while i < limit and buf[i] not in (SOH, PIPE, 0x0A):
        i += 1
    if i >= limit or buf[i] == 0x0A:
        if not final and limit == n:
            return None
        end = _next_begin(buf, start)
        return Framed(
            line,
            error="truncated message: BeginString(8) not followed by a delimiter",
            raw=_show(buf[start:end]),
        ), end
    d = buf[i]
    dch = b"\x01" if d == SOH else b"|"
    # BodyLength must be the second field.
    if buf[i + 1 : i + 3] != _BODY_LENGTH:
        if not final and i + 3 > n:
            return None
        end = _next_begin(buf, start)
        return Framed(line, error="missing BodyLength(9) as second field", raw=_show(buf[start:end])), end
    j = buf.find(dch, i + 3, i + 24)
    if j < 0:
        if not final and i + 24 > n:
            return None
        end = _next_begin(buf, start)
        return Framed(
            line, error="truncated message: BodyLength(9) not terminated", raw=_show(buf[start:end])
        ), end
    length_text = buf[i + 3 : j]
    if not length_text.isdigit():
        end = _next_begin(buf, start)
        return Framed(
            line, error=f"BodyLength(9) not a number: {_show(length_text)!r}", raw=_show(buf[start:end])
        ), end
    declared = int(length_text)
    body_start = j + 1
    cs = body_start + declared  # where "10=" must begin
    if not final and cs + 7 > n:
        return None
    if buf[cs - 1 : cs + 3] == dch + _CHECKSUM and cs > body_start:
        checksum_at = cs
    else:
        # Where does the message really end? The first "<delim>10=" before the next "8=FIX".
        nxt = _next_begin(buf, start)
        k = buf.find(dch + _CHECKSUM, body_start - 1, nxt)
        if k < 0:
            if not final and nxt == n:
                return None
            what = "end of input" if nxt == n else "next message"
            return Framed(
                line, error=f"truncated message: no CheckSum(10) before {what}", raw=_show(buf[start:nxt])
            ), nxt
        checksum_at = k + 1
        if not final and checksum_at + 7 > n:
            return None
        actual = checksum_at - body_start
        end = _checksum_end(buf, checksum_at, dch)
        return Framed(
            line,
            error=f"BodyLength mismatch: 9={_show(length_text)}, actual {actual}",
            raw=_show(buf[start:end]),
        ), end
    end = _checksum_end(buf, checksum_at, dch)
    value = buf[checksum_at + 3 : checksum_at + 6]
    after = buf[checksum_at + 6 : checksum_at + 7]
    if not (len(value) == 3 and value.isdigit() and after in (dch, b"", b"\n", b"\r")):
        return Framed(
            line, error=f"CheckSum(10) malformed: {_show(buf[checksum_at:end])!r}", raw=_show(buf[start:end])
        ), end
    body = buf[start:checksum_at]
    total = byte_sum(body)
    if d == PIPE:
        total -= _PIPE_EXCESS * body.count(b"|")
    computed = total % 256
    if computed != int(value):
        return Framed(
            line,
            error=f"CheckSum mismatch: 10={value.decode()}, computed {computed:03d}",
            raw=_show(buf[start:end]),
        ), end
    return Framed(line, text=_decode(body), delim=chr(d)), end


def _checksum_end(buf: bytes, checksum_at: int, dch: bytes) -> int:
    """Index just past "10=NNN<delim>" (or the end of its line when the delimiter is missing)."""
    e = buf.find(dch, checksum_at)
    nl = buf.find(b"\n", checksum_at)
    candidates = [x for x in (e + 1 if e >= 0 else -1, nl) if x >= 0]
    return min(candidates) if candidates else len(buf)


# ---- a byte stream (the FIX session) ------------------------------------------------------------
MAX_BODY = 1 << 20  # 1 MiB: a larger BodyLength means the stream is corrupt, not a real message
# What the start of a stream buffer may look like while its header is still arriving.
_PARTIAL_HEAD = re.compile(re.escape(_BEGIN) + rb"[^\x01|\n]{0,16}(?:[\x01|](?:9(?:=\d{0,9})?)?)?")


@dataclass(slots=True)
class FrameError:
    """A stretch of the byte stream that is not a valid message, and why (scan()'s reasons)."""

    reason: str
    data: bytes


class StreamFramer:
    """Accumulates a TCP byte stream; `feed()` returns the whole messages (bytes, CheckSum
    included) and the errors found so far. A message cut anywhere waits for the rest; junk, bad
    BodyLength or CheckSum are errors, and framing resumes at the next BeginString."""

    def __init__(self) -> None:
        self.buffer = bytearray()

    def feed(self, data: bytes) -> tuple[list[bytes], list[FrameError]]:
        self.buffer += data
        buf = bytes(self.buffer)
        n = len(buf)
        messages: list[bytes] = []
        errors: list[FrameError] = []
        pos = 0
        while pos < n:
            start = find_begin(buf, pos)
            if start < 0:
                keep = _begin_prefix(buf, pos)  # the tail may be the first bytes of the next "8=FIX"
                if n - keep > pos:
                    errors.append(FrameError(f"junk before BeginString: {_show(buf[pos : n - keep])!r}", buf[pos : n - keep]))
                pos = n - keep
                break
            if start > pos:
                errors.append(FrameError(f"junk before BeginString: {_show(buf[pos:start])!r}", buf[pos:start]))
                pos = start
            head = _HEAD.match(buf, start)
            if head is None:
                if _PARTIAL_HEAD.fullmatch(buf, start):
                    break  # the header is still arriving
                framed, end = _frame(buf, start, 0)
            else:
                declared = int(head.group(2))
                if declared > MAX_BODY:
                    errors.append(FrameError(f"BodyLength {declared} exceeds {MAX_BODY}", head.group(0)))
                    pos = head.end()
                    continue
                if n < head.end() + declared + 7:
                    break  # the rest of the message is still arriving
                result = _fast_frame(buf, start, 0) or _frame(buf, start, 0, final=n - start > MAX_BODY + 64)
                if result is None:
                    break  # the rest of the message is still arriving
                framed, end = result
            if framed.error is None and (framed.delim != "\x01" or buf[end - 1] != SOH):
                framed.error = "not a wire message: fields must be delimited by SOH, CheckSum included"
            if framed.error is None:
                messages.append(buf[start:end])
            else:
                if end == n:  # the tail may be the first bytes of the next message: keep them
                    end -= _begin_prefix(buf, start + 1)
                errors.append(FrameError(framed.error, buf[start:end]))
            pos = end
        del self.buffer[:pos]
        return messages, errors


def _begin_prefix(buf: bytes, pos: int) -> int:
    """Length of the longest tail of buf[pos:] that is a proper prefix of "8=FIX"."""
    for k in range(min(len(_BEGIN) - 1, len(buf) - pos), 0, -1):
        if buf.endswith(_BEGIN[:k]):
            return k
    return 0
