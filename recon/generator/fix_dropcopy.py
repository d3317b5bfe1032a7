"""A broker's FIX 4.4 drop copy of the executions routed to it, with a realistic lifecycle.

One ExecutionReport (35=8) per line, fields shown with '|' for SOH (pass soh=True for raw SOH).
BodyLength (9) and CheckSum (10) are those of the SOH-delimited wire message, so a reader turns
'|' back into SOH before checking them. Encoding is a plain function that produces byte-for-byte
what simplefix produces (tests/generator prove it); it is ~10x faster, which a million trades need.

Lifecycle noise per order: an optional New (150=0), fills (150=F, partials with CumQty/LeavesQty/
AvgPx), corrections (150=G, 19 = the original ExecID or the latest correction), busts (150=H) of a
fill the OMS never booked, PossDup resends (43=Y, 122, same ExecID and MsgSeqNum) and order-status
reports (150=I). Times: TransactTime/SendingTime in UTC; the CSV files are in New York time.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from recon.fix.framing import checksum
from recon.generator.identifiers import PX_SCALE, div_round_half_up, fmt_px

SOH = "\x01"
SIDE_CODES = {"buy": "1", "sell": "2", "sell_short": "5", "buy_to_cover": "1"}
SENDER = {"northbridge": "NBPRIME", "castlerock": "CASTLEROCK", "meridian": "MERIDIANPB"}
TARGET = "FUNDDC"


def fields(pairs: Iterable[tuple[int, str]]) -> str:
    """Tag=value pairs as SOH-terminated FIX text."""
    return "".join(f"{t}={v}{SOH}" for t, v in pairs)


def encode(header: str, body: str, begin: str = "FIX.4.4") -> bytes:
    """header and body are SOH-terminated field text (see fields()); 8, 9 and 10 are computed here,
    in the order simplefix writes them."""
    payload = (header + body).encode()
    msg = f"8={begin}{SOH}9={len(payload)}{SOH}".encode() + payload
    return msg + b"10=%03d\x01" % checksum(msg)


def _fix42_instrument(inst, fields44: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """4.2 lacks MaturityDate (541: MaturityMonthYear 200 + MaturityDay 205 instead) and TBOND."""
    out = []
    for tag, value in fields44:
        if tag == 541:
            out += [(200, value[:6]), (205, value[6:])]
        elif tag == 167 and value == "TBOND":
            continue
        else:
            out.append((tag, value))
    return out


def encode_many(messages: list[tuple[str, str]], begin: str = "FIX.4.4") -> list[bytes]:
    """encode() for many (header, body) pairs (the same bytes, one call for a file's messages)."""
    return [encode(header, body, begin) for header, body in messages]


def _ts(t: datetime) -> str:
    """UTCTimestamp with milliseconds, YYYYMMDD-HH:MM:SS.sss (sliced from isoformat: faster)."""
    s = t.isoformat("-", "milliseconds")
    return s[0:4] + s[5:7] + s[8:]


# FIX 4.2 has no ExecType F/G/H: ExecTransType (20) says new (0), cancel (1, a bust) or correct
# (2), and ExecType carries the order state (1 partial, 2 filled); order status is 20=3.
_FIX42_TRANS = {"0": "0", "F": "0", "G": "2", "H": "1", "I": "3"}


def instrument_fields(inst, version: str = "4.4") -> list[tuple[int, str]]:
    cls = inst.asset_class
    if version == "4.2":
        return _fix42_instrument(inst, instrument_fields(inst))
    if cls in ("equity", "etf"):
        return [(55, inst.symbol), (48, inst.isin), (22, "4"), (167, "CS"), (207, inst.mic)]
    if cls == "option":
        occ = inst.occ_symbol
        strike = int(occ[-8:])
        return [
            (55, occ[:6].strip()),
            (48, occ),
            (22, "8"),
            (167, "OPT"),
            (201, "1" if occ[12] == "C" else "0"),
            (202, fmt_px(strike * PX_SCALE // 1000, 0)),
            (541, "20" + occ[6:12]),
        ]
    if cls == "future":
        return [(55, inst.future_code), (48, inst.future_code), (22, "8"), (167, "FUT")]
    if cls == "fx":
        pair = inst.fx_pair[:6]
        # FIX 4.4 has one FX security type (FOR); SettlType tells spot (0) from a forward (6, on SettlDate)
        return [
            (55, f"{pair[:3]}/{pair[3:]}"),
            (48, inst.fx_pair),
            (22, "8"),
            (167, "FOR"),
            (63, "6" if inst.value_date else "0"),
        ]
    return [
        (55, "[N/A]"),
        (48, inst.isin),
        (22, "4"),
        (167, "TBOND" if inst.cusip.startswith("912") else "CORP"),
    ]


class DropCopyWriter:
    """Collects one broker's orders, then emits the session's messages in sending order."""

    def __init__(self, broker: str, trade_date: date, rng: random.Random, version: str = "4.4"):
        if version not in ("4.4", "4.2"):
            raise ValueError(f"FIX version {version!r}: expected 4.4 or 4.2")
        self.broker, self.trade_date, self.rng, self.version = broker, trade_date, rng, version
        self.prefix = broker[:2].upper()
        offset = datetime.combine(trade_date, datetime.min.time().replace(hour=12))
        self.utc_offset = offset.replace(tzinfo=ZoneInfo("America/New_York")).utcoffset()
        self.events: list[tuple[datetime, int, str, int]] = []  # (sending, order, body, dup_of)
        self.exec_seq = 0
        self.order_seq = 0
        self.effective: dict[str, str | None] = {}
        self.busted: list[str] = []
        self.superseded: list[str] = []
        self.non_booking = 0
        self.possdup = 0
        self._inst_fields: dict[int, str] = {}

    def _exec_id(self) -> str:
        self.exec_seq += 1
        return f"{self.prefix}E{self.trade_date:%y%m%d}{self.exec_seq:08d}"

    def _emit(self, when: datetime, body: str, dup_of: int = -1) -> int:
        self.events.append((when - self.utc_offset, len(self.events), body, dup_of))
        return len(self.events) - 1

    def add_order(self, inst, settle: date, fills: list[dict]) -> None:
        """fills: the order's executions in time order (qty, px, time, row: internal row or None)."""
        rng = self.rng
        self.order_seq += 1
        first = fills[0]
        order_qty = sum(f["qty"] for f in fills)
        static = fields([(37, f"{self.prefix}O{self.order_seq:09d}"), (11, first["order_id"])])
        inst_s = self._inst_fields.get(inst.idx)
        if inst_s is None:
            inst_s = self._inst_fields[inst.idx] = fields(instrument_fields(inst, self.version))
        tail = [(54, SIDE_CODES[first["side"]])]
        if first["side"] == "buy_to_cover":
            tail.append((77, "C"))  # PositionEffect Close: FIX has no buy-to-cover side
        tail_static = f"1={first['account']}{SOH}{inst_s}{fields([*tail, (38, str(order_qty))])}"
        dates = fields([(15, inst.currency), (75, f"{self.trade_date:%Y%m%d}"), (64, f"{settle:%Y%m%d}")])
        state = {"cum": 0, "notional": 0}
        fix42 = self.version == "4.2"

        def report(
            exec_type: str, exec_id: str, when: datetime, last_qty: int, last_px: int, ref: str | None = None
        ) -> str:
            cum, notional = state["cum"], state["notional"]
            leaves = max(0, order_qty - cum)
            if exec_type == "0":
                status = "0"
            elif exec_type == "I" and not cum:
                status = "0"
            else:
                status = "2" if leaves == 0 else "1"
            avg = fmt_px(div_round_half_up(notional, cum), 2) if cum else "0"
            ref_s = f"19={ref}{SOH}" if ref else ""
            if fix42:
                ref_s = f"20={_FIX42_TRANS[exec_type]}{SOH}{ref_s}"
                exec_type = status  # New -> 0, otherwise the order state after this report
            return (
                f"{static}17={exec_id}{SOH}{ref_s}150={exec_type}{SOH}39={status}{SOH}{tail_static}"
                f"32={last_qty}{SOH}31={fmt_px(last_px, 2)}{SOH}151={leaves}{SOH}14={cum}{SOH}6={avg}{SOH}"
                f"{dates}60={_ts(when - self.utc_offset)}{SOH}"
            )

        def latency(t: datetime) -> datetime:
            return t + timedelta(microseconds=20_000 + int(rng.random() * 880_000))

        if rng.random() < 0.3:
            self.non_booking += 1
            self._emit(
                first["time"] - timedelta(seconds=rng.randint(1, 5)),
                report("0", self._exec_id(), first["time"] - timedelta(seconds=5), 0, 0),
            )
        tick = inst.tick
        for f in fills:
            q, px, when = f["qty"], f["px"], f["time"]
            if rng.random() < 0.02:  # a fill the broker sends, then busts: never booked by the OMS
                bq = max(inst.qty_step, q // 3 - q // 3 % inst.qty_step) if q > inst.qty_step else q
                bid = self._exec_id()
                state["cum"] += bq
                state["notional"] += bq * px
                self._emit(latency(when), report("F", bid, when, bq, px))
                state["cum"] -= bq
                state["notional"] -= bq * px
                later = when + timedelta(seconds=rng.randint(30, 900))
                self._emit(latency(later), report("H", self._exec_id(), later, bq, px, ref=bid))
                self.busted.append(bid)
            r = rng.random()
            if r < 0.03:  # sent wrong, then corrected (once or twice)
                wrong_px = px + rng.choice((-1, 1)) * rng.randint(1, 3) * tick
                chain = [self._exec_id()]
                state["cum"] += q
                state["notional"] += q * wrong_px
                self._emit(latency(when), report("F", chain[0], when, q, wrong_px))
                state["notional"] += q * (px - wrong_px)
                t = when
                for _ in range(2 if rng.random() < 0.3 else 1):
                    t = t + timedelta(seconds=rng.randint(5, 600))
                    ref = chain[-1] if rng.random() < 0.5 else chain[0]
                    chain.append(self._exec_id())
                    self._emit(latency(t), report("G", chain[-1], when, q, px, ref=ref))
                self.superseded.extend(chain[:-1])
                exec_id = chain[-1]
            else:
                exec_id = self._exec_id()
                state["cum"] += q
                state["notional"] += q * px
                idx = self._emit(latency(when), report("F", exec_id, when, q, px))
                if r > 0.98:  # resent after a reconnect: PossDup, same ExecID and MsgSeqNum
                    self.possdup += 1
                    self._emit(when + timedelta(minutes=rng.randint(5, 90)), "", dup_of=idx)
            self.effective[exec_id] = f["row"]["record_id"] if f["row"] is not None else None
        if rng.random() < 0.1:
            self.non_booking += 1
            t = fills[-1]["time"] + timedelta(seconds=rng.randint(1, 600))
            self._emit(latency(t), report("I", self._exec_id(), t, 0, 0))

    def lines(self, soh: bool = False) -> list[bytes]:
        order = sorted(range(len(self.events)), key=lambda i: (self.events[i][0], i))
        seq_of: dict[int, int] = {}
        sent_of: dict[int, str] = {}
        pending: list[tuple[str, str]] = []
        seq = 0
        sender = SENDER[self.broker]
        for i in order:
            sending, _, body, dup_of = self.events[i]
            if dup_of >= 0:  # a resend repeats the original's body and sequence number
                body = self.events[dup_of][2]
                header = (
                    f"35=8{SOH}49={sender}{SOH}56={TARGET}{SOH}34={seq_of[dup_of]}{SOH}43=Y{SOH}"
                    f"52={_ts(sending)}{SOH}122={sent_of[dup_of]}{SOH}"
                )
            else:
                seq += 1
                seq_of[i], sent_of[i] = seq, _ts(sending)
                header = f"35=8{SOH}49={sender}{SOH}56={TARGET}{SOH}34={seq}{SOH}52={sent_of[i]}{SOH}"
            pending.append((header, body))
        out = encode_many(pending, begin=f"FIX.{self.version}")
        return out if soh else [m.replace(b"\x01", b"|") for m in out]

    def truth(self, file: str, messages: int) -> dict:
        return {
            "file": file,
            "messages": messages,
            "fix_version": self.version,
            "effective": self.effective,
            "busted": self.busted,
            "superseded": self.superseded,
            "possdup_resends": self.possdup,
            "non_booking": self.non_booking,
        }
