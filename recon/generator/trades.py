"""The day's trades: draw realistic trades, give each a shape (exact, tolerance, N:1, 1:N),
and keep the day well-posed (no row can be matched to anything but its true partner).

A trade is first built as a Draft holding its internal rows, broker rows, truth entries and
drop-copy fills; breaks.py and anomalies.py alter drafts; DayBuilder.commit checks the draft
against everything booked so far, then assigns record ids.
"""

from __future__ import annotations

import random
from bisect import bisect
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import accumulate

from recon.generator.economics import (
    accrued_cents,
    commission_cents,
    fee_cents,
    gross_cents,
    net_cents,
)
from recon.generator.identifiers import div_round_half_up
from recon.generator.reference import (
    ACCOUNTS,
    BROKER_SCHEDULES,
    InstSpec,
    draw_price,
    draw_quantity,
    settle_date,
)

SIDES = ("buy", "sell", "sell_short", "buy_to_cover")
SIDE_INDEX = {s: i for i, s in enumerate(SIDES)}
ACCOUNT_INDEX = {a.code: i for i, a in enumerate(ACCOUNTS)}
CLASS_WEIGHTS = {"equity": 50, "etf": 12, "option": 10, "future": 8, "fx": 10, "bond": 10}
SESSION_OPEN, SESSION_SECONDS = time(9, 30), 6 * 3600 + 30 * 60
CUTOFF = time(19, 0)  # allocation cut-off, ET


@dataclass(slots=True)
class Draft:
    inst: InstSpec
    account: str
    broker: str
    side: str
    qty: int
    px: int
    exec_dt: datetime
    book_dt: datetime
    order_id: str
    internal: list[dict] = field(default_factory=list)
    broker_rows: list[dict] = field(default_factory=list)
    virtual: list[tuple[str, dict]] = field(default_factory=list)  # ("I"|"B", aggregate totals)
    matches: list[tuple[list[dict], list[dict], dict]] = field(default_factory=list)
    breaks: list[tuple[str, list[dict], list[dict], dict]] = field(default_factory=list)
    anomalies: list[tuple[str, list[dict], list[dict], str]] = field(default_factory=list)
    fills: list[dict] = field(default_factory=list)  # executions the broker's drop copy reports
    late: bool = False

    def fill(self, qty: int, px: int, when: datetime, row: dict | None, **order) -> None:
        """One execution; row is the internal record it corresponds to (None: the OMS has none)."""
        self.fills.append(
            {
                "order_id": order.get("order_id", self.order_id),
                "account": order.get("account", self.account),
                "side": order.get("side", self.side),
                "qty": qty,
                "px": px,
                "time": when,
                "row": row,
            }
        )


class DayBuilder:
    """Draws trades for one day and keeps the books that make matching well-posed."""

    def __init__(self, trade_date: date, universe: list[InstSpec], brokers: list[str], rng: random.Random):
        self.trade_date = trade_date
        self.rng = rng
        self.brokers = brokers
        self.by_class: dict[str, list[InstSpec]] = {}
        for inst in universe:
            if any(inst.asset_class in BROKER_SCHEDULES[b] for b in brokers):
                self.by_class.setdefault(inst.asset_class, []).append(inst)
        if not self.by_class:
            raise ValueError(f"brokers {brokers} cover no asset class")
        self.classes = list(self.by_class)
        # one weighted draw per trade: cumulative weights over all instruments, cached choices per class
        self.insts = [i for c in self.classes for i in self.by_class[c]]
        self.inst_cum = list(
            accumulate(CLASS_WEIGHTS[i.asset_class] / len(self.by_class[i.asset_class]) for i in self.insts)
        )
        self._accounts = {c: [a.code for a in ACCOUNTS if c in a.asset_classes] for c in self.classes}
        self._brokers = {c: [x for x in brokers if c in BROKER_SCHEDULES[x]] for c in self.classes}
        self.settle = {i.idx: settle_date(i.asset_class, trade_date, i) for i in universe}
        self.session_start = datetime.combine(trade_date, SESSION_OPEN)
        # (account, instrument, side, qty) -> price or tuple of prices, per side of the match
        self.books: dict[str, dict[int, int | tuple[int, ...]]] = {"I": {}, "B": {}}
        self.order_seq = 0

    # --- drawing -------------------------------------------------------------------------
    def draw_instrument(self) -> InstSpec:
        return self.insts[bisect(self.inst_cum, self.rng.random() * self.inst_cum[-1])]

    def accounts_for(self, inst: InstSpec) -> list[str]:
        return self._accounts[inst.asset_class]

    def broker_for(self, inst: InstSpec) -> str:
        return self.rng.choice(self._brokers[inst.asset_class])

    def draw_side(self, inst: InstSpec) -> str:
        r = self.rng.random()
        if inst.asset_class in ("equity", "etf"):
            return "buy" if r < 0.4 else "sell" if r < 0.75 else "sell_short" if r < 0.9 else "buy_to_cover"
        return "buy" if r < 0.5 else "sell"

    def new_draft(
        self,
        exec_dt: datetime,
        inst: InstSpec | None = None,
        account: str | None = None,
        side: str | None = None,
    ) -> Draft:
        rng = self.rng
        inst = inst or self.draw_instrument()
        self.order_seq += 1
        book_dt = exec_dt + timedelta(seconds=60 + int(rng.random() * 2640))
        d = Draft(
            inst=inst,
            account=account or rng.choice(self.accounts_for(inst)),
            broker=self.broker_for(inst),
            side=side or self.draw_side(inst),
            qty=draw_quantity(rng, inst),
            px=draw_price(rng, inst),
            exec_dt=exec_dt,
            book_dt=book_dt,
            order_id=f"ORD-{self.trade_date:%Y%m%d}-{self.order_seq:07d}",
        )
        return d

    def row(
        self,
        d: Draft,
        qty: int | None = None,
        px: int | None = None,
        side: str | None = None,
        account: str | None = None,
        kind: str = "trade",
        when: datetime | None = None,
        spike: int = 1,
        gross_px: int | None = None,
    ) -> dict:
        """A canonical row with its money computed from the broker schedule."""
        inst, qty = d.inst, d.qty if qty is None else qty
        px = d.px if px is None else px
        side = side or d.side
        gross = gross_cents(inst, qty, px if gross_px is None else gross_px)
        comm = commission_cents(d.broker, inst, qty, gross, spike)
        reg, exch = fee_cents(inst, side, qty, gross)
        acc = accrued_cents(inst, qty)
        return {
            "record_id": None,
            "record_kind": kind,
            "status": None,
            "account": account or d.account,
            "broker": d.broker,
            "order_id": d.order_id,
            "group_id": None,
            "inst": inst,
            "side": side,
            "qty": qty,
            "px": px,
            "gross": gross,
            "commission": comm,
            "fee_reg": reg,
            "fee_exch": exch,
            "accrued": acc,
            "net": net_cents(side, gross, comm, reg + exch, acc),
            "trade_date": self.trade_date,
            "settle_date": self.settle[inst.idx],
            "transact_time": when or d.exec_dt,
            "book_time": d.book_dt,
        }

    @staticmethod
    def renet(r: dict) -> dict:
        r["net"] = net_cents(
            r["side"], r["gross"], r["commission"], r["fee_reg"] + r["fee_exch"], r["accrued"]
        )
        return r

    # --- shapes ----------------------------------------------------------------------------
    def shape_exact(self, d: Draft) -> None:
        i = self.row(d)
        b = dict(i)
        d.internal.append(i)
        d.broker_rows.append(b)
        d.matches.append(([i], [b], {"type": "exact"}))
        d.fill(d.qty, d.px, d.exec_dt, i)

    def shape_tolerance(self, d: Draft) -> None:
        """The broker shows the price rounded (net money unchanged), or a net a few cents off."""
        if self.rng.random() < 0.5:
            fine = fine_unit(d.inst)
            steps = max(1, min(3, d.inst.tol // (2 * fine)))
            oms_px = d.px + self.rng.choice((-1, 1)) * self.rng.randint(1, steps) * fine
            i = self.row(d, px=oms_px)
            b = dict(i, px=d.px)
            d.matches.append(([i], [b], {"type": "tolerance", "tolerance": "price"}))
            d.fill(d.qty, oms_px, d.exec_dt, i)
        else:
            i = self.row(d)
            b = dict(i, net=i["net"] + self.rng.choice((-1, 1)) * self.rng.randint(1, 4))
            d.matches.append(([i], [b], {"type": "tolerance", "tolerance": "net"}))
            d.fill(d.qty, d.px, d.exec_dt, i)
        d.internal.append(i)
        d.broker_rows.append(b)

    def shape_aggregate(self, d: Draft) -> None:
        """N:1: the OMS books K partial fills of one order; the broker one allocation at the VWAP."""
        rng, inst = self.rng, d.inst
        k = rng.randint(2, 5)
        lot = 100 if inst.asset_class in ("equity", "etf") and d.qty >= 100 * k else inst.qty_step
        units = d.qty // lot
        if units < k:
            return self.shape_exact(d)
        cuts = sorted(rng.sample(range(1, units), k - 1))
        parts = [(b - a) * lot for a, b in zip([0, *cuts], [*cuts, units], strict=True)]
        parts[-1] += d.qty - units * lot
        block = f"BLK-{d.order_id[4:]}"
        when, fills = d.exec_dt, []
        for q in parts:
            p = min(max(d.px + rng.randint(-3, 3) * inst.tick, inst.low), inst.high)
            f = self.row(d, qty=q, px=p, kind="fill", when=when)
            f["group_id"] = block
            fills.append(f)
            d.fill(q, p, when, f)
            when += timedelta(seconds=rng.randint(2, 240))
        fine = fine_unit(inst)
        vwap = sum(f["qty"] * f["px"] for f in fills)
        vwap_rounded = fine * div_round_half_up(vwap, d.qty * fine)
        b = {
            **fills[-1],
            "record_kind": "allocation",
            "qty": d.qty,
            "px": vwap_rounded,
            "group_id": None,
            "transact_time": fills[-1]["transact_time"],
        }
        for key in ("gross", "commission", "fee_reg", "fee_exch", "net"):
            b[key] = sum(f[key] for f in fills)
        if b["accrued"] is not None:
            b["accrued"] = sum(f["accrued"] for f in fills)
        d.internal.extend(fills)
        d.broker_rows.append(b)
        d.virtual.append(("I", {"account": d.account, "side": d.side, "qty": d.qty, "px": vwap_rounded}))
        d.matches.append((fills, [b], {"type": "aggregate", "shape": "n_to_1"}))

    def shape_split(self, d: Draft) -> None:
        """1:N: one OMS trade, the broker reports 2-3 allocation rows that sum up."""
        rng, inst = self.rng, d.inst
        k = rng.randint(2, 3)
        units = d.qty // inst.qty_step
        if units < k * 2:
            return self.shape_exact(d)
        cuts = sorted(rng.sample(range(1, units), k - 1))
        parts = [(b - a) * inst.qty_step for a, b in zip([0, *cuts], [*cuts, units], strict=True)]
        i = self.row(d)
        rows = []
        for n, q in enumerate(parts):
            last = n == len(parts) - 1
            r = dict(i, qty=q, record_kind="allocation")
            for key in ("gross", "commission", "fee_reg", "fee_exch", "accrued"):
                if i[key] is None:
                    continue
                r[key] = i[key] - sum(x[key] for x in rows) if last else i[key] * q // d.qty
            rows.append(self.renet(r))
        for r in rows:
            r["group_id"] = "@alloc"  # replaced by the broker's allocation id at commit
        d.internal.append(i)
        d.broker_rows.extend(rows)
        d.virtual.append(("B", {"account": d.account, "side": d.side, "qty": d.qty, "px": d.px}))
        d.matches.append(([i], rows, {"type": "aggregate", "shape": "1_to_n"}))
        d.fill(d.qty, d.px, d.exec_dt, i)

    # --- well-posedness ----------------------------------------------------------------------
    def _key(self, inst: InstSpec, r: dict) -> int:
        return (((ACCOUNT_INDEX[r["account"]] * 1024 + inst.idx) * 4 + SIDE_INDEX[r["side"]]) << 40) | r[
            "qty"
        ]

    def _conflicts(self, book: dict, key: int, px: int, margin: int) -> bool:
        have = book.get(key)
        if have is None:
            return False
        if isinstance(have, int):
            return abs(have - px) <= margin
        return any(abs(h - px) <= margin for h in have)

    def legs(self, d: Draft) -> list[tuple[str, dict]]:
        out = [("I", r) for r in d.internal if not r.get("_dup")]
        out += [("B", r) for r in d.broker_rows if not r.get("_dup")]
        return out + d.virtual

    def is_free(self, d: Draft) -> bool:
        """No row of this draft may be within tolerance of a row on the other side booked earlier."""
        margin = 2 * d.inst.tol + 1
        for side, r in self.legs(d):
            other = self.books["B" if side == "I" else "I"]
            if self._conflicts(other, self._key(d.inst, r), r["px"], margin):
                return False
        return True

    def reserve(self, d: Draft) -> None:
        for side, r in self.legs(d):
            book, key = self.books[side], self._key(d.inst, r)
            have = book.get(key)
            if have is None:
                book[key] = r["px"]
            else:
                book[key] = (*have, r["px"]) if isinstance(have, tuple) else (have, r["px"])


def fine_unit(inst: InstSpec) -> int:
    """The largest power of ten (in 1e-8 units) at most a quarter of the price tolerance."""
    unit = 1
    while unit * 10 <= inst.tol // 4:
        unit *= 10
    return unit


def late_booking_time(rng: random.Random, trade_date: date) -> datetime:
    return datetime.combine(trade_date, CUTOFF) + timedelta(seconds=rng.randint(1, 2 * 3600 + 59 * 60))
