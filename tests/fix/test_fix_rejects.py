"""Bad input: each problem becomes a reject with a precise reason, and the batch carries on."""

from __future__ import annotations

import re

import pytest
from fix_builders import er44, quickfix_message, simplefix_message


def _with_checksum(msg: bytes, value: int) -> bytes:
    return re.sub(rb"10=\d{3}\x01$", b"10=%03d\x01" % value, msg)


def _recompute(msg: bytes) -> bytes:
    """Fix BodyLength and CheckSum after editing a message's body."""
    head, _, rest = msg.partition(b"\x019=")
    body = rest.split(b"\x01", 1)[1].rsplit(b"10=", 1)[0]
    out = head + b"\x019=%d\x01" % len(body) + body
    return out + b"10=%03d\x01" % (sum(out) % 256)


def _edit(msg: bytes, old: bytes, new: bytes) -> bytes:
    assert old in msg
    return _recompute(msg.replace(old, new, 1))


def _between_good(parse, bad: bytes | list[bytes]):
    """Parse good, bad, good: the good ones must still be booked around the bad one."""
    bad = bad if isinstance(bad, list) else [bad]
    result = parse([er44("GOOD-1"), *bad, er44("GOOD-2")])
    assert [e.record_id for e in result.executions] == ["GOOD-1", "GOOD-2"]
    return result


def test_bad_checksum(parse):
    msg = er44("E-BAD")
    real = int(msg[-4:-1])
    result = _between_good(parse, _with_checksum(msg, (real + 1) % 256))
    [r] = result.rejects
    assert r.reason == f"CheckSum mismatch: 10={(real + 1) % 256:03d}, computed {real:03d}"
    assert r.line == 2 and "17=E-BAD" in r.raw


def test_wrong_body_length(parse):
    msg = er44("E-LEN")
    declared = int(re.search(rb"\x019=(\d+)\x01", msg).group(1))
    bad = msg.replace(b"\x019=%d\x01" % declared, b"\x019=%d\x01" % (declared + 3), 1)
    result = _between_good(parse, bad)
    [r] = result.rejects
    assert r.reason == f"BodyLength mismatch: 9={declared + 3}, actual {declared}"


def test_zero_padded_body_length_is_accepted(parse):
    msg = er44("E-PAD")
    declared = int(re.search(rb"\x019=(\d+)\x01", msg).group(1))
    padded = msg.replace(b"\x019=%d\x01" % declared, b"\x019=%07d\x01" % declared, 1)
    padded = _with_checksum(padded, sum(padded.rsplit(b"10=", 1)[0]) % 256)
    result = parse(padded)
    assert result.rejects == [] and result.executions[0].record_id == "E-PAD"


def test_group_count_mismatch(parse):
    sides = [[(54, "1"), (1, "A")], [(54, "2"), (1, "B")]]
    body = [(571, "TR-1"), (55, "IBM"), (32, "10"), (31, "1.5"), (75, "20261127")]
    msg = quickfix_message("AE", body, [(552, 54, sides)])
    result = _between_good(parse, _edit(msg, b"552=2", b"552=3"))
    [r] = result.rejects
    assert r.reason == "group count mismatch: NoSides(552)=3 but 2 entries"
    assert r.record_id is None or r.record_id == "TR-1"


def test_group_entry_not_starting_with_its_delimiter(parse):
    msg = simplefix_message(
        "AE",
        [
            (571, "TR-2"),
            (55, "IBM"),
            (32, "10"),
            (31, "1.5"),
            (75, "20261127"),
            (552, "1"),
            (1, "A"),
            (54, "1"),
        ],
    )
    result = _between_good(parse, msg)
    assert result.rejects[0].reason == (
        "group count mismatch: NoSides(552)=1 but 0 entries; found Account(1) where Side(54) must start the first entry"
    )


@pytest.mark.parametrize(
    ("drop", "reason"),
    [
        (b"17=E-MISS\x01", "missing required ExecID(17)"),
        (b"150=F\x01", "missing required ExecType(150)"),
        (b"1=ACC-1\x01", "missing required Account(1)"),
        (b"32=100\x01", "missing required LastQty(32)"),
        (b"31=187.25\x01", "missing required LastPx(31)"),
        (b"54=1\x01", "missing required Side(54)"),
    ],
)
def test_missing_required_tags(parse, drop, reason):
    result = _between_good(parse, _edit(er44("E-MISS"), drop, b""))
    assert [r.reason for r in result.rejects] == [reason]


def test_missing_trade_date_and_transact_time(parse):
    msg = _edit(_edit(er44("E-ND"), b"75=20261127\x01", b""), b"60=20261127-14:30:01.123456\x01", b"")
    result = _between_good(parse, msg)
    assert result.rejects[0].reason == "missing TradeDate(75) and TransactTime(60): no trade date"


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        (b"31=187.25", b"31=187.2.5", "unparseable number LastPx(31)='187.2.5'"),
        (b"32=100", b"32=1e3", "unparseable number LastQty(32)='1e3'"),
        (b"32=100", b"32=-100", "LastQty(32) must be > 0, got '-100'"),
        (b"12=4.50", b"12=NaN", "unparseable number Commission(12)='NaN'"),
        (b"75=20261127", b"75=20261345", "unparseable date TradeDate(75)='20261345' (no such day)"),
        (b"64=20261130", b"64=2026-11-30", "unparseable date SettlDate(64)='2026-11-30' (expected YYYYMMDD)"),
        (
            b"60=20261127-14:30:01.123456",
            b"60=20261127 14:30:01",
            "unparseable timestamp TransactTime(60)='20261127 14:30:01' (expected YYYYMMDD-HH:MM:SS[.sss])",
        ),
        (
            b"60=20261127-14:30:01.123456",
            b"60=20261127-25:30:01",
            "unparseable timestamp TransactTime(60)='20261127-25:30:01' (out of range)",
        ),
        (b"54=1", b"54=Z", "unknown Side(54)='Z'"),
        (
            b"13=3",
            b"13=4",
            "unsupported CommType(13)='4' (supported: 1 per unit, 2 percent, 3 absolute, 6 points)",
        ),
    ],
)
def test_unparseable_values(parse, old, new, reason):
    result = _between_good(parse, _edit(er44("E-VAL"), old, new))
    [r] = result.rejects
    assert r.reason == reason and r.record_id == "E-VAL"


def test_garbage_between_messages(parse):
    buf = er44("GOOD-1") + b"\n### session restarted ###\n\n" + er44("GOOD-2") + b"\n"
    result = parse(buf)
    assert [e.record_id for e in result.executions] == ["GOOD-1", "GOOD-2"]
    [r] = result.rejects
    assert (r.line, r.reason) == (2, "garbage between messages: '### session restarted ###'")
    assert [e.line for e in result.executions] == [1, 4]


def test_junk_prefix_on_the_message_line(parse):
    buf = b"\n".join([er44("GOOD-1"), b"XX?? " + er44("E-JUNK"), er44("GOOD-2")]) + b"\n"
    result = parse(buf)
    [r] = result.rejects
    assert r.reason == "junk before 8= on the message's line: 'XX?? '" and r.line == 2
    # the message after the junk is intact (its own CheckSum proves it): it is still booked
    assert [e.record_id for e in result.executions] == ["GOOD-1", "E-JUNK", "GOOD-2"]


def test_timestamp_prefixed_pipe_log_lines(parse):
    lines = [
        b"20261127-14:30:01.123 : " + er44("L1").replace(b"\x01", b"|"),
        b"2026-11-27T14:30:02.5Z INFO FIX.4.4:NBPRIME->FUNDDC: " + er44("L2").replace(b"\x01", b"|"),
        b"2026-11-27 14:30:03,001 " + er44("L3").replace(b"\x01", b"|"),
    ]
    result = parse(lines)
    assert result.rejects == []
    assert [(e.record_id, e.line) for e in result.executions] == [("L1", 1), ("L2", 2), ("L3", 3)]


def test_truncated_messages(parse):
    whole = er44("GOOD-1")
    cut = er44("E-CUT")[:120]
    last = er44("E-LAST")[:-9]
    result = parse(whole + b"\n" + cut + b"\n" + er44("GOOD-2") + b"\n" + last)
    assert [e.record_id for e in result.executions] == ["GOOD-1", "GOOD-2"]
    assert [(r.line, r.reason) for r in result.rejects] == [
        (2, "truncated message: no CheckSum(10) before next message"),
        (4, "truncated message: no CheckSum(10) before end of input"),
    ]


def test_duplicate_exec_id_without_possdup_is_rejected(parse):
    result = parse([er44("E-1"), er44("E-1", qty="5")])
    [r] = result.rejects
    assert r.reason == "duplicate ExecID(17)=E-1 without PossDupFlag(43)=Y (first seen at dropcopy.fix:1)"
    assert result.executions[0].quantity == 100


def test_repeated_field_outside_a_group(parse):
    result = _between_good(parse, _edit(er44("E-TWICE"), b"31=187.25\x01", b"31=187.25\x0131=188\x01"))
    assert result.rejects[0].reason == "LastPx(31) appears more than once outside a repeating group"


def test_malformed_field_and_wrong_msgtype_position(parse):
    no_equals = _edit(er44("E-FLD"), b"39=2\x01", b"39\x01")
    result = _between_good(parse, no_equals)
    assert result.rejects[0].reason.startswith("malformed field #")
    moved = _edit(er44("E-POS"), b"35=8\x0134=", b"34=")  # MsgType dropped from third place
    moved = _recompute(moved.replace(b"\x0152=", b"\x0135=8\x0152=", 1))
    result = _between_good(parse, moved)
    assert result.rejects[0].reason.startswith("MsgType(35) must be the third field")


def test_many_problems_in_one_file_totals_add_up(parse):
    msgs = [er44("G1"), b"noise", _with_checksum(er44("G2"), 0), er44("G3"), er44("G4")[:50], er44("G5")]
    result = parse(msgs)
    t = result.totals["dropcopy.fix"]
    assert (t["read"], t["rejected"], t["booked"]) == (6, 3, 3)
    assert len(result.rejects) == t["rejected"]


def test_multi_leg_is_rejected_as_unsupported(parse):
    legs = _edit(er44("E-LEG"), b"150=F\x01", b"150=F\x01555=1\x01600=AAPL\x01")
    result = _between_good(parse, legs)
    assert result.rejects[0].reason == "multi-leg/underlying instruments (NoLegs(555)) not supported"


def test_malformed_checksum_field(parse):
    msg = er44("E-CS")
    result = _between_good(parse, msg[:-4] + b"1x3\x01")
    assert result.rejects[0].reason == "CheckSum(10) malformed: '10=1x3|'"


def test_single_sided_trade_report_without_nosides(parse):
    msg = simplefix_message(
        "AE", [(571, "TR-J"), (55, "IBM"), (32, "10"), (31, "1.5"), (75, "20261127"), (54, "2"), (1, "ACC-9")]
    )
    result = parse(msg)
    [e] = result.executions
    assert (e.record_id, e.account, e.side) == ("TR-J:1", "ACC-9", "sell")


def test_byte_sum_equals_sum_for_any_length():
    import random

    from recon.fix.framing import byte_sum

    rng = random.Random(5)
    for n in (0, 1, 255, 256, 257, 511, 512, 513, 4000):
        for data in (bytes(rng.randrange(256) for _ in range(n)), b"\xff" * n):
            assert byte_sum(data) == sum(data), n


def test_crlf_lines_and_empty_input(parse):
    crlf = b"\r\n".join([er44("W1").replace(b"\x01", b"|"), er44("W2")]) + b"\r\n"
    result = parse(crlf)
    assert result.rejects == [] and [(e.record_id, e.line) for e in result.executions] == [
        ("W1", 1),
        ("W2", 2),
    ]
    empty = parse(b"")
    assert (empty.executions, empty.rejects) == ([], [])


def test_empty_body_and_heartbeat(parse):
    empty = b"8=FIX.4.4\x019=0\x01"
    empty += b"10=%03d\x01" % (sum(empty) % 256)
    heartbeat = b"8=FIX.4.4\x019=5\x0135=0\x01"
    heartbeat += b"10=%03d\x01" % (sum(heartbeat) % 256)
    result = _between_good(parse, [empty, heartbeat])
    assert [r.reason for r in result.rejects] == ["message has no fields after BodyLength(9)"]
    assert result.totals["dropcopy.fix"]["not_booked"] == 1
