"""The regimes a holdout day can be made in, as plain parameters.

Rates are per order unless named otherwise. `events` are the injected breaks (one per order at
most); `lifecycle` are FIX drop-copy events per fill that change no outcome (corrections to the
right values, busts of fills nobody booked, PossDup resends).
"""

from __future__ import annotations

import copy

BREAK_EVENTS = {
    # record level (a fill booked 1:1 at the broker)
    "mab_fill": 0.006,  # the broker's file misses one fill
    "qty": 0.004,
    "price": 0.004,
    "side": 0.004,
    "account": 0.003,
    "settle": 0.004,
    "commission": 0.004,
    "dup_broker": 0.003,  # the broker books a row twice
    "correct_uncaught": 0.003,  # the broker corrects a price (FIX 150=G) the OMS never picked up
    # order level
    "mab_order": 0.004,  # the broker's file misses the whole order
    "mi_order": 0.004,  # the OMS never booked an order the broker executed
    "mi_giveup": 0.002,  # the broker books a trade that is not ours (not in the drop copy either)
    "dup_oms": 0.002,  # the OMS books one fill twice
    "bust_booked": 0.003,  # the broker busts a fill (150=H) the OMS had booked
    # group level: an order's fills vs the broker's allocation(s), one attribute differs
    "g_qty": 0.003,
    "g_price": 0.003,
    "g_side": 0.002,
    "g_settle": 0.002,
    "g_account": 0.001,
    "g_commission": 0.002,
}

BASE = {
    "orders": 2000,
    "accounts": None,  # None: all; else a list
    "instruments": None,  # None: all; else names: a ticker, future root, FX pair, bond name, or "opt:<underlying>"
    "fills": ("geometric", 0.55, 6),  # P(stop) per extra fill, cap
    "booking": "policy",  # policy: each broker's habits; mixed: any booking for any order
    "six_dp_share": 0.0,  # orders whose fills carry 6-decimal (algo average) prices
    "midpoint_share": 0.05,  # US equity fills at a half-penny midpoint
    "events": dict(BREAK_EVENTS),
    "group_boost": 1.0,
    "lifecycle": {"correct_ok": 0.02, "bust_clean": 0.01, "resend": 0.02, "status": 0.05, "partial_cancel": 0.08},
    "late_share": 0.02,  # fills booked in the OMS after the 19:00 ET allocation cut-off
    "oms_cancelled": 0.004,  # extra OMS rows with status CANCELLED (filtered out)
    "broker_cancel_rebook": 0.005,  # Kestrel rows cancelled and re-booked (the cancel is filtered out)
    "as_of": 0.0,  # orders of the previous trade date reported today on both sides (not today's recon)
    "fix_mixed": False,  # every drop-copy message picks its conventions at random
    "master": True,
}


def _with(**changes) -> dict:
    out = copy.deepcopy(BASE)
    for k, v in changes.items():
        out[k] = v
    return out


REGIMES: dict[str, dict] = {
    "baseline": _with(),
    # two accounts x six instruments: many orders share (account, instrument, side, date)
    "dense": _with(accounts=["ABC-101", "ABC-107"], instruments=["QRTZ", "HLVD", "BRNX", "LUMA", "KYRA", "BRQX"]),
    "many_fills": _with(fills=("uniform", 10, 40)),
    "mixed_booking": _with(booking="mixed"),
    "rounding": _with(six_dp_share=0.7, midpoint_share=0.15),
    "group_mismatch": _with(group_boost=8.0),
    "no_master": _with(master=False),
    "fix_conventions": _with(
        fix_mixed=True,
        lifecycle={"correct_ok": 0.08, "bust_clean": 0.04, "resend": 0.06, "status": 0.1, "partial_cancel": 0.15},
    ),
    "all": _with(
        accounts=["ABC-101", "ABC-102", "ABC-103", "ABC-104", "ABC-106"],
        instruments=["QRTZ", "HLVD", "BRNX", "TRVN", "BRQX", "opt:QRTZ", "opt:HLVD", "ES", "CL", "ZN", "FGBL",
                     "EURUSD", "USDJPY", "HGW", "6471", "KRV", "US Treasury 4.125% 2032", "Bund 2.60% 2034"],
        fills=("uniform", 1, 20),
        booking="mixed",
        six_dp_share=0.5,
        midpoint_share=0.15,
        group_boost=4.0,
        fix_mixed=True,
        lifecycle={"correct_ok": 0.06, "bust_clean": 0.03, "resend": 0.05, "status": 0.1, "partial_cancel": 0.15},
        as_of=0.01,
        master=False,
    ),
}


def regime(name: str) -> dict:
    if name not in REGIMES:
        raise KeyError(name)
    return copy.deepcopy(REGIMES[name])
