"""Anomalies for the ML model: trades both sides agree on (they match) but which are wrong.

Each is labelled with the feature that should explain it, so the model's explanations can be
checked, not only its scores.
"""

from __future__ import annotations

from datetime import timedelta

from recon.generator.reference import ACCOUNTS
from recon.generator.trades import DayBuilder, Draft

ANOMALY_FEATURES = {
    "fat_finger_price": "price_vs_vwap",
    "wrong_account": "account_asset_class",
    "commission_spike": "commission_rate",
    "duplicate_booking": "duplicate_key",
    "off_market": "price_outside_day_range",
    "wash_trade": "offsetting_trade_minutes",
}
ANOMALY_KINDS = list(ANOMALY_FEATURES)


def _snap(px: int, tick: int) -> int:
    return max(tick, px - px % tick)


def build_anomaly(b: DayBuilder, d: Draft, kind: str) -> None:
    rng, inst = b.rng, d.inst
    feature = ANOMALY_FEATURES[kind]
    if kind == "fat_finger_price":
        # 3-8 half-ranges away from the VWAP: far outside anything the day traded
        dev = int((inst.high - inst.low) / 2 * rng.uniform(3, 8))
        down = rng.random() < 0.5 and inst.vwap - dev > inst.tick
        d.px = _snap(inst.vwap - dev if down else inst.vwap + dev, inst.tick)
    elif kind == "off_market":
        # just outside the day's range (3-25% of the range beyond the high or the low)
        outside = max(inst.tick, int((inst.high - inst.low) * rng.uniform(0.03, 0.25)))
        down = rng.random() < 0.5 and inst.low - outside > inst.tick
        d.px = (
            _snap(inst.low - outside, inst.tick)
            if down
            else _snap(inst.high + outside + inst.tick, inst.tick)
        )
    elif kind == "wrong_account":
        d.account = rng.choice([a.code for a in ACCOUNTS if inst.asset_class not in a.asset_classes])
    spike = 10 if kind == "commission_spike" else 1
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
        when = d.exec_dt + timedelta(seconds=rng.randint(30, 300))
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
