"""Break injection: one defect per break, each recorded in the truth with both sides' rows."""

from __future__ import annotations

from recon.generator.reference import ACCOUNTS, business_days_after
from recon.generator.trades import DayBuilder, Draft
from recon.model import BreakType

# ANOMALY is the model's verdict, not something the generator injects as a break.
BREAK_TYPES = [t.value for t in BreakType if t is not BreakType.ANOMALY]

_SIDE_SWAPS = {"sell": "sell_short", "sell_short": "sell", "buy": "buy_to_cover", "buy_to_cover": "buy"}
_OPPOSITE = {"buy": "sell", "sell": "buy", "sell_short": "buy_to_cover", "buy_to_cover": "sell_short"}


def _keep_costs(b: DayBuilder, broker_row: dict, internal_row: dict) -> dict:
    """Only the injected field differs: commission and fees stay the OMS's."""
    for key in ("commission", "fee_reg", "fee_exch"):
        broker_row[key] = internal_row[key]
    return b.renet(broker_row)


def build_break(b: DayBuilder, d: Draft, btype: str) -> None:
    rng, inst = b.rng, d.inst
    i = b.row(d)
    br = dict(i)
    sides: tuple[list[dict], list[dict]] | None = None  # (internal, broker) when not the mismatch pair
    extra: dict = {}
    if btype == "MISSING_AT_BROKER":
        sides = [i], []
    elif btype == "MISSING_INTERNALLY":
        sides = [], [br]
    elif btype == "QUANTITY_MISMATCH":
        lot = 100 if inst.asset_class in ("equity", "etf") and d.qty >= 300 else inst.qty_step
        delta = lot * max(1, (d.qty // lot) // 10 if lot == inst.qty_step else rng.randint(1, 2))
        qty = d.qty - delta if rng.random() < 0.5 and d.qty - delta > 0 else d.qty + delta
        br = _keep_costs(b, b.row(d, qty=qty), i)
    elif btype == "PRICE_MISMATCH":
        delta = max(10 * inst.tol, 3 * inst.tick)
        delta += -delta % inst.tick
        px = d.px - delta if rng.random() < 0.5 and d.px - delta > 0 else d.px + delta
        br = _keep_costs(b, b.row(d, px=px), i)
    elif btype == "SETTLEMENT_DATE_MISMATCH":
        br["settle_date"] = business_days_after(i["settle_date"], 1)
    elif btype == "COMMISSION_MISMATCH":
        br["commission"] = i["commission"] + max(100, i["commission"] // 2)
        b.renet(br)
    elif btype == "SIDE_MISMATCH":
        swap = _SIDE_SWAPS if inst.asset_class in ("equity", "etf") and rng.random() < 0.5 else _OPPOSITE
        alt = swap[d.side]
        if alt not in ("buy", "sell") and inst.asset_class not in ("equity", "etf"):
            alt = "sell" if d.side == "buy" else "buy"
        br = _keep_costs(b, b.row(d, side=alt), i)
    elif btype == "ACCOUNT_MISMATCH":
        siblings = [a.code for a in ACCOUNTS if inst.asset_class in a.asset_classes and a.code != d.account]
        br["account"] = rng.choice(siblings)
    elif btype == "DUPLICATE":
        # the pair matches; the extra copy (broker's or OMS's) is the break. The execution happened
        # once, so the drop copy points at the original booking.
        d.internal.append(i)
        d.broker_rows.append(br)
        d.matches.append(([i], [br], {"type": "exact"}))
        twin = br if rng.random() < 0.5 else i
        extra = {"duplicate_of": twin}
        dup = dict(twin, _dup=True)
        sides = ([], [dup]) if twin is br else ([dup], [])
    else:
        raise ValueError(f"unknown break type {btype}")
    # a mismatch pairs the OMS row with the broker row its branch built (br was rebound there)
    internal, broker = sides if sides is not None else ([i], [br])
    d.internal.extend(internal)
    d.broker_rows.extend(broker)
    d.breaks.append((btype, internal, broker, extra))
    d.fill(d.qty, d.px, d.exec_dt, None if btype == "MISSING_INTERNALLY" else i)
