"""Drop-copy files: real BodyLength/CheckSum (checked three ways), valid FIX 4.4 per QuickFIX's
dictionary, and a lifecycle that resolves to exactly the effective executions truth.json states."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import simplefix
from genday_helpers import generate, load_day

HEADER_TAGS = {35, 49, 56, 34, 52, 43, 122}


def messages(day, broker: str) -> list[bytes]:
    raw = (day.out / day.truth["dropcopy"][broker]["file"]).read_bytes()
    return [line.replace(b"|", b"\x01") for line in raw.splitlines()]


def pairs(msg: bytes) -> list[tuple[int, bytes]]:
    out = []
    for field in msg.rstrip(b"\x01").split(b"\x01"):
        tag, _, value = field.partition(b"=")
        out.append((int(tag), value))
    return out


def test_bodylength_and_checksum(day):
    total = 0
    for broker in day.broker:
        for msg in messages(day, broker):
            total += 1
            assert msg.startswith(b"8=FIX.4.4\x019=")
            head_end = msg.index(b"\x01", 10) + 1
            declared = int(msg[12 : head_end - 1])
            trailer = msg.rindex(b"10=")
            assert declared == trailer - head_end  # BodyLength: after 9=...SOH up to 10=
            assert int(msg[trailer + 3 : -1]) == sum(msg[:trailer]) % 256
    assert total == sum(day.truth["counts"]["dropcopy_messages"].values())


def test_simplefix_encodes_the_same_bytes(day):
    for broker in day.broker:
        for msg in messages(day, broker)[:400]:
            m = simplefix.FixMessage()
            for tag, value in pairs(msg):
                if tag in (9, 10):
                    continue
                m.append_pair(tag, value, header=tag in HEADER_TAGS or tag == 8)
            assert m.encode() == msg
            parser = simplefix.FixParser()
            parser.append_buffer(msg)
            assert parser.get_message().get(35) == b"8"


def dictionary(version: str):
    quickfix = pytest.importorskip("quickfix")
    import sysconfig

    xml = Path(sysconfig.get_paths()["data"]) / "share" / "quickfix" / f"FIX{version}.xml"
    return quickfix, quickfix.DataDictionary(str(xml))


def test_quickfix_dictionary_accepts_every_message(day):
    quickfix, dd = dictionary("44")
    for broker in day.broker:
        for msg in messages(day, broker):
            m = quickfix.Message(msg.decode(), dd, True)  # raises on a bad BodyLength/CheckSum
            dd.validate(m)
    corrupt = messages(day, "castlerock")[0].replace(b"35=8", b"35=8\x011=X", 1)
    with pytest.raises(quickfix.InvalidMessage):
        quickfix.Message(corrupt.decode(), dd, True)


def apply_lifecycle(msgs: list[bytes]) -> tuple[dict[str, dict], set[str], int]:
    """An independent lifecycle: fills in, corrections replace (19 = original or latest), busts
    remove, PossDup resends of a known ExecID are ignored, New/OrderStatus book nothing."""
    effective: dict[str, dict] = {}
    latest: dict[str, str] = {}  # any ExecID in a correction chain -> the chain's current ExecID
    seen, busted, dups = set(), set(), 0
    for msg in msgs:
        f = {t: v.decode() for t, v in pairs(msg)}
        exec_id = f[17]
        if f.get(43) == "Y" and exec_id in seen:
            dups += 1
            continue
        seen.add(exec_id)
        kind = f[150]
        if 20 in f:  # FIX 4.2: ExecTransType carries the lifecycle, ExecType the order state
            kind = {"0": "F" if kind in ("1", "2") else "0", "1": "H", "2": "G", "3": "I"}[f[20]]
        if kind == "F":
            effective[exec_id] = f
            latest[exec_id] = exec_id
        elif kind == "G":
            current = latest[f[19]]
            del effective[current]
            effective[exec_id] = f
            for k, v in list(latest.items()):
                if v == current:
                    latest[k] = exec_id
            latest[exec_id] = exec_id
        elif kind == "H":
            del effective[latest[f[19]]]
            busted.add(f[19])
    return effective, busted, dups


def test_lifecycle_resolves_to_the_truth(day):
    kinds: set[str] = set()
    for broker in day.broker:
        msgs = messages(day, broker)
        kinds |= {dict(pairs(m))[150].decode() for m in msgs}
        truth = day.truth["dropcopy"][broker]
        effective, busted, dups = apply_lifecycle(msgs)
        assert set(effective) == set(truth["effective"])
        assert busted == set(truth["busted"])
        assert dups == truth["possdup_resends"]
        for exec_id, internal_id in truth["effective"].items():
            f = effective[exec_id]
            if internal_id is None:
                continue
            r = day.internal[internal_id]
            assert (Decimal(f[32]), Decimal(f[31]), f[1], f[11]) == (
                r["quantity"],
                r["price"],
                r["account"],
                r["order_id"],
            ), exec_id
            assert f[54] == {"buy": "1", "sell": "2", "sell_short": "5", "buy_to_cover": "1"}[r["side"]]
    assert kinds == {"0", "F", "G", "H", "I"}
    assert any(len(day.truth["dropcopy"][b]["superseded"]) for b in day.broker)


def test_every_booked_internal_execution_has_one_drop_copy(day):
    """Each internal row routed to a broker appears once among the effective executions, except
    the DUPLICATE break's extra copy and the duplicate_booking anomaly's second booking."""
    mapped = [i for b in day.broker for i in day.truth["dropcopy"][b]["effective"].values() if i]
    assert len(mapped) == len(set(mapped))
    extra = {b["internal"][0] for b in day.truth["breaks"] if b["type"] == "DUPLICATE" and b["internal"]}
    extra |= {a["internal"][1] for a in day.truth["anomalies"] if a["kind"] == "duplicate_booking"}
    assert set(mapped) == set(day.internal) - extra
    missing = [b for b in day.truth["breaks"] if b["type"] == "MISSING_INTERNALLY"]
    nulls = sum(1 for b in day.broker for i in day.truth["dropcopy"][b]["effective"].values() if i is None)
    assert nulls == len(missing)


def test_single_and_batch_encoders_agree_with_simplefix():
    from recon.generator.fix_dropcopy import encode, encode_many

    header = "35=8\x0149=CASTLEROCK\x0156=FUNDDC\x0134=7\x0152=20261127-14:30:00.000\x01"
    bodies = ["17=E1\x01150=F\x0155=ACMX\x01", "17=E2\x0119=E1\x01150=G\x0131=101.5\x01", "58=x\x01" * 40]
    batch = encode_many([(header, b) for b in bodies])
    for body, msg in zip(bodies, batch, strict=True):
        m = simplefix.FixMessage()
        m.append_pair(8, "FIX.4.4", header=True)
        for field in (header + body).rstrip("\x01").split("\x01"):
            tag, value = field.split("=", 1)
            m.append_pair(int(tag), value, header=int(tag) in HEADER_TAGS)
        assert encode(header, body) == msg == m.encode()
    assert encode_many([]) == []


def test_fix42_session(tmp_path):
    """Castlerock (every asset class) as a FIX 4.2 session: valid per FIX42.xml, same lifecycle truth."""
    quickfix, dd = dictionary("42")
    day42 = load_day(generate(tmp_path / "d42", trades=600, seed=4, fix42=["castlerock"]))
    assert day42.truth["dropcopy"]["castlerock"]["fix_version"] == "4.2"
    assert day42.truth["dropcopy"]["northbridge"]["fix_version"] == "4.4"
    msgs = messages(day42, "castlerock")
    for msg in msgs:
        assert msg.startswith(b"8=FIX.4.2\x01")
        dd.validate(quickfix.Message(msg.decode(), dd, True))
    effective, busted, dups = apply_lifecycle(msgs)
    truth = day42.truth["dropcopy"]["castlerock"]
    assert set(effective) == set(truth["effective"]) and busted == set(truth["busted"])
    assert dups == truth["possdup_resends"]
    assert {dict(pairs(m))[20] for m in msgs} == {b"0", b"1", b"2", b"3"}
