"""Drop-copy files: real BodyLength/CheckSum (checked three ways), valid FIX 4.4 per QuickFIX's
dictionary, and a lifecycle that resolves to exactly the effective executions truth.json states."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import simplefix

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
            declared = int(msg[12:head_end - 1])
            trailer = msg.rindex(b"10=")
            assert declared == trailer - head_end  # BodyLength: after 9=...SOH up to 10=
            assert int(msg[trailer + 3:-1]) == sum(msg[:trailer]) % 256
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


def test_quickfix_dictionary_accepts_every_message(day):
    quickfix = pytest.importorskip("quickfix")
    import recon

    xml = next(Path(recon.__file__).resolve().parents[1].glob(".venv/share/quickfix/FIX44.xml"), None)
    if xml is None:
        import sysconfig

        xml = Path(sysconfig.get_paths()["data"]) / "share" / "quickfix" / "FIX44.xml"
    dd = quickfix.DataDictionary(str(xml))
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
            assert (Decimal(f[32]), Decimal(f[31]), f[1], f[11]) == (r["quantity"], r["price"], r["account"],
                                                                     r["order_id"]), exec_id
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
