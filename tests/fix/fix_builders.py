"""Build FIX messages with QuickFIX (an independent engine) and simplefix for the FIX tests."""

from __future__ import annotations

from collections.abc import Sequence

import quickfix as qf
import simplefix

Fields = Sequence[tuple[int, str]]
# (count tag, delimiter tag, entries); an entry is a list of fields, possibly with nested groups.
GroupDef = tuple[int, int, list]

_seq = [0]


def _apply(target, fields: Fields) -> None:
    for item in fields:
        if len(item) == 3:  # a nested group: (count, delim, entries)
            _add_group(target, item)
        else:
            target.setField(qf.StringField(item[0], str(item[1])))


def _add_group(target, group: GroupDef) -> None:
    count, delim, entries = group
    for entry in entries:
        g = qf.Group(count, delim)
        _apply(g, entry)
        target.addGroup(g)


def quickfix_message(
    msg_type: str,
    body: Fields,
    groups: Sequence[GroupDef] = (),
    begin: str = "FIX.4.4",
    poss_dup: bool = False,
) -> bytes:
    """A complete message (BodyLength and CheckSum by QuickFIX) as SOH-delimited bytes."""
    m = qf.Message()
    h = m.getHeader()
    _seq[0] += 1
    h.setField(qf.BeginString(begin))
    h.setField(qf.MsgType(msg_type))
    h.setField(qf.SenderCompID("NBPRIME"))
    h.setField(qf.TargetCompID("FUNDDC"))
    h.setField(qf.MsgSeqNum(_seq[0]))
    h.setField(qf.StringField(52, "20261127-14:30:01.123"))
    if poss_dup:
        h.setField(qf.StringField(43, "Y"))
    _apply(m, body)
    for g in groups:
        _add_group(m, g)
    return m.toString().encode()


def simplefix_message(msg_type: str, fields: Fields, begin: str = "FIX.4.4", seq: int | None = None) -> bytes:
    """Fields in the order given (groups flattened by the caller), encoded by simplefix.
    MsgSeqNum counts up across calls unless `seq` is given (hypothesis strategies must not depend
    on that counter: the message length, and so what they draw, would change between replays)."""
    m = simplefix.FixMessage()
    m.append_pair(8, begin)
    m.append_pair(35, msg_type)
    m.append_pair(49, "NBPRIME")
    m.append_pair(56, "FUNDDC")
    _seq[0] += 1
    m.append_pair(34, _seq[0] if seq is None else seq)
    m.append_pair(52, "20261127-14:30:01.123")
    for tag, value in fields:
        m.append_pair(tag, value)
    return m.encode()


def fill_fields(
    exec_id: str,
    *,
    exec_type: str = "F",
    ref: str | None = None,
    qty: str = "100",
    px: str = "187.25",
    side: str = "1",
    account: str = "ACC-1",
    symbol: str = "AAPL",
    mic: str = "XNAS",
    extra: Fields = (),
) -> list[tuple[int, str]]:
    """A 4.4 ExecutionReport body like a prime broker's drop copy."""
    fields = [
        (1, account),
        (6, px),
        (11, "CL-" + exec_id),
        (12, "4.50"),
        (13, "3"),
        (14, qty),
        (15, "USD"),
        (17, exec_id),
    ]
    if ref:
        fields.append((19, ref))
    fields += [
        (31, px),
        (32, qty),
        (37, "ORD-1"),
        (38, qty),
        (39, "2"),
        (54, side),
        (55, symbol),
        (60, "20261127-14:30:01.123456"),
        (64, "20261130"),
        (75, "20261127"),
        (150, exec_type),
        (151, "0"),
        (207, mic),
        *extra,
    ]
    return fields


def er44(exec_id: str, **kw) -> bytes:
    extra_groups = kw.pop("groups", ())
    poss_dup = kw.pop("poss_dup", False)
    return quickfix_message("8", fill_fields(exec_id, **kw), extra_groups, poss_dup=poss_dup)


def er42(
    exec_id: str,
    trans: str,
    *,
    exec_type: str = "2",
    ref: str | None = None,
    qty: str = "100",
    px: str = "50.5",
    poss_dup: bool = False,
) -> bytes:
    """A FIX 4.2 ExecutionReport: ExecTransType(20) carries new/cancel/correct."""
    body = [
        (1, "ACC-42"),
        (6, px),
        (11, "CL42"),
        (12, "0.01"),
        (13, "1"),
        (14, qty),
        (15, "USD"),
        (17, exec_id),
        (20, trans),
        (31, px),
        (32, qty),
        (37, "ORD42"),
        (38, qty),
        (39, "2"),
        (54, "2"),
        (55, "IBM"),
        (60, "20261127-15:00:00"),
        (75, "20261127"),
        (150, exec_type),
        (151, "0"),
        (207, "XNYS"),
    ]
    if ref:
        body.append((19, ref))
    return quickfix_message("8", body, begin="FIX.4.2", poss_dup=poss_dup)
