"""The day's reference data: instruments (with market data), accounts and broker schedules.

Everything the trade generator draws from lives here. Prices are ints in 1e-8 units (see
identifiers.PX_SCALE); the master written to disk is the recon.instruments format.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from recon.generator.identifiers import (
    PX_SCALE,
    isin_from_cusip,
    new_cusip,
    new_sedol,
)
from recon.generator.universe_data import (
    BONDS,
    EQUITIES,
    ETFS,
    FUTURES,
    FX_FORWARDS,
    FX_PAIRS,
    MONTH_CODES,
    OPTION_UNDERLYINGS,
)
from recon.instruments import Instrument
from recon.matching_rules import Tolerances, load_matching_rules


@dataclass(slots=True)
class InstSpec:
    """One instrument plus what the generator needs to trade it realistically."""

    idx: int
    instrument_id: str
    asset_class: str
    multiplier: str
    currency: str
    description: str
    tick: int  # price tick, 1e-8 units
    vwap: int
    low: int
    high: int
    qty_min: int
    qty_max: int
    qty_step: int
    symbol: str | None = None
    mic: str | None = None
    isin: str | None = None
    cusip: str | None = None
    sedol: str | None = None
    occ_symbol: str | None = None
    future_code: str | None = None
    fx_pair: str | None = None
    value_date: date | None = None  # FX forwards
    coupon: Decimal | None = None  # bonds, percent
    accrued_days: int = 0  # bonds: 30/360 days accrued at settlement
    tol: int = 0  # price tolerance (1e-8), from matching_rules.yaml at the day's low
    mult: Fraction = field(default_factory=lambda: Fraction(1))

    @property
    def display_symbol(self) -> str:
        return self.symbol or self.occ_symbol or self.future_code or self.fx_pair or self.description

    def to_instrument(self) -> Instrument:
        return Instrument(
            instrument_id=self.instrument_id,
            asset_class=self.asset_class,
            symbol=self.symbol,
            mic=self.mic,
            isin=self.isin,
            cusip=self.cusip,
            sedol=self.sedol,
            occ_symbol=self.occ_symbol,
            future_code=self.future_code,
            fx_pair=self.fx_pair,
            multiplier=Decimal(self.multiplier),
            currency=self.currency,
            description=self.description,
        )


@dataclass(frozen=True, slots=True)
class Account:
    code: str
    strategy: str
    asset_classes: tuple[str, ...]


# Six hedge-fund sleeves. Every asset class has at least two traders (a sibling for
# ACCOUNT_MISMATCH) and at least one account that never trades it (for wrong_account anomalies).
ACCOUNTS = (
    Account("LSEQ-A", "long/short equity", ("equity", "etf")),
    Account("LSEQ-B", "long/short equity", ("equity", "etf", "option")),
    Account("VOLARB", "volatility arbitrage", ("option", "equity", "etf")),
    Account("MACRO-A", "global macro", ("future", "fx", "bond", "etf")),
    Account("MACRO-B", "global macro", ("future", "fx", "bond")),
    Account("CREDIT", "credit", ("bond", "etf")),
)

# Commission schedules: (basis, rate). per_unit = currency per share/contract; bps = of gross.
BROKER_SCHEDULES: dict[str, dict[str, tuple[str, str]]] = {
    "northbridge": {"equity": ("per_unit", "0.0035"), "etf": ("per_unit", "0.0030")},
    "castlerock": {
        "equity": ("per_unit", "0.0040"),
        "etf": ("per_unit", "0.0030"),
        "option": ("per_unit", "0.65"),
        "future": ("per_unit", "2.25"),
        "fx": ("bps", "0.20"),
        "bond": ("bps", "0.50"),
    },
    "meridian": {"equity": ("per_unit", "0.0030"), "etf": ("per_unit", "0.0025"), "bond": ("bps", "0.25")},
}


def business_days_after(d: date, n: int) -> date:
    while n > 0:
        d += timedelta(days=1)
        if d.weekday() < 5:
            n -= 1
    return d


def next_weekday(d: date) -> date:
    while d.weekday() >= 5:
        d += timedelta(days=1)
    return d


def add_months(d: date, months: int) -> date:
    m = d.month - 1 + months
    y, m = d.year + m // 12, m % 12 + 1
    day = min(d.day, [31, 29 if y % 4 == 0 else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1])
    return date(y, m, day)


def third_friday(y: int, m: int) -> date:
    d = date(y, m, 15)
    return d + timedelta(days=(4 - d.weekday()) % 7)


def settle_date(asset_class: str, trade_date: date, inst: InstSpec) -> date:
    """US conventions: T+1 cash, options, treasuries and (since 2024) corporates; FX spot T+2
    (USDCAD T+1); FX forwards on their value date; futures T+1 (variation margin)."""
    if inst.value_date is not None:
        return inst.value_date
    if asset_class == "fx":
        return business_days_after(trade_date, 1 if inst.fx_pair == "USDCAD" else 2)
    return business_days_after(trade_date, 1)


def _px(value: float | str, tick: int) -> int:
    raw = int(Decimal(str(value)) * PX_SCALE)
    return raw - raw % tick


def price_tolerance(rules: Tolerances, price: int) -> int:
    """The matcher's tolerance max(price_abs, price_bps/1e4 * price) in 1e-8 units (rounded down)."""
    tol = max(rules.price_abs, rules.price_bps / Decimal(10000) * Decimal(price) / PX_SCALE)
    return int(tol * PX_SCALE)


def _day_range(rng: random.Random, inst: InstSpec, spread_pct: float) -> None:
    half = max(int(inst.vwap * spread_pct * rng.uniform(0.6, 1.4)), 20 * inst.tick)
    inst.low = inst.vwap - half - (inst.vwap - half) % inst.tick
    inst.high = inst.vwap + half - (inst.vwap + half) % inst.tick


def build_universe(trade_date: date, rng: random.Random) -> list[InstSpec]:
    out: list[InstSpec] = []
    used: set[str] = set()

    def unique(make) -> str:
        for _ in range(100):
            v = make()
            if v not in used:
                used.add(v)
                return v
        raise RuntimeError("could not draw a unique identifier")

    def add(**kw) -> InstSpec:
        inst = InstSpec(idx=len(out), low=0, high=0, **kw)
        out.append(inst)
        return inst

    cent = PX_SCALE // 100
    for kind, rows in (("equity", EQUITIES), ("etf", ETFS)):
        for sym, mic, px in rows:
            cusip = unique(lambda: new_cusip(rng))
            add(
                instrument_id=f"{'EQ' if kind == 'equity' else 'ETF'}-{sym}",
                asset_class=kind,
                multiplier="1",
                currency="USD",
                description=f"{sym} {'common stock' if kind == 'equity' else 'ETF'}",
                tick=cent,
                vwap=_px(px, cent),
                qty_min=1,
                qty_max=40000,
                qty_step=1,
                symbol=sym,
                mic=mic,
                cusip=cusip,
                isin=isin_from_cusip(cusip),
                sedol=unique(lambda: new_sedol(rng)),
            )
    by_symbol = {i.symbol: i for i in out}
    for root in OPTION_UNDERLYINGS:
        und = by_symbol[root]
        for months in (1, 2):
            nxt = add_months(trade_date.replace(day=1), months)
            exp = third_friday(nxt.year, nxt.month)
            atm = round(und.vwap / PX_SCALE / 5) * 5
            for cp, strike in (("C", atm + 5), ("P", atm - 5)):
                occ = f"{root:<6}{exp:%y%m%d}{cp}{strike * 1000:08d}"
                prem = max(0.5, und.vwap / PX_SCALE * 0.03 * months**0.5)
                tick = cent if prem < 3 else 5 * cent
                add(
                    instrument_id=f"OPT-{root}-{exp:%y%m%d}{cp}{strike}",
                    asset_class="option",
                    multiplier="100",
                    currency="USD",
                    description=f"{root} {exp:%d%b%y} {strike} {'call' if cp == 'C' else 'put'}",
                    tick=tick,
                    vwap=_px(prem, tick),
                    qty_min=1,
                    qty_max=500,
                    qty_step=1,
                    occ_symbol=occ,
                )
    for root, desc, mult, tick_s, px, quarterly in FUTURES:
        tick = int(Decimal(tick_s) * PX_SCALE)
        months = [m for m in range(1, 13) if not quarterly or m % 3 == 0]
        y, m, picked = trade_date.year, trade_date.month, []
        while len(picked) < 2:
            m += 1
            if m > 12:
                y, m = y + 1, 1
            if m in months:
                picked.append((y, m))
        for y2, m2 in picked:
            code = f"{root}{MONTH_CODES[m2 - 1]}{y2 % 10}"
            add(
                instrument_id=f"FUT-{code}",
                asset_class="future",
                multiplier=mult,
                currency="USD",
                description=f"{desc} {date(y2, m2, 1):%b %Y}",
                tick=tick,
                vwap=_px(px, tick),
                qty_min=1,
                qty_max=300,
                qty_step=1,
                future_code=code,
            )
    spot = business_days_after(trade_date, 2)
    for pair, px in FX_PAIRS:
        tick = PX_SCALE // (1000 if pair.endswith("JPY") else 100000)
        add(
            instrument_id=f"FX-{pair}",
            asset_class="fx",
            multiplier="1",
            currency=pair[3:],
            description=f"{pair[:3]}/{pair[3:]} spot",
            tick=tick,
            vwap=_px(px, tick),
            qty_min=100000,
            qty_max=50000000,
            qty_step=1000,
            fx_pair=pair,
        )
    spots = {pair: px for pair, px in FX_PAIRS}
    for pair, months in FX_FORWARDS:
        vd = next_weekday(add_months(spot, months))
        tick = PX_SCALE // (1000 if pair.endswith("JPY") else 100000)
        px = spots[pair] * (1 + 0.001 * months * (-1 if pair.startswith("USD") else 1))
        add(
            instrument_id=f"FXF-{pair}-{vd:%Y%m%d}",
            asset_class="fx",
            multiplier="1",
            currency=pair[3:],
            description=f"{pair[:3]}/{pair[3:]} forward {vd:%Y-%m-%d}",
            tick=tick,
            vwap=_px(px, tick),
            qty_min=100000,
            qty_max=50000000,
            qty_step=1000,
            fx_pair=f"{pair}-{vd:%Y%m%d}",
            value_date=vd,
        )
    for issuer, desc, coupon, year, px, treasury in BONDS:
        cusip = unique(
            lambda issuer=issuer: new_cusip(
                rng, issuer, "".join(rng.choice("ABCDEFGHJKLMN0123456789") for _ in range(2))
            )
        )
        tick = PX_SCALE // 128 if treasury else PX_SCALE // 1000  # 1/4 of a 32nd; corporates 0.001
        maturity = date(year, 11 if treasury else 6, 15)
        inst = add(
            instrument_id=f"BD-{isin_from_cusip(cusip)}",
            asset_class="bond",
            multiplier="0.01",
            currency="USD",
            description=f"{desc} {coupon} {maturity:%m/%d/%Y}",
            tick=tick,
            vwap=_px(px, tick),
            qty_min=10000,
            qty_max=10000000,
            qty_step=1000,
            cusip=cusip,
            isin=isin_from_cusip(cusip),
            coupon=Decimal(coupon),
        )
        inst.accrued_days = _days_30_360(
            _last_coupon(maturity, trade_date), business_days_after(trade_date, 1)
        )
    tolerances = load_matching_rules().by_class()
    for inst in out:
        inst.mult = Fraction(Decimal(inst.multiplier))
        spread = {"equity": 0.018, "etf": 0.01, "option": 0.12, "future": 0.008, "fx": 0.004, "bond": 0.004}
        _day_range(rng, inst, spread[inst.asset_class])
        inst.tol = price_tolerance(tolerances[inst.asset_class], inst.low)
    return out


def _last_coupon(maturity: date, before: date) -> date:
    d = date(before.year, maturity.month, maturity.day)
    while d > before:
        d = add_months(d, -6)
    while add_months(d, 6) <= before:
        d = add_months(d, 6)
    return d


def _days_30_360(start: date, end: date) -> int:
    d1, d2 = min(start.day, 30), min(end.day, 30) if start.day >= 30 else end.day
    return (end.year - start.year) * 360 + (end.month - start.month) * 30 + (d2 - d1)


def draw_quantity(rng: random.Random, inst: InstSpec) -> int:
    if inst.asset_class in ("equity", "etf") and rng.random() < 0.7:
        return 100 * max(1, int(math.exp(rng.uniform(0, math.log(inst.qty_max / 100)))))
    lo, hi = math.log(inst.qty_min / inst.qty_step), math.log(inst.qty_max / inst.qty_step)
    return inst.qty_step * max(inst.qty_min // inst.qty_step, int(math.exp(rng.uniform(lo, hi))))


def draw_price(rng: random.Random, inst: InstSpec) -> int:
    """A normal trade price: around the day's VWAP, inside the day's range, on the tick."""
    sigma = (inst.high - inst.low) / 6
    p = int(rng.gauss(inst.vwap, sigma))
    p = min(max(p, inst.low), inst.high)
    return p - (p - inst.low) % inst.tick
