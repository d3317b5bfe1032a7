"""Anomalies for the ML model: trades both sides book the same way, but which are wrong.

Each is labelled with the feature that should explain it, so the model's explanations can be
checked, not only its scores. Every kind comes in several magnitudes (a detector tuned on one
size must still find the others), and about a quarter of them sit on a link that is also a break
(missing at the broker, or a settlement date the broker has one day later): the model scores
breaks too, and their anomaly score feeds their priority.
"""

from __future__ import annotations

import string
from datetime import datetime, time, timedelta

from recon.generator.reference import ACCOUNTS, business_days_after, draw_price, draw_quantity
from recon.generator.trades import ACCOUNT_INDEX, DayBuilder, Draft

ANOMALY_FEATURES = {
    "fat_finger_price": "price_dev",
    "wrong_account": "account_asset_class",
    "commission_spike": "commission_ratio",
    "duplicate_booking": "duplicate_key",
    "off_market": "price_outside_day_range",
    "wash_trade": "offsetting_trade_minutes",
    "notional_outlier": "notional_excess",
    "off_hours": "minutes_outside_session",
    "new_account": "account_share",
}
ANOMALY_KINDS = list(ANOMALY_FEATURES)
BROKEN_SHARE = 0.25  # of the kinds that can sit on a break
_ON_BREAKS = ("fat_finger_price", "commission_spike", "notional_outlier", "off_hours", "new_account", "wrong_account")
OPEN_MINUTE = {"equity": 570, "etf": 570, "option": 570, "bond": 480}
CLOSE_MINUTE = {"equity": 960, "etf": 960, "option": 960, "bond": 1020}


def _snap(px: int, tick: int) -> int:
    return max(tick, px - px % tick)


def _redraw(b: DayBuilder, d: Draft, classes: tuple[str, ...]) -> None:
    """Move the draft to an instrument of one of `classes` (with an account and broker for it)."""
    rng = b.rng
    pool = [i for c in classes for i in b.by_class.get(c, [])]
    if not pool or d.inst.asset_class in classes:
        return
    d.inst = rng.choice(pool)
    d.account = rng.choice(b.accounts_for(d.inst))
    d.broker = b.broker_for(d.inst)
    d.side = b.draw_side(d.inst)
    d.qty = draw_quantity(rng, d.inst)
    d.px = draw_price(rng, d.inst)


def _off_hours(b: DayBuilder, d: Draft) -> None:
    rng, cls = b.rng, d.inst.asset_class
    lo, hi = rng.choice(((15, 60), (60, 240), (240, 420)))
    minutes = rng.uniform(lo, hi)
    after = rng.random() < 0.5
    # stay on the trade date in UTC as well (the drop copy's clock): 01:30 - 18:40 New York
    minute = CLOSE_MINUTE[cls] + minutes if after else OPEN_MINUTE[cls] - minutes
    minute = min(max(minute, 90.0), 18 * 60 + 40)
    when = datetime.combine(b.trade_date, time(0)) + timedelta(seconds=int(minute * 60) + rng.randint(0, 59))
    d.exec_dt = when
    d.book_dt = when + timedelta(seconds=60 + rng.randint(0, 540))  # booked before the 19:00 cut-off


def build_anomaly(b: DayBuilder, d: Draft, kind: str) -> None:
    rng = b.rng
    feature = ANOMALY_FEATURES[kind]
    if kind == "off_hours":
        _redraw(b, d, ("equity", "etf", "option", "bond"))
        _off_hours(b, d)
    inst = d.inst
    spike = 1
    if kind == "fat_finger_price":
        tier = rng.random()
        if tier < 0.25 and d.px // 10 > inst.tick:  # a slipped decimal point
            d.px = _snap(d.px * 10 if rng.random() < 0.5 else d.px // 10, inst.tick)
        else:  # 2-3, 3-8 or 8-20 half-ranges away from the VWAP
            lo, hi = rng.choice(((2, 3), (3, 8), (8, 20)))
            dev = int((inst.high - inst.low) / 2 * rng.uniform(lo, hi))
            down = rng.random() < 0.5 and inst.vwap - dev > inst.tick
            d.px = _snap(inst.vwap - dev if down else inst.vwap + dev, inst.tick)
    elif kind == "off_market":
        # outside the day's range by 2-6%, 6-25% or 25-60% of the range
        lo, hi = rng.choice(((0.02, 0.06), (0.06, 0.25), (0.25, 0.6)))
        outside = max(inst.tick, int((inst.high - inst.low) * rng.uniform(lo, hi)))
        down = rng.random() < 0.5 and inst.low - outside > inst.tick
        d.px = _snap(inst.low - outside, inst.tick) if down else _snap(inst.high + outside + inst.tick, inst.tick)
    elif kind == "wrong_account":
        d.account = rng.choice([a.code for a in ACCOUNTS if inst.asset_class not in a.asset_classes])
    elif kind == "new_account":
        d.account = "NEW-" + "".join(rng.choice(string.ascii_uppercase) for _ in range(4))
        # the well-posedness books key rows by account index: give the new account one
        ACCOUNT_INDEX.setdefault(d.account, len(ACCOUNT_INDEX))
    elif kind == "commission_spike":
        spike = rng.choice((rng.randint(2, 4), rng.randint(5, 15), rng.randint(20, 60)))
    elif kind == "notional_outlier":
        lo, hi = rng.choice(((3, 10), (10, 50), (100, 1000)))
        qty = int(inst.qty_max * rng.uniform(lo, hi))
        d.qty = max(inst.qty_step, qty - qty % inst.qty_step)
    if kind in _ON_BREAKS and rng.random() < BROKEN_SHARE:
        return _on_break(b, d, kind, feature, spike)
    i = b.row(d, spike=spike)
    br = dict(i)
    d.internal.append(i)
    d.broker_rows.append(br)
    d.fill(d.qty, d.px, d.exec_dt, i)
    if kind == "duplicate_booking":
        i2, b2 = dict(i, _dup=True), dict(br, _dup=True)
        d.internal.append(i2)
        d.broker_rows.append(b2)
        d.matches.append(([i, i2], [br, b2], {"type": "exact", "interchangeable": True}))
        d.anomalies.append((kind, [i, i2], [br, b2], feature))
        return
    d.matches.append(([i], [br], {"type": "exact"}))
    if kind == "wash_trade":
        b.order_seq += 1
        order_id = f"ORD-{b.trade_date:%Y%m%d}-{b.order_seq:07d}"
        opposite = "sell" if d.side in ("buy", "buy_to_cover") else "buy"
        lo, hi = rng.choice(((10, 60), (60, 300), (300, 600)))
        when = d.exec_dt + timedelta(seconds=rng.randint(lo, hi))
        px = min(max(d.px + rng.randint(-2, 2) * inst.tick, inst.low), inst.high)
        i2 = b.row(d, side=opposite, px=px, when=when)
        i2["order_id"] = order_id
        b2 = dict(i2)
        d.internal.append(i2)
        d.broker_rows.append(b2)
        d.matches.append(([i2], [b2], {"type": "exact"}))
        d.fill(d.qty, px, when, i2, order_id=order_id, side=opposite)
        d.anomalies.append((kind, [i, i2], [br, b2], feature))
        return
    d.anomalies.append((kind, [i], [br], feature))


def _on_break(b: DayBuilder, d: Draft, kind: str, feature: str, spike: int) -> None:
    """The anomaly on a link that is also a break: missing at the broker, or the broker's settlement
    date one business day later (every other field as booked)."""
    i = b.row(d, spike=spike)
    d.internal.append(i)
    if b.rng.random() < 0.5:
        d.breaks.append(("MISSING_AT_BROKER", [i], [], {}))
        d.anomalies.append((kind, [i], [], feature))
    else:
        br = dict(i, settle_date=business_days_after(i["settle_date"], 1))
        d.broker_rows.append(br)
        d.breaks.append(("SETTLEMENT_DATE_MISMATCH", [i], [br], {}))
        d.anomalies.append((kind, [i], [br], feature))
    d.fill(d.qty, d.px, d.exec_dt, i)
