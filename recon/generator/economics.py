"""Trade money in integer cents: gross, commission from a broker schedule, fees, accrued, net.

Both sides compute with these functions, so a clean match agrees to the cent and every injected
difference is deliberate.
"""

from __future__ import annotations

from decimal import Decimal

from recon.generator.identifiers import PX_SCALE, div_round_half_up
from recon.generator.reference import BROKER_SCHEDULES, InstSpec

BUYS = frozenset({"buy", "buy_to_cover"})

# Schedules as integers: per_unit rates in 1e-6 currency units, bps rates in 1e-4 bps.
_RATES = {
    (broker, cls): (basis, int(Decimal(rate) * (10**6 if basis == "per_unit" else 10**4)))
    for broker, sched in BROKER_SCHEDULES.items()
    for cls, (basis, rate) in sched.items()
}


def gross_cents(inst: InstSpec, qty: int, px: int) -> int:
    m = inst.mult
    return div_round_half_up(qty * px * m.numerator * 100, PX_SCALE * m.denominator)


def commission_cents(broker: str, inst: InstSpec, qty: int, gross: int, spike: int = 1) -> int:
    basis, rate = _RATES[(broker, inst.asset_class)]
    if basis == "per_unit":
        return div_round_half_up(qty * rate * spike, 10**4)
    return div_round_half_up(gross * rate * spike, 10**8)


def fee_cents(inst: InstSpec, side: str, qty: int, gross: int) -> tuple[int, int]:
    """(regulatory, exchange/clearing) fees. SEC fee 27.80 per million and FINRA TAF on equity sales
    (rounded up to the cent as the SEC does), ORF on options, NFA on futures."""
    cls = inst.asset_class
    if cls in ("equity", "etf"):
        reg = 0
        if side not in BUYS:
            reg = -(-gross * 278 // 10**7) + min(-(-qty * 166 // 10**4), 830)
        return reg, div_round_half_up(qty * 3, 100)  # 0.0003 / share clearing
    if cls == "option":
        return 2 * qty, 5 * qty  # ORF 0.02, clearing 0.05 per contract
    if cls == "future":
        return 2 * qty, 120 * qty  # NFA 0.02, exchange 1.20 per contract
    return 0, 0


def accrued_cents(inst: InstSpec, qty: int) -> int | None:
    if inst.asset_class != "bond" or inst.coupon is None:
        return None
    coupon_e3 = int(inst.coupon * 1000)
    return div_round_half_up(qty * coupon_e3 * inst.accrued_days, 1000 * 360)


def net_cents(side: str, gross: int, commission: int, fees: int, accrued: int | None) -> int:
    """Net money, always positive: buyers pay costs and accrued, sellers receive accrued less costs."""
    acc = accrued or 0
    if side in BUYS:
        return gross + acc + commission + fees
    return gross + acc - commission - fees
