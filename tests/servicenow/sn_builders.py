"""Break rows as the matching engine writes them (breaks + break_events), with realistic values."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from decimal import Decimal

from blocks.warehouse import Warehouse

T0 = datetime(2026, 11, 27, 22, 5, 0)
DAY = date(2026, 11, 27)

# (break_type, broker, account, instrument_id, asset_class, side, qty internal/broker, price internal/broker)
SAMPLES = [
    ("QUANTITY_MISMATCH", "northbridge", "FND-EQ-001", "US0378331005", "equity", "buy", "1500", "1400", "189.4500", "189.4500"),
    ("PRICE_MISMATCH", "castlerock", "FND-EQ-002", "US5949181045", "equity", "sell", "800", "800", "421.1200", "421.2100"),
    ("MISSING_AT_BROKER", "meridian", "FND-MA-003", "ESZ6", "future", "buy", "25", None, "6045.25", None),
    ("COMMISSION_MISMATCH", "northbridge", "FND-EQ-001", "US88160R1014", "equity", "sell_short", "300", "300", "251.0000", "251.0000"),
    ("MISSING_INTERNALLY", "castlerock", "FND-OP-004", "AAPL  261218C00200000", "option", "buy", None, "10", None, "4.3500"),
    ("SETTLEMENT_DATE_MISMATCH", "meridian", "FND-FI-005", "US912810TM08", "bond", "buy", "2000000", "2000000", "98.7650", "98.7650"),
]


def break_id(i: int) -> str:
    return hashlib.md5(f"brk|{i}".encode()).hexdigest()


def make_break(i: int, **overrides) -> dict:
    bt, broker, account, inst, ac, side, qi, qb, pi, pb = SAMPLES[i % len(SAMPLES)]
    dec = lambda v: None if v is None else Decimal(v)  # noqa: E731
    qi_, qb_, pi_, pb_ = dec(qi), dec(qb), dec(pi), dec(pb)
    ref_q, ref_p = qi_ if qi_ is not None else qb_, pi_ if pi_ is not None else pb_
    per_unit = Decimal("0.01") if ac == "bond" else Decimal(1)  # bonds quote in percent of par
    notional = (ref_q * ref_p * per_unit).quantize(Decimal("0.000001"))
    if qi_ is not None and qb_ is not None and pi_ is not None and pb_ is not None:
        diff = abs(qi_ * pi_ - qb_ * pb_).quantize(Decimal("0.000001")) * per_unit
    else:
        diff = notional
    row = {
        "break_id": break_id(i), "break_type": bt, "recon": "broker", "broker": broker, "account": account,
        "instrument_id": inst, "asset_class": ac, "side": side, "trade_date": DAY, "currency": "USD",
        "internal_ids": None if qi is None else f"OMS-{20261127000 + i}", "broker_ids": None if qb is None else f"{broker[:2].upper()}-{77100 + i}",
        "internal_quantity": qi_, "broker_quantity": qb_, "internal_price": pi_, "broker_price": pb_,
        "internal_settle": date(2026, 11, 30), "broker_settle": date(2026, 12, 1) if bt == "SETTLEMENT_DATE_MISMATCH" else date(2026, 11, 30),
        "internal_commission": Decimal("12.50"), "broker_commission": Decimal("15.00") if bt == "COMMISSION_MISMATCH" else Decimal("12.50"),
        "difference_amount": diff, "notional": notional,
        "anomaly_score": 0.91 if i % 3 == 0 else None,
        "anomaly_explanation": "price_vs_vwap_bps=+38.2 (p99.7); qty_vs_adv=4.1x" if i % 3 == 0 else None,
        "priority": ["P1", "P2", "P3", "P4"][i % 4], "priority_score": 85.0 - 10 * (i % 4),
        "status": "open", "assignee": None, "resolution_code": None,
        "first_seen": T0, "last_seen": T0, "closed_at": None, "last_run_id": "run-1",
    }  # fmt: skip
    row.update(overrides)
    return row


def _event(wh: Warehouse, brk_id: str, run_id: str, event: str, from_s, to_s, at: datetime) -> None:
    wh.execute(
        "INSERT INTO break_events (event_id, break_id, event_at, actor, event, from_status, to_status, reason, run_id) "
        "VALUES (:id, :b, :at, 'system', :e, :f, :t, NULL, :r)",
        {"id": hashlib.md5(f"{brk_id}|{run_id}|{event}".encode()).hexdigest(), "b": brk_id, "at": at,
         "e": event, "f": from_s, "t": to_s, "r": run_id},
    )


def open_breaks(wh: Warehouse, rows: list[dict], run_id: str, at: datetime = T0) -> None:
    for row in rows:
        cols = list(row)
        wh.execute(f"INSERT INTO breaks ({', '.join(cols)}) VALUES ({', '.join(':' + c for c in cols)})", row)
        _event(wh, row["break_id"], run_id, "opened", None, "open", at)


def see_breaks(wh: Warehouse, ids: list[str], run_id: str, at: datetime) -> None:
    """A rerun that finds the same breaks: 'seen' events only (nothing for ServiceNow)."""
    for b in ids:
        wh.execute("UPDATE breaks SET last_seen = :at, last_run_id = :r WHERE break_id = :b", {"at": at, "r": run_id, "b": b})
        _event(wh, b, run_id, "seen", "open", "open", at)


def change_break(wh: Warehouse, brk_id: str, run_id: str, at: datetime, **values) -> None:
    sets = ", ".join(f"{k} = :{k}" for k in values)
    wh.execute(f"UPDATE breaks SET {sets}, last_run_id = :r WHERE break_id = :b", {**values, "r": run_id, "b": brk_id})
    _event(wh, brk_id, run_id, "changed", "open", "open", at)


def close_breaks(wh: Warehouse, ids: list[str], run_id: str, at: datetime) -> None:
    for b in ids:
        status = wh.scalar("SELECT status FROM breaks WHERE break_id = :b", {"b": b})
        wh.execute("UPDATE breaks SET status = 'closed', closed_at = :at, last_run_id = :r WHERE break_id = :b",
                   {"at": at, "r": run_id, "b": b})
        _event(wh, b, run_id, "closed", status, "closed", at)


def reopen_breaks(wh: Warehouse, ids: list[str], run_id: str, at: datetime) -> None:
    for b in ids:
        wh.execute("UPDATE breaks SET status = 'open', closed_at = NULL, last_run_id = :r WHERE break_id = :b",
                   {"r": run_id, "b": b})
        _event(wh, b, run_id, "reopened", "closed", "open", at)
