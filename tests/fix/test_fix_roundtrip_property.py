"""Property: random valid messages encoded by simplefix parse back to the same fields and values."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from fix_builders import simplefix_message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recon.fix import check_totals, ingest
from recon.fix.fields import split_fields
from recon.fix.framing import scan

ids = st.text("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789-", min_size=1, max_size=20)
words = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/", min_size=1, max_size=12)
positive = st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal("99999999"), places=8)
prices = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("999999"), places=6)
days = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))
moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31))
SIDES = {"1": "buy", "2": "sell", "5": "sell_short", "6": "sell_short", "C": "buy_to_cover"}


def _text(d: Decimal) -> str:
    return format(d.normalize(), "f")


@st.composite
def fills(draw):
    exec_id = draw(ids)
    side = draw(st.sampled_from(sorted(SIDES)))
    qty, px = draw(positive), draw(prices)
    when = draw(moments).replace(microsecond=draw(st.integers(0, 999)) * 1000)
    trade = draw(days)
    comm = draw(st.decimals(min_value=0, max_value=10000, places=2))
    parties = draw(
        st.lists(st.tuples(words, st.sampled_from("DGC"), st.sampled_from(["1", "3", "12"])), max_size=3)
    )
    fees = draw(st.lists(st.decimals(min_value=0, max_value=100, places=4), max_size=3))
    fields = [
        (1, draw(words)),
        (11, draw(ids)),
        (12, _text(comm)),
        (13, "3"),
        (15, "USD"),
        (17, exec_id),
        (31, _text(px)),
        (32, _text(qty)),
        (37, draw(ids)),
        (39, "2"),
        (54, "1" if side == "C" else side),
        (55, draw(words)),
        (60, f"{when:%Y%m%d-%H:%M:%S}.{when.microsecond // 1000:03d}"),
        (64, f"{trade + timedelta(days=2):%Y%m%d}"),
        (75, f"{trade:%Y%m%d}"),
        (150, "F"),
    ]
    if side == "C":
        fields.append((77, "C"))
    note = draw(st.text("ab =:", max_size=10))
    if note.strip():
        fields.append((58, note))  # Text may hold '=' (the splitter's slow path)
    if parties:
        fields.append((453, str(len(parties))))
        for pid, src, role in parties:
            fields += [(448, pid), (447, src), (452, role)]
    if fees:
        fields.append((136, str(len(fees))))
        for i, fee in enumerate(fees):
            fields += [(137, _text(fee)), (139, str(i + 1))]
    expect = {
        "record_id": exec_id,
        "side": SIDES[side],
        "quantity": qty,
        "price": px,
        "trade_date": trade,
        "transact_time": when,
        "commission": comm,
        "fees": sum(fees, Decimal(0)) if fees else None,
        "settle_date": trade + timedelta(days=2),
    }
    return fields, expect, parties


@st.composite
def framing(draw):
    delim = draw(st.sampled_from([b"\x01", b"|"]))
    prefix = draw(st.sampled_from([b"", b"20261127-14:30:01.123 : ", b"2026-11-27T14:30:01Z "]))
    return delim, prefix


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    batch=st.lists(fills(), min_size=1, max_size=5, unique_by=lambda f: f[1]["record_id"]), frame=framing()
)
def test_fills_round_trip(batch, frame):
    delim, prefix = frame
    lines = [prefix + simplefix_message("8", fields).replace(b"\x01", delim) for fields, _, _ in batch]
    buf = b"\n".join(lines) + b"\n"
    result = ingest([(buf, "prop.fix", 1)], "nb")
    assert result.rejects == []
    check_totals(result.totals["prop.fix"])
    assert len(result.executions) == len(batch)
    for e, (_, expect, _) in zip(result.executions, batch, strict=True):
        for name, value in expect.items():
            assert getattr(e, name) == value, name
    # the fields themselves, groups included, come back as sent
    for framed, (fields, _, parties) in zip(scan(buf), batch, strict=True):
        parsed, dups = split_fields(framed.text, framed.delim)
        assert dups == set()
        top = [(t, v) for t, v in fields if t not in (448, 447, 452, 137, 139)]
        assert all(parsed[str(t)] == v for t, v in top)
        got = [(p["448"], p["447"], p["452"]) for p in parsed.get("453[]", [])]
        assert got == [tuple(p) for p in parties]


@settings(max_examples=60, deadline=None)
@given(
    report_id=ids,
    sides=st.lists(st.tuples(words, st.sampled_from(["1", "2", "5"]), positive), min_size=1, max_size=4),
    qty=positive,
    px=prices,
)
def test_trade_capture_sides_round_trip(report_id, sides, qty, px):
    fields = [
        (571, report_id),
        (55, "IBM"),
        (32, _text(qty)),
        (31, _text(px)),
        (75, "20261127"),
        (552, str(len(sides))),
    ]
    for account, side, comm in sides:
        fields += [(54, side), (37, "O" + account), (1, account), (12, _text(comm)), (13, "3")]
    result = ingest([(simplefix_message("AE", fields), "ae.fix", 1)], "nb")
    assert result.rejects == []
    assert [(e.record_id, e.account, e.side, e.commission) for e in result.executions] == [
        (f"{report_id}:{i}", a, SIDES[s], c) for i, (a, s, c) in enumerate(sides, start=1)
    ]
    assert all(e.quantity == qty and e.price == px for e in result.executions)


@st.composite
def mutated_batches(draw):
    """A valid batch (fills, AE with sides, J with allocs) with random byte edits anywhere."""
    msgs = [simplefix_message("8", draw(fills())[0], seq=i) for i in range(1, draw(st.integers(1, 3)) + 1)]
    msgs.append(
        simplefix_message(
            "AE",
            [
                (571, "T1"),
                (55, "IBM"),
                (32, "5"),
                (31, "2"),
                (75, "20261127"),
                (552, "2"),
                (54, "1"),
                (1, "A"),
                (54, "2"),
                (1, "B"),
            ],
            seq=10,
        )
    )
    msgs.append(
        simplefix_message(
            "J",
            [
                (70, "A1"),
                (54, "1"),
                (55, "IBM"),
                (6, "2"),
                (75, "20261127"),
                (78, "1"),
                (79, "ACC"),
                (80, "5"),
            ],
            seq=11,
        )
    )
    buf = bytearray(b"\n".join(msgs) + b"\n")
    alphabet = b"\x01|=\n0123456789AZ8"
    for _ in range(draw(st.integers(1, 6))):
        pos = draw(st.integers(0, len(buf) - 1))
        kind = draw(st.sampled_from(["flip", "delete", "insert", "truncate"]))
        if kind == "flip":
            buf[pos] = draw(st.sampled_from(alphabet))
        elif kind == "delete":
            del buf[pos : pos + draw(st.integers(1, 20))]
        elif kind == "insert":
            buf[pos:pos] = draw(st.binary(min_size=1, max_size=12))
        else:
            del buf[pos:]
        if not buf:
            buf = bytearray(b"x")
    return bytes(buf)


@settings(max_examples=300, deadline=None)
@given(buf=mutated_batches())
def test_damaged_input_never_crashes_and_totals_add_up(buf):
    result = ingest([(buf, "fuzz.fix", 1)], "nb")
    t = result.totals["fuzz.fix"]
    check_totals(t)
    assert len(result.rejects) == t["rejected"]
    assert all(r.reason and r.line >= 1 for r in result.rejects)
