"""The session's StreamFramer is the file scanner's framing fed in pieces: a stream cut anywhere gives
the messages scan() finds in the whole buffer, and damaged messages are refused for the same reason."""

from __future__ import annotations

import simplefix
from hypothesis import given, settings
from hypothesis import strategies as st

from recon.fix.framing import StreamFramer, checksum, scan

words = st.text("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=1, max_size=12)


def _message(seq: int, account: str, exec_id: str) -> bytes:
    m = simplefix.FixMessage()
    for tag, value in ((8, "FIX.4.4"), (35, "8"), (49, "PB"), (56, "US"), (34, seq)):
        m.append_pair(tag, value, header=True)
    for tag, value in ((1, account), (17, exec_id), (150, "F"), (55, "AAPL"), (32, "100"), (31, "190.25")):
        m.append_pair(tag, value)
    return m.encode()


def _damage(msg: bytes, how: str) -> bytes:
    if how == "checksum":
        value = int(msg[-4:-1])
        return msg[:-4] + b"%03d\x01" % ((value + 1) % 256)
    if how == "bodylength":
        head, rest = msg.split(b"\x019=", 1)
        length, body = rest.split(b"\x01", 1)
        return head + b"\x019=%d\x01" % (int(length) + 2) + body
    # junk, then a message cut off after one of its fields: refused once the next message begins
    return b"junk\r\n" + msg[: msg.rindex(b"\x01", 0, len(msg) // 2) + 1]


@st.composite
def streams(draw):
    parts, good, damaged = [], [], []
    for seq in range(1, draw(st.integers(1, 12)) + 1):
        msg = _message(seq, draw(words), draw(words))
        how = draw(st.sampled_from(["ok", "ok", "ok", "checksum", "bodylength", "junk"]))
        parts.append(msg if how == "ok" else _damage(msg, how))
        damaged.append(how != "ok")
        if how == "ok":
            good.append(msg)
    data = b"".join(parts)
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=8)))
    # A damaged message is told from one still arriving once the next message is there.
    return data, good, cuts, any(damaged[:-1])


@settings(max_examples=150, deadline=None)
@given(streams())
def test_stream_cut_anywhere_gives_the_messages_scan_finds(stream):
    data, good, cuts, damaged_before_last = stream
    framer = StreamFramer()
    got, errors = [], []
    for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True):
        messages, errs = framer.feed(data[a:b])
        got += messages
        errors += errs
    whole = [f for f in scan(data) if f.error is None]
    assert got == good
    assert [f.text.encode("latin-1") for f in whole] == [m[: m.rindex(b"10=")] for m in good]
    assert bool(errors) >= damaged_before_last
    assert not {e.data for e in errors} & set(good)


def test_damaged_messages_are_refused_with_the_scanners_reasons():
    good = _message(3, "ACC1", "E3")
    stream = _damage(_message(1, "ACC1", "E1"), "checksum") + _damage(_message(2, "ACC1", "E2"), "bodylength") + good
    messages, errors = StreamFramer().feed(stream)
    scanned = [f.error for f in scan(stream) if f.error]
    assert messages == [good]
    assert [e.reason for e in errors] == scanned
    assert scanned[0].startswith("CheckSum mismatch") and scanned[1].startswith("BodyLength mismatch")


def test_log_lines_are_not_wire_messages():
    msg = _message(1, "ACC1", "E1")
    messages, errors = StreamFramer().feed(msg.replace(b"\x01", b"|") + msg)
    assert messages == [msg] and errors[0].reason.startswith("not a wire message")


def test_checksum_is_the_byte_sum_modulo_256():
    msg = _message(1, "ACC1", "E1")
    body = msg[: msg.rindex(b"10=")]
    assert checksum(body) == sum(body) % 256 == int(msg[-4:-1])
