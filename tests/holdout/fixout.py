"""The brokers' FIX drop copies, encoded with QuickFIX (the quickfix-py wheel), and their truth.

Sessions (one message per line):
- kestrel.fix        FIX.4.4, raw SOH. Account = Kestrel's PB number. Equities 55 ticker + 48 ISIN
                     (22=4) + 207 MIC; options 55=<underlying>, 48=<OCC>, 22=8, 167=OPT; futures a
                     bare contract symbol 55=ESZ6 (no SecurityType); FX 55=EUR/USD, 167=FOR; covers
                     54=1 + 77=C; shorts 54=5; Commission(12) with CommType 3.
- ashgrove_eq44.fix  FIX.4.4, `|`-delimited. Cash equities: US by CUSIP (22=1), others by SEDOL
                     (22=2). Account = the fund's own code as sent on the order. Covers 54=1 with no
                     PositionEffect; shorts 54=5, some 54=6 (exempt).
- ashgrove_dv42.fix  FIX.4.2 with ExecTransType (20), QuickFIX FileLog lines (`YYYYMMDD-HH:MM:SS.sss
                     : ` + SOH message). Options as 55=<underlying> 167=OPT 200=YYYYMM 205=DD 201 202;
                     bonds 48 ISIN (22=4) 167=GOVT/CORP.
- tollan.fix         FIX.4.4, log4j lines (`YYYY-MM-DD HH:MM:SS,mmm ` + `|` message). Futures root +
                     MaturityMonthYear (55=ES 167=FUT 200=202612); FX 55=EURUSD 167=FOR; equities
                     ticker + 207 MIC; bonds 48 ISIN. Account = Tollan's number. Covers 54=1, half of
                     them with 77=C.
With `fix_mixed` (regimes fix_conventions, all) every message picks among the conventions its
FIX version allows, and option trades carry PositionEffect open/close.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import quickfix as fix

from tests.holdout.day import (
    Day,
    Fill,
    Ids,
    Order,
    _merge_pairs,
    _price_off,
    _qty_off,
    _type_of,
    fmt,
    price_tol,
)
from tests.holdout.day import _settle as settle_date

D = Decimal


@dataclass(frozen=True)
class Session:
    file: str
    broker: str
    version: str
    frame: str  # soh | pipe | quickfix_log | log4j
    sender: str
    target: str
    classes: frozenset | None = None  # asset classes routed to this session (None: all of the broker's)


SESSIONS = [
    Session("kestrel.fix", "kestrel", "FIX.4.4", "soh", "KESTRELDC", "ABCCAPDC"),
    Session("ashgrove_eq44.fix", "ashgrove", "FIX.4.4", "pipe", "ASHGEQ", "ALDERBAY",
            frozenset({"equity", "etf"})),
    Session("ashgrove_dv42.fix", "ashgrove", "FIX.4.2", "quickfix_log", "ASHGDV", "ALDERBAY",
            frozenset({"option", "bond"})),
    Session("tollan.fix", "tollan", "FIX.4.4", "log4j", "TOLLANCLR", "ALDERBAYDC"),
]


def session_of(o: Order) -> Session:
    for s in SESSIONS:
        if s.broker == o.broker.key and (s.classes is None or o.inst.asset_class in s.classes):
            return s
    raise LookupError(o.broker.key)


def ts(t: datetime) -> str:
    return t.strftime("%Y%m%d-%H:%M:%S.") + f"{t.microsecond // 1000:03d}"


# ---- conventions ---------------------------------------------------------------------------------

INSTRUMENT_STYLES = {
    "equity": ("isin", "cusip", "sedol", "ticker_mic"),
    "etf": ("isin", "cusip", "ticker_mic"),
    "option": ("occ_48", "occ_55", "legs_mmy", "legs_541"),
    "future": ("bare", "root_mmy", "code_fut", "sid_fut"),
    "fx": ("slash", "plain"),
    "bond": ("isin", "cusip"),
}


def _style(s: Session, o: Order, rng: random.Random, mixed: bool) -> str:
    inst = o.inst
    if mixed:
        options = [st for st in INSTRUMENT_STYLES[inst.asset_class] if _style_ok(st, s, o)]
        return rng.choice(options)
    if inst.asset_class in ("equity", "etf"):
        if s.broker == "kestrel":
            return "isin"
        if s.broker == "ashgrove":
            return "cusip" if inst.cusip else "sedol"
        return "ticker_mic"
    if inst.asset_class == "option":
        return "occ_48" if s.version == "FIX.4.4" else "legs_mmy"
    if inst.asset_class == "future":
        return "bare" if s.broker == "kestrel" else "root_mmy"
    if inst.asset_class == "fx":
        return "slash" if s.broker == "kestrel" else "plain"
    return "isin"


def _style_ok(style: str, s: Session, o: Order) -> bool:
    inst = o.inst
    if style == "cusip":
        return bool(inst.cusip)
    if style == "sedol":
        return bool(inst.sedol)
    if style == "legs_541":
        return s.version == "FIX.4.4"
    return True


def instrument_fields(style: str, s: Session, o: Order) -> list[tuple[int, str]]:
    inst = o.inst
    v44 = s.version == "FIX.4.4"
    if inst.asset_class in ("equity", "etf"):
        out = [(55, inst.ticker)]
        if style == "isin":
            out += [(48, inst.isin), (22, "4")]
        elif style == "cusip":
            out += [(48, inst.cusip), (22, "1")]
        elif style == "sedol":
            out += [(48, inst.sedol), (22, "2")]
        out += [(167, "CS"), (207, inst.mic)]
        return out
    if inst.asset_class == "option":
        pc = "1" if inst.put_call == "C" else "0"
        if style == "occ_48":
            return [(55, inst.underlying), (48, inst.occ), (22, "8"), (167, "OPT")]
        if style == "occ_55":
            return [(55, inst.occ.replace(" ", "")), (167, "OPT")]
        if style == "legs_541":
            return [(55, inst.underlying), (167, "OPT"), (541, f"{inst.expiry:%Y%m%d}"), (201, pc),
                    (202, fmt(inst.strike))]
        if v44:  # 4.4 has no MaturityDay(205): MaturityMonthYear carries the day
            return [(55, inst.underlying), (167, "OPT"), (200, f"{inst.expiry:%Y%m%d}"), (201, pc),
                    (202, fmt(inst.strike))]
        return [(55, inst.underlying), (167, "OPT"), (200, f"{inst.expiry:%Y%m}"), (205, str(inst.expiry.day)),
                (201, pc), (202, fmt(inst.strike))]
    if inst.asset_class == "future":
        if style == "bare":
            return [(55, inst.future_code)]
        if style == "root_mmy":
            return [(55, inst.future_root), (167, "FUT"), (200, inst.future_month)]
        if style == "sid_fut":
            return [(55, inst.future_root), (48, inst.future_code), (22, "8"), (167, "FUT")]
        return [(55, inst.future_code), (167, "FUT")]
    if inst.asset_class == "fx":
        sym = f"{inst.pair[:3]}/{inst.pair[3:]}" if style == "slash" else inst.pair
        return [(55, sym), (167, "FOR")]
    # bonds
    govt = "Treasury" in inst.name or inst.market in ("GB", "DE")
    kind = ("TNOTE" if govt else "CORP") if v44 else ("GOVT" if govt else "CORP")
    if style == "cusip" and inst.cusip:
        return [(55, "[N/A]"), (48, inst.cusip), (22, "1"), (167, kind)]
    return [(55, "[N/A]"), (48, inst.isin), (22, "4"), (167, kind)]


def side_fields(s: Session, o: Order, side: str, rng: random.Random, mixed: bool) -> list[tuple[int, str]]:
    if side == "buy":
        out = [(54, "1")]
    elif side == "sell":
        out = [(54, "2")]
    elif side == "sell_short":
        exempt = (s.broker == "ashgrove" and rng.random() < 0.15) or (mixed and rng.random() < 0.3)
        out = [(54, "6" if exempt else "5")]
    else:  # buy_to_cover: FIX has no such side
        flag = {"kestrel": True, "ashgrove": False, "tollan": rng.random() < 0.5}[s.broker]
        if mixed:
            flag = rng.random() < 0.5
        out = [(54, "1")] + ([(77, "C")] if flag else [])
    if mixed and o.inst.asset_class == "option" and s.broker == "kestrel":
        out.append((77, rng.choice("OC")))
    return out


# ---- encoding ------------------------------------------------------------------------------------


def encode(s: Session, header: list[tuple[int, str]], body: list[tuple[int, str]]) -> str:
    m = fix.Message()
    h = m.getHeader()
    h.setField(fix.BeginString(s.version))
    h.setField(35, "8")
    for tag, value in header:
        h.setField(tag, value)
    for tag, value in body:
        m.setField(tag, value)
    return m.toString()


def frame(s: Session, raw: str, t: datetime) -> str:
    if s.frame == "soh":
        return raw
    if s.frame == "pipe":
        return raw.replace("\x01", "|")
    if s.frame == "quickfix_log":
        return f"{ts(t)} : {raw}"
    return t.strftime("%Y-%m-%d %H:%M:%S,") + f"{t.microsecond // 1000:03d} " + raw.replace("\x01", "|")


# ---- messages ------------------------------------------------------------------------------------


@dataclass
class Msg:
    t: datetime
    order: Order
    body: list
    kind: str  # new | fill | correct | bust | status | cancel | resend
    exec_id: str
    resend_of: Msg | None = None
    resend_kind: str = ""
    seq: int = 0
    sending: datetime | None = None


class DropCopy:
    def __init__(self, day: Day, rng: random.Random):
        self.day, self.rng = day, rng
        self.mixed = day.params["fix_mixed"]
        self.msgs: dict[str, list[Msg]] = {s.file: [] for s in SESSIONS}
        self.chains: dict[str, list[str]] = {}  # original ExecID -> correction ExecIDs, in order
        self.busted: dict[str, list[str]] = {s.file: [] for s in SESSIONS}
        self.effective: dict[str, dict[str, str | None]] = {s.file: {} for s in SESSIONS}
        self.counts = {s.file: {"non_booking": 0, "possdup_resends": 0} for s in SESSIONS}
        self.ids = Ids(rng, day.trade_date)
        self.ids.seen = {f.exec_id for o in day.orders for f in o.fills}

    def account(self, o: Order) -> str:
        """Kestrel and Tollan report their own account numbers; Ashgrove echoes the fund's code."""
        if o.broker.key == "ashgrove":
            return o.account
        return o.broker.account(o.account, "")

    def build(self) -> None:
        for o in self.day.orders:
            if o.in_fix:
                self._order(o)

    def _order(self, o: Order) -> None:
        s = session_of(o)
        rng = self.rng
        v42 = s.version == "FIX.4.2"
        style = _style(s, o, rng, self.mixed)
        base = [(37, o.broker_order_id), (11, o.order_id), (1, self.account(o)), *instrument_fields(style, s, o),
                *side_fields(s, o, o.side, rng, self.mixed), (38, fmt(o.order_qty)), (15, o.inst.currency),
                (75, f"{o.trade_date:%Y%m%d}"), (64, f"{settle_date(o):%Y%m%d}")]
        new_id = lambda: self.ids.exec_id(o.broker.key)  # noqa: E731
        # every event of the order, then emitted in time order with running CumQty / AvgPx
        events: list[tuple] = [(o.fills[0].exec_time - timedelta(milliseconds=rng.randint(50, 3000)), 0, "new",
                                None, D(0), D(0), new_id(), None)]
        for f in o.fills:
            events += self._fill_events(s, o, f, new_id)
        end = max(e[0] for e in events)
        for _ in range(o.status_msgs):
            end += timedelta(seconds=rng.randint(30, 900))
            events.append((end, 3, "status", None, D(0), D(0), new_id(), None))
        if o.order_qty > o.filled:
            end += timedelta(seconds=rng.randint(5, 600))
            events.append((end, 4, "cancel", None, D(0), D(0), new_id(), None))
        live: dict[str, tuple[Decimal, Decimal]] = {}  # unit (original ExecID) -> current (qty, px)
        sent: dict[str, Msg] = {}
        for t, _, kind, f, q, px, exec_id, ref in sorted(events, key=lambda e: (e[0], e[1])):
            if kind == "fill":
                live[f.exec_id] = (q, px)
            elif kind == "correct":
                live[f.exec_id] = (q, px)
            elif kind == "bust":
                live.pop(f.exec_id, None)
            cum = sum((v[0] for v in live.values()), D(0))
            notional = sum((v[0] * v[1] for v in live.values()), D(0))
            leaves = D(0) if kind == "cancel" else max(o.order_qty - cum, D(0))
            status = "4" if kind == "cancel" else "0" if cum == 0 else "2" if leaves == 0 else "1"
            if v42:
                exec_type = {"new": "0", "cancel": "4"}.get(kind, status)
                trans = {"correct": "2", "bust": "1", "status": "3"}.get(kind, "0")
            else:
                exec_type = {"new": "0", "fill": "F", "correct": "G", "bust": "H", "status": "I", "cancel": "4"}[kind]
            body = [(17, exec_id)] + ([(20, trans)] if v42 else []) + ([(19, ref)] if ref else [])
            body += [(150, exec_type), (39, status), *base, (32, fmt(q)), (31, fmt(px)), (151, fmt(leaves)),
                     (14, fmt(cum)), (6, fmt((notional / cum).quantize(D("0.000001"))) if cum else "0"), (60, ts(t))]
            if kind in ("fill", "correct"):
                if o.inst.mic and o.inst.asset_class in ("equity", "etf"):
                    body.append((30, o.inst.mic))
                if s.broker == "kestrel" and f.commission:
                    body += [(12, fmt(f.commission)), (13, "3")]
            msg = Msg(t=t, order=o, body=body, kind=kind, exec_id=exec_id)
            self.msgs[s.file].append(msg)
            if kind in ("new", "status", "cancel"):
                self.counts[s.file]["non_booking"] += 1
            if kind == "fill":
                sent[f.exec_id] = msg
        for f in o.fills:
            for what, how in f.lifecycle:
                if what == "resend":
                    orig = sent[f.exec_id]
                    self.msgs[s.file].append(Msg(t=orig.t + timedelta(seconds=rng.randint(300, 5400)), order=o,
                                                 body=list(orig.body), kind="resend", exec_id=f.exec_id,
                                                 resend_of=orig, resend_kind=how))
                    self.counts[s.file]["possdup_resends"] += 1

    def _fill_events(self, s: Session, o: Order, f: Fill, new_id) -> list[tuple]:
        """The fill as first reported, its corrections (150=G / 20=2) and bust (150=H / 20=1)."""
        rng = self.rng
        variants = dict(f.lifecycle)
        first_q, first_px = f.qty, f.price
        corrections: list[tuple[Decimal, Decimal, str]] = []  # (qty, px, 19 names "orig" | "last")
        if f.fix_price is not None:
            corrections = [(f.qty, f.fix_price, "orig")]
        elif "correct_ok" in variants:
            v = variants["correct_ok"]
            if v == "qty":
                first_q = _qty_off(o.inst, f.qty, rng)
                corrections = [(f.qty, f.price, "orig")]
            elif v == "price":
                first_px = _price_off(o.inst, f.price, rng)
                corrections = [(f.qty, f.price, "orig")]
            else:
                first_px = _price_off(o.inst, f.price, rng)
                corrections = [(f.qty, _price_off(o.inst, f.price, rng), "orig"),
                               (f.qty, f.price, "orig" if v == "twice_orig" else "last")]
        out = [(f.exec_time, 1, "fill", f, first_q, first_px, f.exec_id, None)]
        chain = [f.exec_id]
        t = f.exec_time
        for q, px, target in corrections:
            t = t + timedelta(seconds=rng.randint(60, 7200))
            cid = new_id()
            out.append((t, 2, "correct", f, q, px, cid, f.exec_id if target == "orig" else chain[-1]))
            chain.append(cid)
        if len(chain) > 1:
            self.chains[f.exec_id] = chain[1:]
        if f.busted:
            t = t + timedelta(seconds=rng.randint(120, 5400))
            out.append((t, 2, "bust", f, f.qty, f.price, new_id(), f.exec_id))
            self.busted[s.file].append(f.exec_id)
        else:
            self.effective[s.file][f.exec_id] = f.fill_id if f.in_oms else None
        return out

    # ---- writing ---------------------------------------------------------------------------------

    def write(self, out_dir) -> dict:
        files = {}
        for s in SESSIONS:
            msgs = sorted(self.msgs[s.file], key=lambda m: (m.t, m.kind == "resend"))
            seq = 1
            for m in msgs:
                if m.kind == "resend" and m.resend_kind == "43":
                    continue
                m.seq = seq
                seq += 1
                m.sending = m.t + timedelta(milliseconds=self.rng.randint(3, 90))
            lines = []
            for m in msgs:
                header = [(49, s.sender), (56, s.target)]
                if m.kind == "resend":
                    orig = m.resend_of
                    if m.resend_kind == "43":  # session-level resend: same MsgSeqNum, PossDupFlag
                        header += [(34, str(orig.seq)), (43, "Y"), (52, ts(m.t)), (122, ts(orig.sending))]
                    else:  # application-level resend: a new sequence number, PossResend
                        m.seq = seq
                        seq += 1
                        header += [(34, str(m.seq)), (52, ts(m.t)), (97, "Y")]
                    raw = encode(s, header, orig.body)
                    lines.append(frame(s, raw, m.t))
                    continue
                header += [(34, str(m.seq)), (52, ts(m.sending))]
                lines.append(frame(s, encode(s, header, m.body), m.t))
            path = out_dir / s.file
            with open(path, "w", newline="", encoding="latin-1") as fh:
                for line in lines:
                    fh.write(line + "\n")
            files[s.file] = len(lines)
        return files

    # ---- truth -----------------------------------------------------------------------------------

    def truth(self, files: dict) -> dict:
        matches, breaks = [], []
        for o in self.day.orders:
            if not o.in_fix:
                continue
            if o.oms_dup is not None:
                dup = [r for r in self.day.oms_rows if r.fill is o.oms_dup and r.fill_id != o.oms_dup.fill_id]
                breaks.append({"type": "DUPLICATE", "internal": [dup[0].fill_id], "broker": [],
                               "broker_name": o.broker.key, "cause": "dup_oms", "duplicate_of": o.oms_dup.fill_id})
            for f in o.fills:
                b = o.broker.key
                if f.busted:
                    if f.in_oms:
                        breaks.append({"type": "MISSING_AT_BROKER", "internal": [f.fill_id], "broker": [],
                                       "broker_name": b, "cause": "bust_booked"})
                    continue
                if not f.in_oms:
                    breaks.append({"type": "MISSING_INTERNALLY", "internal": [], "broker": [f.exec_id],
                                   "broker_name": b, "cause": o.event})
                elif f.fix_price is not None:
                    breaks.append({"type": "PRICE_MISMATCH", "internal": [f.fill_id], "broker": [f.exec_id],
                                   "broker_name": b, "cause": "correct_uncaught"})
                elif f.oms_over:
                    breaks.append({"type": _type_of(f.oms_over), "internal": [f.fill_id], "broker": [f.exec_id],
                                   "broker_name": b, "cause": o.event, "error_on": "oms"})
                else:
                    matches.append({"internal": [f.fill_id], "broker": [f.exec_id], "broker_name": b,
                                    "shape": "1:1"})
        oms = {r.fill_id: r for r in self.day.oms_rows}
        fills = {f.exec_id: f for o in self.day.orders for f in o.fills}

        def valid(i, f: Fill) -> bool:
            return i.qty == f.qty and abs(i.price - f.broker_price) <= price_tol(i.order.inst.asset_class,
                                                                                   f.broker_price)

        matches = _merge_pairs(matches, oms, fills, valid,
                               lambda i, f: (f.order.broker.key, i.account, i.order.inst.key, i.side, i.qty))
        sessions = {}
        for s in SESSIONS:
            sessions[s.file] = {
                "broker": s.broker, "fix_version": s.version, "frame": s.frame, "messages": files[s.file],
                "effective": self.effective[s.file], "busted": sorted(self.busted[s.file]),
                "chains": {k: v for k, v in self.chains.items() if k in self.effective[s.file]},
                **self.counts[s.file],
            }
        return {"matches": matches, "breaks": breaks, "sessions": sessions}


def write_dropcopy(day: Day, out_dir, rng: random.Random) -> dict:
    dc = DropCopy(day, rng)
    dc.build()
    files = dc.write(out_dir)
    return dc.truth(files)
