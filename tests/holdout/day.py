"""One holdout trading day: orders and fills, the brokers' bookings, injected events, the truth.

The fund's OMS books one row per fill. Each prime broker books an order per fill, as one
allocation at the rounded VWAP, or as allocations split across sub-accounts, by its own habits.
Each broker's drop copy carries the executions as they happened. Injected events change one
thing on one side and are recorded with the answer a reconciliation must give (`truth`).

Truth rules (see README.md): a record is matched with the records of its booking unit (a fill
with its broker row, an order's fills with its allocation(s)), or is in exactly one break.
Economically identical 1:1 pairs are `interchangeable`. Where economics tie across orders, the
client order id every broker file carries decides. Victims of injected breaks are chosen so no
other record could stand in for them (no record of the same account, instrument and side with the
same quantity and a price within twice the tolerance).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from tests.holdout.regimes import regime as regime_params
from tests.holdout.universe import (
    ACCOUNTS,
    BROKERS,
    Broker,
    Instrument,
    add_business_days,
    build_universe,
    class_of,
    previous_business_day,
)

D = Decimal
ZONES = {"US": "America/New_York", "UK": "Europe/London", "GB": "Europe/London", "DE": "Europe/Berlin",
         "JP": "Asia/Tokyo", "FX": "America/New_York"}
NY = ZoneInfo("America/New_York")
ROUNDING = {"kestrel": ROUND_HALF_UP, "ashgrove": ROUND_HALF_EVEN, "tollan": ROUND_DOWN}

# Tolerances as docs/matching.md states its defaults (what a user reads). The maker keeps truth
# unambiguous with them, and the self-check holds every truth match within them.
TOL = {"default": (D("0.0001"), D("0.5")), "option": (D("0.005"), D(0)), "future": (D("0.0001"), D(0)),
       "fx": (D(0), D("0.2")), "bond": (D("0.0005"), D(0))}
COMMISSION_ABS = D("0.01")


def price_tol(asset_class: str, price: Decimal) -> Decimal:
    abs_, bps = TOL.get(asset_class, TOL["default"])
    return max(abs_, bps / 10000 * abs(price))


def money_places(ccy: str) -> Decimal:
    return D(1) if ccy == "JPY" else D("0.01")


def rmoney(x: Decimal, ccy: str) -> Decimal:
    return x.quantize(money_places(ccy), ROUND_HALF_UP)


def on_tick(x: Decimal, tick: Decimal) -> Decimal:
    return (x / tick).quantize(D(1), ROUND_HALF_UP) * tick


def fmt(x: Decimal) -> str:
    """Exact decimal text without exponent or trailing zeros (keeps integers whole)."""
    return format(x.normalize(), "f")


SELLS = ("sell", "sell_short")


# ---- the model -----------------------------------------------------------------------------------


@dataclass
class Fill:
    order: Order
    seq: int
    qty: Decimal
    price: Decimal
    exec_time: datetime
    exec_id: str
    fill_id: str = ""
    booked_at: datetime | None = None
    commission: Decimal = D(0)
    fees: dict = field(default_factory=dict)
    in_oms: bool = True
    oms_over: dict = field(default_factory=dict)  # an OMS booking error: field -> the OMS's value
    broker_over: dict = field(default_factory=dict)  # a broker booking error on this fill's own row
    broker_omitted: bool = False
    broker_dup: bool = False
    fix_price: Decimal | None = None  # a broker price correction the OMS never picked up
    busted: bool = False
    lifecycle: list = field(default_factory=list)  # ("correct_ok", variant) | ("resend", kind)
    late: bool = False

    @property
    def fee_total(self) -> Decimal:
        return sum(self.fees.values(), D(0))

    @property
    def broker_price(self) -> Decimal:
        return self.fix_price if self.fix_price is not None else self.price


@dataclass
class Order:
    n: int
    order_id: str
    account: str
    inst: Instrument
    side: str
    broker: Broker
    booking: str  # fill | order | split
    trade_date: date
    broker_order_id: str
    fills: list = field(default_factory=list)
    order_qty: Decimal = D(0)
    event: str | None = None
    err_side: str | None = None
    in_oms: bool = True
    in_fix: bool = True
    broker_rows_omitted: bool = False
    alloc_over: dict = field(default_factory=dict)  # group-level broker error
    alloc_over_part: int | None = None  # split bookings: the part a quantity/commission error is on
    alloc_dup: bool = False
    oms_dup: Fill | None = None
    as_of: bool = False
    status_msgs: int = 0
    six_dp: bool = False

    @property
    def key(self) -> tuple:
        return (self.broker.key, self.account, self.inst.key, self.side)

    @property
    def filled(self) -> Decimal:
        return sum((f.qty for f in self.fills), D(0))


@dataclass
class OmsRow:
    fill_id: str
    order: Order
    fill: Fill
    account: str
    side: str
    qty: Decimal
    price: Decimal
    commission: Decimal
    fees: dict
    status: str
    booked_at: datetime
    trade_date: date
    settle: date
    excluded: str | None = None  # why this row is not part of today's reconciliation


@dataclass
class BrokerRow:
    ref: str
    broker: Broker
    order: Order
    fills: list
    kind: str  # FILL | ALLOC
    fund_account: str  # the fund account the broker's number stands for
    account: str  # the broker's own account number
    side: str
    qty: Decimal
    price: Decimal
    settle: date
    commission: Decimal
    fees: dict
    trade_date: date
    exec_time: datetime
    alloc_ref: str = ""
    status: str = "NEW"
    excluded: str | None = None

    @property
    def fee_total(self) -> Decimal:
        return sum(self.fees.values(), D(0))


@dataclass
class Day:
    regime: str
    seed: int
    trade_date: date
    params: dict
    universe: list
    orders: list
    oms_rows: list
    broker_rows: list
    truth: dict
    xref: list  # (broker code, broker account, fund account)


# ---- economics -----------------------------------------------------------------------------------


def charges(inst: Instrument, side: str, qty: Decimal, price: Decimal) -> tuple[Decimal, dict]:
    """Commission and fees the fund's schedule (and the broker, booking an execution) charges."""
    ccy = inst.currency
    gross = rmoney(qty * price * inst.multiplier, ccy)
    cls = class_of(inst)
    fees: dict[str, Decimal] = {}
    comm = D(0)
    if cls in ("equity_us", "etf"):
        comm = rmoney(qty * D("0.0035"), ccy)
        if side in SELLS:
            fees["sec"] = rmoney(gross * D("0.0000278"), ccy)
            fees["taf"] = min(rmoney(qty * D("0.000166"), ccy), D("8.30"))
    elif cls == "equity_intl":
        bps = {"UK": D("0.0006"), "JP": D("0.0005"), "DE": D("0.0005")}[inst.market]
        comm = rmoney(gross * bps, ccy)
        if inst.market == "UK" and side not in SELLS:
            fees["stamp"] = rmoney(gross * D("0.005"), ccy)
    elif cls == "option":
        comm = rmoney(qty * D("0.65"), ccy)
        fees["exch"] = rmoney(qty * D("0.02295"), ccy)
    elif cls == "future":
        per = {"USD": (D("1.50"), D("1.38")), "EUR": (D("1.20"), D("0.50")), "JPY": (D("150"), D("110"))}[ccy]
        comm, fees["exch"] = rmoney(qty * per[0], ccy), rmoney(qty * per[1], ccy)
    return comm, fees


def alloc_commission(inst: Instrument, side: str, qty: Decimal, gross_exact: Decimal) -> Decimal:
    """The broker's commission on an allocation: its schedule on the total (rounded once)."""
    avg = gross_exact / (qty * inst.multiplier)
    return charges(inst, side, qty, avg)[0]


def accrued(inst: Instrument, qty: Decimal) -> Decimal:
    if inst.asset_class != "bond":
        return D(0)
    return rmoney(qty * inst.coupon / 100 * D(inst.accrued_days) / 360, inst.currency)


# ---- ids -----------------------------------------------------------------------------------------


class Ids:
    def __init__(self, rng: random.Random, trade_date: date):
        self.rng = rng
        self.d = trade_date
        self.seen: set[str] = set()
        self.counters: dict[str, int] = {}

    def _unique(self, make) -> str:
        while True:
            v = make()
            if v not in self.seen:
                self.seen.add(v)
                return v

    def seq(self, name: str) -> int:
        self.counters[name] = self.counters.get(name, 0) + 1
        return self.counters[name]

    def order_id(self, d: date) -> str:
        return f"O-{d:%y%m%d}-{self.seq('order'):05d}"

    def exec_id(self, broker: str) -> str:
        r = self.rng
        if broker == "kestrel":
            return self._unique(lambda: "KX" + "".join(r.choice("0123456789ABCDEF") for _ in range(12)))
        if broker == "ashgrove":
            return self._unique(lambda: "7" + "".join(r.choice("0123456789") for _ in range(11)))
        return self._unique(lambda: f"TE{self.d:%y%m%d}{r.randrange(10**7):07d}")

    def broker_order_id(self, broker: str) -> str:
        r = self.rng
        if broker == "kestrel":
            return self._unique(lambda: f"KPSO{r.randrange(10**9):09d}")
        if broker == "ashgrove":
            return self._unique(lambda: f"AG-{r.randrange(10**8):08d}")
        return self._unique(lambda: f"TO{self.d:%y%m%d}/{r.randrange(10**6):06d}")

    def broker_ref(self, broker: str) -> str:
        r = self.rng
        if broker == "kestrel":
            return self._unique(lambda: f"KP{r.randrange(10**10):010d}")
        if broker == "ashgrove":
            return self._unique(lambda: f"AS{r.randrange(10**8):08d}")
        return self._unique(lambda: f"TLN{self.d:%y%m%d}{r.randrange(10**6):06d}")

    def alloc_ref(self, broker: str) -> str:
        r = self.rng
        if broker == "kestrel":
            return self._unique(lambda: f"KA{r.randrange(10**8):08d}")
        if broker == "ashgrove":
            return self._unique(lambda: f"AL{r.randrange(10**7):07d}")
        return self._unique(lambda: f"BLK{r.randrange(10**7):07d}")


# ---- drawing orders ------------------------------------------------------------------------------


def _session(inst: Instrument) -> tuple[str, time, time]:
    if inst.asset_class in ("fx",):
        return "America/New_York", time(3, 0), time(16, 30)
    if inst.asset_class == "future":
        if inst.market == "DE":
            return "Europe/Berlin", time(8, 0), time(18, 0)
        if inst.market == "JP":
            return "America/New_York", time(8, 0), time(16, 0)
        return "America/New_York", time(6, 0), time(16, 45)
    market = inst.market if inst.market in ZONES else "US"
    zone = ZONES[market]
    if market == "JP":
        return zone, time(9, 0), time(15, 0)
    if market in ("UK", "GB"):
        return zone, time(8, 0), time(16, 30)
    if market == "DE":
        return zone, time(9, 0), time(17, 30)
    if inst.asset_class == "bond":
        return zone, time(8, 0), time(16, 0)
    return zone, time(9, 30), time(16, 0)


def _fill_qty(inst: Instrument, rng: random.Random) -> Decimal:
    cls = class_of(inst)
    if cls in ("equity_us", "etf"):
        q = 100 * rng.randint(1, 20)
        if inst.odd_lots and rng.random() < 0.08:
            q += rng.randint(1, 99)
        return D(q)
    if cls == "equity_intl":
        if inst.market == "JP":
            return D(100 * rng.randint(1, 30))
        if inst.market == "UK":
            return D(50 * rng.randint(2, 400))
        return D(10 * rng.randint(1, 300))
    if cls == "option":
        return D(rng.randint(1, 50))
    if cls == "future":
        return D(rng.randint(1, 25))
    if cls == "fx":
        return D(10000 * rng.randint(5, 300))
    return D(5000 * rng.randint(10, 400))


def _n_fills(p: dict, rng: random.Random) -> int:
    kind, a, b = p["fills"]
    if kind == "uniform":
        return rng.randint(a, b)
    n = 1
    while n < b and rng.random() > a:
        n += 1
    return n


def _side(inst: Instrument, rng: random.Random) -> str:
    if inst.asset_class in ("equity", "etf"):
        return rng.choices(["buy", "sell", "sell_short", "buy_to_cover"], [40, 35, 15, 10])[0]
    return rng.choice(["buy", "sell"])


def _booking(broker: str, cls: str, n: int, p: dict, rng: random.Random) -> str:
    if p["booking"] == "mixed":
        return rng.choices(["fill", "order", "split"], [40, 40, 20])[0]
    if broker == "kestrel":
        if cls in ("equity_us", "etf"):
            return "fill" if n == 1 else rng.choices(["order", "fill", "split"], [65, 25, 10])[0]
        if cls == "future":
            return rng.choices(["order", "split"], [80, 20])[0]
        return "fill"
    if broker == "ashgrove":
        if cls == "option":
            return "order"
        if cls == "bond":
            return "fill"
        return "fill" if n < 6 else "order"
    if cls == "future":
        return rng.choices(["order", "split"], [60, 40])[0]
    if cls == "fx":
        return rng.choices(["fill", "order"], [70, 30])[0]
    if cls == "bond":
        return "fill"
    return "order"


def _select_instruments(universe: list[Instrument], names: list[str] | None) -> list[Instrument]:
    if not names:
        return universe
    out = []
    for i in universe:
        tags = {i.ticker, i.future_root, i.pair, i.name}
        if i.asset_class == "option":
            tags = {f"opt:{i.underlying}"}
        if tags & set(names):
            out.append(i)
    return out


def _rng_time(rng: random.Random, d: date, zone: str, start: time, end: time) -> datetime:
    tz = ZoneInfo(zone)
    a = datetime.combine(d, start, tz)
    b = datetime.combine(d, end, tz)
    secs = (b - a).total_seconds()
    t = a + timedelta(seconds=rng.uniform(0, secs * 0.92))
    t = t.replace(microsecond=(t.microsecond // 1000) * 1000)
    return t.astimezone(UTC)


def draw_order(n: int, d: date, p: dict, rng: random.Random, ids: Ids, by_class: dict, accounts: list[str]) -> Order:
    while True:
        account = rng.choice(accounts)
        classes = sorted(c for c in ACCOUNTS[account]["classes"] if by_class.get(c))
        if classes:
            break
    cls = rng.choice(classes)
    inst = rng.choice(by_class[cls])
    routes = [(b, w) for b, br in BROKERS.items() for c, w in br.routes.items() if c == cls]
    broker = BROKERS[rng.choices([b for b, _ in routes], [w for _, w in routes])[0]]
    nf = _n_fills(p, rng)
    o = Order(n=n, order_id=ids.order_id(d), account=account, inst=inst, side=_side(inst, rng), broker=broker,
              booking=_booking(broker.key, cls, nf, p, rng), trade_date=d,
              broker_order_id=ids.broker_order_id(broker.key))
    o.six_dp = inst.asset_class in ("equity", "etf", "future", "option") and rng.random() < p["six_dp_share"]
    base = inst.ref_price * (1 + D(str(round(rng.gauss(0, 0.006), 6))))
    zone, start, end = _session(inst)
    t = _rng_time(rng, d, zone, start, end)
    for k in range(nf):
        o.fills.append(_new_fill(o, k + 1, base, t, rng, ids, p))
        t += timedelta(seconds=rng.uniform(2, 90 if nf > 10 else 400))
    o.order_qty = o.filled
    if rng.random() < p["lifecycle"]["partial_cancel"]:
        o.order_qty += _fill_qty(inst, rng)  # the rest is cancelled at the end (150=4)
    o.status_msgs = 1 if rng.random() < p["lifecycle"]["status"] else 0
    if o.booking == "split" and len(o.fills) > 12:
        o.booking = "order"
    return o


def _new_fill(o: Order, seq: int, base: Decimal, t: datetime, rng: random.Random, ids: Ids, p: dict) -> Fill:
    inst = o.inst
    px = base * (1 + D(str(round(rng.gauss(0, 0.0008), 6))))
    px = max(on_tick(px, inst.tick), inst.tick)
    if o.six_dp:
        px = (px + D(str(round(rng.random(), 6))) * inst.tick).quantize(D("0.000001"))
    elif inst.asset_class == "equity" and inst.market == "US" and rng.random() < p["midpoint_share"]:
        px = px + inst.tick / 2
    f = Fill(order=o, seq=seq, qty=_fill_qty(inst, rng), price=px, exec_time=t, exec_id=ids.exec_id(o.broker.key))
    f.commission, f.fees = charges(inst, o.side, f.qty, f.price)
    return f


# ---- signatures: what could stand in for what --------------------------------------------------


class Book:
    """Internal records by (broker, account, instrument, side): who could be confused with whom."""

    def __init__(self, orders: list[Order]):
        self.by_key: dict[tuple, list[Order]] = {}
        for o in orders:
            self.by_key.setdefault(o.key, []).append(o)

    @staticmethod
    def _near(inst: Instrument, q1, p1, q2, p2) -> bool:
        return q1 == q2 and abs(p1 - p2) <= 2 * price_tol(inst.asset_class, p2)

    def values_collide(self, key: tuple, inst: Instrument, qty: Decimal, price: Decimal, skip: Order | None = None) -> bool:
        """Could a record with these values be paired with a record (or an order's sum) in key?"""
        for o in self.by_key.get(key, []):
            if o is skip:
                continue
            for f in o.fills:
                if self._near(inst, f.qty, f.price, qty, price):
                    return True
            q = o.filled
            if self._near(inst, q, vwap(o.fills), qty, price):
                return True
        return False

    def fill_has_twin(self, f: Fill) -> bool:
        o = f.order
        for other in self.by_key.get(o.key, []):
            for g in other.fills:
                if g is not f and self._near(o.inst, g.qty, g.price, f.qty, f.price):
                    return True
            if other is not o and self._near(o.inst, other.filled, vwap(other.fills), f.qty, f.price):
                return True
        return False

    def order_has_twin(self, o: Order) -> bool:
        if any(self.fill_has_twin(f) for f in o.fills):
            return True
        return self.values_collide(o.key, o.inst, o.filled, vwap(o.fills), skip=o)

    def add(self, o: Order) -> None:
        self.by_key.setdefault(o.key, []).append(o)


def vwap(fills: list[Fill]) -> Decimal:
    q = sum((f.qty for f in fills), D(0))
    return sum((f.qty * f.price for f in fills), D(0)) / q


# ---- events --------------------------------------------------------------------------------------

RECORD_EVENTS = ("mab_fill", "qty", "price", "side", "account", "settle", "commission", "dup_broker",
                 "correct_uncaught")
GROUP_EVENTS = ("g_qty", "g_price", "g_side", "g_settle", "g_account", "g_commission")
ORDER_EVENTS = ("mab_order", "mi_order", "mi_giveup", "dup_oms", "bust_booked")


def _sibling_account(o: Order, rng: random.Random, accounts: list[str]) -> str | None:
    cls = class_of(o.inst)
    options = [a for a in accounts if a != o.account and cls in ACCOUNTS[a]["classes"]]
    options = options or [a for a in ACCOUNTS if a != o.account and cls in ACCOUNTS[a]["classes"]]
    return rng.choice(sorted(options)) if options else None


def _other_side(side: str, inst: Instrument, rng: random.Random, direction_only: bool) -> str:
    flip = {"buy": "sell", "sell": "buy", "sell_short": "buy", "buy_to_cover": "sell"}
    if direction_only or inst.asset_class not in ("equity", "etf") or rng.random() < 0.4:
        return flip[side]
    return {"buy": "buy_to_cover", "buy_to_cover": "buy", "sell": "sell_short", "sell_short": "sell"}[side]


def _price_off(inst: Instrument, price: Decimal, rng: random.Random) -> Decimal:
    step = max(10 * price_tol(inst.asset_class, price), 3 * inst.tick)
    off = step * rng.choice([1, 1, 2, 3]) * rng.choice([-1, 1])
    new = on_tick(price + off, inst.tick) if not inst.tick.is_zero() else price + off
    if new <= 0:
        new = on_tick(price + abs(off), inst.tick)
    return new


def _qty_off(inst: Instrument, qty: Decimal, rng: random.Random) -> Decimal:
    lot = inst.lot if class_of(inst) not in ("equity_intl",) else D(10)
    r = rng.random()
    if r < 0.2:
        return qty * 10  # fat finger
    new = qty + lot * rng.randint(1, 5) * rng.choice([-1, 1])
    return new if new > 0 else qty + lot * rng.randint(1, 5)


class EventPlanner:
    def __init__(self, orders, rng, ids, p, book: Book, accounts, by_class, d):
        self.orders, self.rng, self.ids, self.p, self.book = orders, rng, ids, p, book
        self.accounts, self.by_class, self.d = accounts, by_class, d

    def plan(self) -> dict[str, int]:
        p, n = self.p, len(self.orders)
        wanted = []
        for ev, rate in p["events"].items():
            k = rate * n * (p["group_boost"] if ev in GROUP_EVENTS else 1)
            wanted.append((ev, max(1, round(k))))
        placed: dict[str, int] = {}
        # round-robin so every type is placed before any type's second instance
        queue = [ev for ev, k in wanted for _ in range(k)]
        order_in_round: dict[str, int] = {}
        keyed = []
        for ev in queue:
            order_in_round[ev] = order_in_round.get(ev, 0) + 1
            keyed.append((order_in_round[ev], list(p["events"]).index(ev), ev))
        for _, _, ev in sorted(keyed):
            if getattr(self, f"_ev_{ev}")():
                placed[ev] = placed.get(ev, 0) + 1
        return placed

    # candidates -----------------------------------------------------------------------------------

    def _pick(self, ok, tries: int = 200) -> Order | None:
        free = [o for o in self.orders if o.event is None and not o.as_of]
        self.rng.shuffle(free)
        for o in free[:tries]:
            if ok(o):
                return o
        for o in free[tries:]:
            if ok(o):
                return o
        return None

    def _one_to_one(self, o: Order) -> bool:
        return o.booking == "fill" or (len(o.fills) == 1 and o.booking == "order")

    def _pick_fill(self, o: Order) -> Fill | None:
        cands = [f for f in o.fills if not self.book.fill_has_twin(f)]
        return self.rng.choice(cands) if cands else None

    # record-level events --------------------------------------------------------------------------

    def _record_event(self, ev: str, apply) -> bool:
        for _ in range(40):
            o = self._pick(lambda o: self._one_to_one(o))
            if o is None:
                return False
            f = self._pick_fill(o)
            if f is None:
                o.event = "_tried"  # keep it from being picked again for a record event
                continue
            if apply(o, f):
                o.event = ev
                return True
            o.event = "_tried"
        return False

    def _ev_mab_fill(self) -> bool:
        def apply(o, f):
            f.broker_omitted = True
            return True
        return self._record_event("mab_fill", apply)

    def _ev_dup_broker(self) -> bool:
        if self.rng.random() < 0.35:  # the broker books an order's allocation twice
            def apply_alloc(o):
                o.alloc_dup = True
                return True
            if self._order_event("dup_broker", lambda o: o.booking == "order" and len(o.fills) >= 2, apply_alloc):
                return True

        def apply(o, f):
            f.broker_dup = True
            return True
        return self._record_event("dup_broker", apply)

    def _ev_qty(self) -> bool:
        return self._record_event("qty", lambda o, f: self._mismatch(o, f, "qty"))

    def _ev_price(self) -> bool:
        return self._record_event("price", lambda o, f: self._mismatch(o, f, "price"))

    def _ev_side(self) -> bool:
        return self._record_event("side", lambda o, f: self._mismatch(o, f, "side"))

    def _ev_account(self) -> bool:
        return self._record_event("account", lambda o, f: self._mismatch(o, f, "account"))

    def _ev_settle(self) -> bool:
        return self._record_event("settle", lambda o, f: self._mismatch(o, f, "settle", broker_only=True))

    def _ev_commission(self) -> bool:
        return self._record_event("commission", lambda o, f: self._mismatch(o, f, "commission", broker_only=True))

    def _mismatch(self, o: Order, f: Fill, what: str, broker_only: bool = False) -> bool:
        rng = self.rng
        err_side = "broker" if broker_only or rng.random() < 0.7 else "oms"
        if err_side == "oms" and o.inst.asset_class in ("fx",) and what == "side":
            err_side = "broker"
        over: dict = {}
        if what == "qty":
            q = _qty_off(o.inst, f.qty, rng)
            if self.book.values_collide(o.key, o.inst, q, f.price):
                return False
            over["qty"] = q
        elif what == "price":
            px = _price_off(o.inst, f.price, rng)
            if self.book.values_collide(o.key, o.inst, f.qty, px):
                return False
            over["price"] = px
        elif what == "side":
            s = _other_side(o.side, o.inst, rng, direction_only=err_side == "oms")
            if self.book.values_collide((o.broker.key, o.account, o.inst.key, s), o.inst, f.qty, f.price):
                return False
            over["side"] = s
        elif what == "account":
            a = _sibling_account(o, rng, self.accounts)
            if a is None or self.book.values_collide((o.broker.key, a, o.inst.key, o.side), o.inst, f.qty, f.price):
                return False
            over["account"] = a
        elif what == "settle":
            over["settle_shift"] = rng.choice([1, 1, 2, -1])
        elif what == "commission":
            over["commission"] = max(f.commission * 2, f.commission + D("5.00")) + rng.choice([D(0), D("25.00")])
        o.err_side = err_side
        if err_side == "broker":
            f.broker_over = over
        else:
            f.oms_over = over
        return True

    def _ev_correct_uncaught(self) -> bool:
        def apply(o, f):
            if o.booking != "fill":
                return False
            px = _price_off(o.inst, f.price, self.rng)
            if self.book.values_collide(o.key, o.inst, f.qty, px):
                return False
            f.fix_price = px
            return True
        return self._record_event("correct_uncaught", apply)

    # order-level events ---------------------------------------------------------------------------

    def _order_event(self, ev: str, ok, apply) -> bool:
        for _ in range(40):
            o = self._pick(ok)
            if o is None:
                return False
            if self.book.order_has_twin(o):
                o.event = "_tried"
                continue
            if apply(o):
                o.event = ev
                return True
            o.event = "_tried"
        return False

    def _ev_mab_order(self) -> bool:
        def apply(o):
            o.broker_rows_omitted = True
            return True
        return self._order_event("mab_order", lambda o: True, apply)

    def _ev_mi_order(self) -> bool:
        def apply(o):
            o.in_oms = False
            for f in o.fills:
                f.in_oms = False
            return True
        return self._order_event("mi_order", lambda o: True, apply)

    def _ev_dup_oms(self) -> bool:
        def apply(o):
            o.oms_dup = self.rng.choice(o.fills)
            return True
        return self._order_event("dup_oms", lambda o: o.booking != "split", apply)

    def _ev_bust_booked(self) -> bool:
        def apply(o):
            last = o.fills[-1]
            f = _new_fill(o, len(o.fills) + 1, last.price, last.exec_time + timedelta(seconds=30), self.rng,
                          self.ids, self.p)
            if self.book.fill_has_twin(f) or self.book.values_collide(o.key, o.inst, f.qty, f.price):
                return False
            f.busted = True
            o.fills.append(f)
            o.order_qty += f.qty
            return True
        return self._order_event("bust_booked", lambda o: True, apply)

    def _ev_mi_giveup(self) -> bool:
        for _ in range(40):
            o = draw_order(len(self.orders), self.d, self.p, self.rng, self.ids, self.by_class, self.accounts)
            o.in_oms, o.in_fix = False, False
            for f in o.fills:
                f.in_oms = False
            if o.booking == "split":
                o.booking = "order"
            if not self.book.order_has_twin(o):
                o.event = "mi_giveup"
                self.orders.append(o)
                self.book.add(o)
                return True
        return False

    # group-level events ---------------------------------------------------------------------------

    def _group_event(self, ev: str, apply) -> bool:
        return self._order_event(ev, lambda o: o.booking in ("order", "split") and len(o.fills) >= 2, apply)

    def _ev_g_qty(self) -> bool:
        def apply(o):
            q = _qty_off(o.inst, o.filled, self.rng)
            if self.book.values_collide(o.key, o.inst, q, vwap(o.fills)):
                return False
            o.alloc_over = {"qty_delta": q - o.filled}
            return True
        return self._group_event("g_qty", apply)

    def _ev_g_price(self) -> bool:
        def apply(o):
            v = vwap(o.fills)
            px = _price_off(o.inst, v, self.rng)
            if self.book.values_collide(o.key, o.inst, o.filled, px):
                return False
            o.alloc_over = {"price": px}
            return True
        return self._group_event("g_price", apply)

    def _ev_g_side(self) -> bool:
        def apply(o):
            s = _other_side(o.side, o.inst, self.rng, direction_only=False)
            if self.book.values_collide((o.broker.key, o.account, o.inst.key, s), o.inst, o.filled, vwap(o.fills)):
                return False
            o.alloc_over = {"side": s}
            return True
        return self._group_event("g_side", apply)

    def _ev_g_settle(self) -> bool:
        def apply(o):
            o.alloc_over = {"settle_shift": self.rng.choice([1, 1, 2, -1])}
            return True
        return self._group_event("g_settle", apply)

    def _ev_g_account(self) -> bool:
        def apply(o):
            a = _sibling_account(o, self.rng, self.accounts)
            if a is None or self.book.values_collide((o.broker.key, a, o.inst.key, o.side), o.inst, o.filled,
                                                     vwap(o.fills)):
                return False
            o.alloc_over = {"account": a}
            return True
        return self._group_event("g_account", apply)

    def _ev_g_commission(self) -> bool:
        def apply(o):
            total = sum((f.commission for f in o.fills), D(0))
            o.alloc_over = {"commission_add": max(total, D("5.00")) + self.rng.choice([D(0), D("25.00")])}
            return True
        return self._group_event("g_commission", apply)


def _lifecycle(orders: list[Order], p: dict, rng: random.Random, ids: Ids) -> None:
    """FIX-only events that change no outcome: corrections back to the booked values, busts of
    fills nobody booked, PossDup resends."""
    lc = p["lifecycle"]
    for o in orders:
        if not o.in_fix:
            continue
        for f in list(o.fills):
            if f.busted or f.fix_price is not None:
                continue
            if rng.random() < lc["correct_ok"]:
                f.lifecycle.append(("correct_ok", rng.choice(["price", "price", "qty", "twice_orig", "twice_last"])))
            if rng.random() < lc["resend"]:
                f.lifecycle.append(("resend", rng.choice(["43", "43", "97"])))
        if rng.random() < lc["bust_clean"]:
            last = o.fills[-1]
            f = _new_fill(o, len(o.fills) + 1, last.price, last.exec_time + timedelta(seconds=20), rng, ids, p)
            f.busted, f.in_oms = True, False
            o.fills.append(f)
            o.order_qty += f.qty


# ---- bookings ------------------------------------------------------------------------------------


def _settle(o: Order) -> date:
    return add_business_days(o.trade_date, o.inst.settle_days)


def _round_price(broker: str, inst: Instrument, px: Decimal) -> Decimal:
    places = D("0.000001") if inst.asset_class == "fx" else D("0.0001")
    return px.quantize(places, ROUNDING[broker])


def _split_parts(o: Order, eff: list[Fill], rng: random.Random) -> list[Decimal] | None:
    """2-3 sub-account quantities summing to the order, none equal to what a subset of fills sums to."""
    lot = o.inst.lot if class_of(o.inst) != "equity_intl" else D(10)
    total = sum((f.qty for f in eff), D(0))
    units = int(total / lot)
    if units < 2 or total % lot:
        return None
    sums = {D(0)}
    for f in eff:
        sums |= {s + f.qty for s in sums}
    for _ in range(30):
        m = rng.choice([2, 2, 3]) if units >= 3 else 2
        cuts = sorted(rng.sample(range(1, units), m - 1))
        parts = [D(b - a) * lot for a, b in zip([0, *cuts], [*cuts, units], strict=True)]
        if all(p not in sums for p in parts):
            return parts
    return None


def _broker_account(o: Order, fund_account: str, side: str, sub: str = "") -> str:
    if side in ("sell_short", "buy_to_cover") and not sub:
        sub = "S"
    return o.broker.account(fund_account, sub)


def build_bookings(day_orders: list[Order], rng: random.Random, ids: Ids, p: dict) -> tuple[list, list, list, list]:
    """-> OMS rows, broker rows, truth matches, truth breaks (broker recon)."""
    oms_rows: list[OmsRow] = []
    broker_rows: list[BrokerRow] = []
    matches: list[dict] = []
    breaks: list[dict] = []
    for o in day_orders:
        settle = _settle(o)
        # OMS rows
        oms_of: dict[int, OmsRow] = {}
        for f in o.fills:
            if not f.in_oms:
                continue
            ov = f.oms_over
            row = OmsRow(fill_id=f.fill_id, order=o, fill=f, account=ov.get("account", o.account),
                         side=ov.get("side", o.side), qty=ov.get("qty", f.qty), price=ov.get("price", f.price),
                         commission=f.commission, fees=dict(f.fees), status="FILLED", booked_at=f.booked_at,
                         trade_date=o.trade_date, settle=settle)
            if ov:
                row.commission, row.fees = charges(o.inst, row.side, row.qty, row.price)
            if rng.random() < 0.05:
                row.status = "AMENDED"
            oms_rows.append(row)
            oms_of[id(f)] = row
        if o.oms_dup is not None:
            f = o.oms_dup
            src = oms_of[id(f)]
            dup = OmsRow(**{**src.__dict__, "fill_id": f"{o.order_id}.{len(o.fills) + 1:02d}",
                            "booked_at": src.booked_at + timedelta(minutes=rng.randint(20, 200)), "status": "FILLED"})
            oms_rows.append(dup)
            breaks.append(_brk("DUPLICATE", [dup.fill_id], [], o, level="record", cause="dup_oms",
                               duplicate_of=src.fill_id))
        # broker rows
        live = [f for f in o.fills if not f.busted]
        rows_of: dict[int, BrokerRow] = {}
        brows: list[BrokerRow] = []
        one_to_one = o.booking == "fill" or len(live) == 1 and o.booking == "order"
        if not o.broker_rows_omitted:
            if one_to_one:
                for f in live:
                    if f.broker_omitted:
                        continue
                    r = _fill_row(o, f, settle, ids)
                    if o.booking == "order":
                        r.kind, r.alloc_ref = "ALLOC", ids.alloc_ref(o.broker.key)
                    rows_of[id(f)] = r
                    brows.append(r)
                    if f.broker_dup:
                        dup = BrokerRow(**{**r.__dict__, "ref": ids.broker_ref(o.broker.key)})
                        brows.append(dup)
                        breaks.append(_brk("DUPLICATE", [], [dup.ref], o, level="record", cause="dup_broker",
                                           duplicate_of=r.ref))
            else:
                parts = _split_parts(o, live, rng) if o.booking == "split" else None
                if o.booking == "split" and parts is None:
                    o.booking = "order"
                allocs = _alloc_rows(o, live, settle, ids, parts, rng)
                brows.extend(allocs)
                if o.alloc_dup:
                    dup = BrokerRow(**{**allocs[0].__dict__, "ref": ids.broker_ref(o.broker.key),
                                       "alloc_ref": ids.alloc_ref(o.broker.key)})
                    brows.append(dup)
                    breaks.append(_brk("DUPLICATE", [], [dup.ref], o, level="group", cause="dup_broker",
                                       duplicate_of=allocs[0].ref))
        broker_rows.extend(brows)
        # truth (broker recon)
        bname = o.broker.key
        if not o.in_oms:
            for r in brows:
                breaks.append(_brk("MISSING_INTERNALLY", [], [r.ref], o, level="record", cause=o.event))
            continue
        for f in o.fills:
            if f.busted and f.in_oms:
                breaks.append(_brk("MISSING_AT_BROKER", [f.fill_id], [], o, level="record", cause="bust_booked"))
        if o.broker_rows_omitted:
            for f in live:
                breaks.append(_brk("MISSING_AT_BROKER", [f.fill_id], [], o, level="record", cause="mab_order"))
            continue
        if one_to_one:
            for f in live:
                if f.broker_omitted:
                    breaks.append(_brk("MISSING_AT_BROKER", [f.fill_id], [], o, level="record", cause="mab_fill"))
                    continue
                r = rows_of[id(f)]
                over = f.broker_over or f.oms_over
                if f.fix_price is not None:
                    breaks.append(_brk("PRICE_MISMATCH", [f.fill_id], [r.ref], o, level="record",
                                       cause="correct_uncaught"))
                elif over:
                    breaks.append(_brk(_type_of(over), [f.fill_id], [r.ref], o, level="record", cause=o.event,
                                       error_on=o.err_side))
                else:
                    matches.append({"internal": [f.fill_id], "broker": [r.ref], "broker_name": bname,
                                    "shape": "1:1", "booking": o.booking})
        else:
            allocs = [r for r in brows if r.kind == "ALLOC"][: len(brows) - (1 if o.alloc_dup else 0)]
            ids_int = [f.fill_id for f in live]
            ids_brk = [r.ref for r in allocs]
            if o.alloc_over:
                breaks.append(_brk(_type_of(o.alloc_over), ids_int, ids_brk, o, level="group", cause=o.event,
                                   error_on="broker"))
            else:
                shape = f"{'n' if len(ids_int) > 1 else '1'}:{'m' if len(ids_brk) > 1 else '1'}"
                matches.append({"internal": ids_int, "broker": ids_brk, "broker_name": bname, "shape": shape,
                                "booking": o.booking})
    return oms_rows, broker_rows, matches, breaks


def _type_of(over: dict) -> str:
    if "qty" in over or "qty_delta" in over:
        return "QUANTITY_MISMATCH"
    if "price" in over:
        return "PRICE_MISMATCH"
    if "side" in over:
        return "SIDE_MISMATCH"
    if "account" in over:
        return "ACCOUNT_MISMATCH"
    if "settle_shift" in over:
        return "SETTLEMENT_DATE_MISMATCH"
    return "COMMISSION_MISMATCH"


def _brk(kind: str, internal: list, broker: list, o: Order, **extra) -> dict:
    return {"type": kind, "internal": internal, "broker": broker, "broker_name": o.broker.key,
            **{k: v for k, v in extra.items() if v is not None}}


def _shift(d: date, n: int) -> date:
    if n >= 0:
        return add_business_days(d, n)
    for _ in range(-n):
        d = previous_business_day(d)
    return d


def _fill_row(o: Order, f: Fill, settle: date, ids: Ids) -> BrokerRow:
    ov = f.broker_over
    side = ov.get("side", o.side)
    account = ov.get("account", o.account)
    qty = ov.get("qty", f.qty)
    price = _round_price(o.broker.key, o.inst, ov.get("price", f.broker_price))
    commission, fees = f.commission, dict(f.fees)
    if "qty" in ov or "side" in ov or "price" in ov or f.fix_price is not None:
        commission, fees = charges(o.inst, side, qty, ov.get("price", f.broker_price))
    if "commission" in ov:
        commission = ov["commission"]
    return BrokerRow(ref=ids.broker_ref(o.broker.key), broker=o.broker, order=o, fills=[f], kind="FILL",
                     fund_account=account, account=_broker_account(o, account, side), side=side, qty=qty,
                     price=price, settle=_shift(settle, ov.get("settle_shift", 0)), commission=commission,
                     fees=fees, trade_date=o.trade_date, exec_time=f.exec_time)


def _alloc_rows(o: Order, live: list[Fill], settle: date, ids: Ids, parts: list | None, rng) -> list[BrokerRow]:
    ov = o.alloc_over
    total = sum((f.qty for f in live), D(0))
    gross_exact = sum((f.qty * f.price * o.inst.multiplier for f in live), D(0))
    side = ov.get("side", o.side)
    account = ov.get("account", o.account)
    price = _round_price(o.broker.key, o.inst, ov.get("price", vwap(live)))
    if o.inst.currency == "JPY":  # whole yen: rounding once on the total could differ by a yen
        comm_total = sum((f.commission for f in live), D(0))
    else:
        comm_total = alloc_commission(o.inst, o.side, total, gross_exact)
    fees_total: dict[str, Decimal] = {}
    for f in live:
        for k, v in f.fees.items():
            fees_total[k] = fees_total.get(k, D(0)) + v
    if "commission_add" in ov:
        comm_total += ov["commission_add"]
    parts = parts or [total]
    alloc_ref = ids.alloc_ref(o.broker.key)
    rows = []
    left_comm, left_fees = comm_total, dict(fees_total)
    if o.alloc_over_part is None and len(parts) > 1:
        o.alloc_over_part = rng.randrange(len(parts))
    for k, q in enumerate(parts):
        last = k == len(parts) - 1
        share = q / total
        c = left_comm if last else rmoney(comm_total * share, o.inst.currency)
        fz = dict(left_fees) if last else {n: rmoney(v * share, o.inst.currency) for n, v in fees_total.items()}
        left_comm -= c
        for n in fz:
            left_fees[n] -= fz[n] if not last else D(0)
        qty = q
        if "qty_delta" in ov and (len(parts) == 1 or k == o.alloc_over_part):
            qty = q + ov["qty_delta"]
            if qty <= 0:
                qty = q + abs(ov["qty_delta"])
                ov["qty_delta"] = abs(ov["qty_delta"])
        sub = "" if k == 0 else "2"
        rows.append(BrokerRow(
            ref=ids.broker_ref(o.broker.key), broker=o.broker, order=o, fills=list(live), kind="ALLOC",
            fund_account=account, account=_broker_account(o, account, side, sub), side=side, qty=qty, price=price,
            settle=_shift(settle, ov.get("settle_shift", 0)), commission=c, fees=fz, trade_date=o.trade_date,
            exec_time=live[-1].exec_time, alloc_ref=alloc_ref,
        ))
    return rows


# ---- the day -------------------------------------------------------------------------------------


def make_day(regime: str, seed: int, trade_date: date, orders: int | None = None) -> Day:
    if trade_date.weekday() >= 5:
        raise ValueError(f"{trade_date} is a weekend day: give a weekday")
    p = regime_params(regime)
    if orders:
        p["orders"] = orders
    rng = random.Random(f"holdout|{regime}|{seed}|{trade_date.isoformat()}")
    universe = build_universe(trade_date)
    insts = _select_instruments(universe, p["instruments"])
    accounts = p["accounts"] or sorted(ACCOUNTS)
    routed = {c for b in BROKERS.values() for c in b.routes}
    by_class: dict[str, list[Instrument]] = {}
    for i in insts:
        if class_of(i) in routed:
            by_class.setdefault(class_of(i), []).append(i)
    ids = Ids(rng, trade_date)
    orders_: list[Order] = [draw_order(k, trade_date, p, rng, ids, by_class, accounts) for k in range(p["orders"])]
    book = Book(orders_)
    planner = EventPlanner(orders_, rng, ids, p, book, accounts, by_class, trade_date)
    placed = planner.plan()
    for o in orders_:
        if o.event == "_tried":
            o.event = None
    _lifecycle(orders_, p, rng, ids)
    # as-of: yesterday's late bookings, on both sides' files, not today's reconciliation
    asof: list[Order] = []
    n_asof = round(p["as_of"] * p["orders"])
    prev = previous_business_day(trade_date)
    for k in range(n_asof):
        o = draw_order(len(orders_) + k, prev, p, rng, ids, by_class, accounts)
        o.as_of, o.in_fix = True, False
        if o.booking == "split":
            o.booking = "order"
        asof.append(o)
    all_orders = orders_ + asof
    # ids and booking times, in execution order (what the OMS would number)
    for o in all_orders:
        for k, f in enumerate(o.fills):
            f.fill_id = f"{o.order_id}.{k + 1:02d}"
            f.booked_at = f.exec_time + timedelta(seconds=rng.uniform(20, 1500))
            f.booked_at = f.booked_at.replace(microsecond=(f.booked_at.microsecond // 1000) * 1000)
            if rng.random() < p["late_share"] and f.in_oms and not o.as_of:
                cutoff = datetime.combine(o.trade_date, time(19, 0), NY).astimezone(UTC)
                f.booked_at = cutoff + timedelta(seconds=rng.uniform(60, 9000), milliseconds=rng.randint(0, 999))
                f.booked_at = f.booked_at.replace(microsecond=(f.booked_at.microsecond // 1000) * 1000)
                f.late = True
        if o.as_of:
            for f in o.fills:
                f.booked_at = datetime.combine(trade_date, time(8, 0), NY).astimezone(UTC) + timedelta(
                    seconds=rng.uniform(0, 3600))
    oms_rows, broker_rows, matches, breaks = build_bookings(all_orders, rng, ids, p)
    excluded: list[dict] = []
    for r in oms_rows:
        if r.order.as_of:
            r.excluded = f"as-of: trade date {r.trade_date} (the previous business day)"
    for r in broker_rows:
        if r.order.as_of:
            r.excluded = f"as-of: trade date {r.trade_date} (the previous business day)"
    # as-of orders were reconciled with their own day: drop them from today's truth units
    asof_ids = {f.fill_id for o in asof for f in o.fills} | {r.ref for r in broker_rows if r.order.as_of}
    matches = [m for m in matches if not (set(m["internal"]) | set(m["broker"])) & asof_ids]
    breaks = [b for b in breaks if not (set(b["internal"]) | set(b["broker"])) & asof_ids]
    # rows that were entered and cancelled: the OMS's CANCELLED bookings, Kestrel's CANCEL rows
    extra_oms = []
    taken = {r.fill_id for r in oms_rows}
    for r in rng.sample(oms_rows, k=min(len(oms_rows), round(p["oms_cancelled"] * len(oms_rows)))):
        if r.excluded or r.order.event:
            continue
        alt = _sibling_account(r.order, rng, accounts) or r.account
        k = len(r.order.fills) + 2
        while f"{r.order.order_id}.{k:02d}" in taken:
            k += 1
        taken.add(f"{r.order.order_id}.{k:02d}")
        c = OmsRow(**{**r.__dict__, "fill_id": f"{r.order.order_id}.{k:02d}", "account": alt,
                      "status": "CANCELLED", "booked_at": r.booked_at - timedelta(seconds=5)})
        c.excluded = "status CANCELLED"
        extra_oms.append(c)
    oms_rows.extend(extra_oms)
    extra_brk = []
    for r in broker_rows:
        if r.broker.key == "kestrel" and not r.excluded and rng.random() < 0.03:
            r.status = "AMEND"
        if r.broker.key == "kestrel" and not r.excluded and rng.random() < p["broker_cancel_rebook"]:
            c = BrokerRow(**{**r.__dict__, "ref": ids.broker_ref("kestrel"), "status": "CANCEL",
                             "price": _round_price("kestrel", r.order.inst, _price_off(r.order.inst, r.price, rng))})
            c.excluded = "Status CANCEL (cancelled and re-booked)"
            extra_brk.append(c)
    broker_rows.extend(extra_brk)
    excluded += [{"source": "internal", "record_id": r.fill_id, "reason": r.excluded} for r in oms_rows if r.excluded]
    excluded += [{"source": r.broker.key, "record_id": r.ref, "reason": r.excluded} for r in broker_rows
                 if r.excluded]
    xref = []
    for b in BROKERS.values():
        for a in sorted(ACCOUNTS):
            for sub in ("", "S", "2"):
                row = (b.code, b.account(a, sub), a)
                if row not in xref:
                    xref.append(row)
    truth = {
        "meta": {"regime": regime, "seed": seed, "trade_date": trade_date.isoformat(), "orders": p["orders"],
                 "maker": "tests.holdout", "master": p["master"], "events_placed": placed,
                 "brokers": {b.key: {"code": b.code, "name": b.name} for b in BROKERS.values()}},
        "matches": matches,
        "breaks": breaks,
        "excluded": excluded,
        "anomalies": [],
        "late_bookings": sorted(f.fill_id for o in orders_ for f in o.fills if f.late and f.in_oms),
    }
    day = Day(regime=regime, seed=seed, trade_date=trade_date, params=p, universe=universe, orders=all_orders,
              oms_rows=oms_rows, broker_rows=broker_rows, truth=truth, xref=xref)
    mark_interchangeable(day)
    return day


# ---- interchangeable 1:1 pairs -------------------------------------------------------------------


def _charges_close(a: Decimal, b: Decimal, n: int = 1) -> bool:
    return abs(a - b) <= COMMISSION_ABS * n


def mark_interchangeable(day: Day) -> None:
    """Economically identical 1:1 pairs of one (broker, account, instrument, side): any pairing among
    them is right. Merged into one truth match marked `interchangeable` (recon/evaluate.py's form)."""
    oms = {r.fill_id: r for r in day.oms_rows}
    brk = {r.ref: r for r in day.broker_rows}

    def valid(i: OmsRow, b: BrokerRow) -> bool:
        inst = i.order.inst
        return (i.qty == b.qty and abs(i.price - b.price) <= price_tol(inst.asset_class, b.price)
                and i.settle == b.settle and _charges_close(i.commission + sum(i.fees.values(), D(0)),
                                                            b.commission + b.fee_total))

    day.truth["matches"] = _merge_pairs(day.truth["matches"], oms, brk, valid,
                                        lambda i, b: (b.broker.key, i.account, i.order.inst.key, i.side, i.qty))


def _merge_pairs(matches: list[dict], left: dict, right: dict, valid, bucket) -> list[dict]:
    singles = [m for m in matches if len(m["internal"]) == 1 and len(m["broker"]) == 1]
    others = [m for m in matches if not (len(m["internal"]) == 1 and len(m["broker"]) == 1)]
    groups: dict[tuple, list[dict]] = {}
    for m in singles:
        groups.setdefault(bucket(left[m["internal"][0]], right[m["broker"][0]]), []).append(m)
    out = list(others)
    for members in groups.values():
        if len(members) == 1:
            out.append(members[0])
            continue
        parent = list(range(len(members)))

        def find(x, parent=parent):
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for a in range(len(members)):
            for b in range(a + 1, len(members)):
                ia, ba = left[members[a]["internal"][0]], right[members[a]["broker"][0]]
                ib, bb = left[members[b]["internal"][0]], right[members[b]["broker"][0]]
                if valid(ia, bb) and valid(ib, ba):
                    parent[find(a)] = find(b)
        comps: dict[int, list[dict]] = {}
        for k in range(len(members)):
            comps.setdefault(find(k), []).append(members[k])
        for comp in comps.values():
            if len(comp) == 1:
                out.append(comp[0])
            else:
                out.append({"internal": sorted(i for m in comp for i in m["internal"]),
                            "broker": sorted(i for m in comp for i in m["broker"]),
                            "broker_name": comp[0]["broker_name"], "shape": "1:1", "interchangeable": True,
                            "pairs": len(comp)})
    return out
