"""Build canonical Executions from FIX fields: side, quantity, price, dates, commission, fees.

Conventions (docs/fix.md has the full list):
- Side(54): 1 buy, 2 sell, 3 buy minus -> buy, 4 sell plus -> sell, 5 sell short and 6 sell short
  exempt -> sell_short; a buy with PositionEffect(77)=C (close) -> buy_to_cover. Others reject.
- Commission(12) by CommType(13): 3 or absent absolute, 1 per unit (x quantity), 2 percent (of
  gross), 6 points per contract (x quantity x multiplier). Others reject.
- fees = sum of MiscFeeAmt(137) in NoMiscFees(136); gross = GrossTradeAmt(381) when given, else
  quantity x price x multiplier; net = NetMoney(118) / AllocNetMoney(154) when given, else empty.
- trade date = TradeDate(75), else the date of TransactTime(60) (UTC).
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from recon.fix.instrument import InstrumentResolver, ResolvedInstrument
from recon.fix.tags import (
    ACCOUNT,
    CL_ORD_ID,
    COMM_TYPE,
    COMMISSION,
    CURRENCY,
    EXEC_REF_ID,
    EXEC_TRANS_TYPE,
    EXEC_TYPE,
    GROSS_TRADE_AMT,
    LAST_PX,
    LAST_QTY,
    MISC_FEE_AMT,
    NET_MONEY,
    NO_MISC_FEES,
    ORDER_ID,
    POSITION_EFFECT,
    SETTL_DATE,
    SIDE,
    TRADE_DATE,
    TRANSACT_TIME,
    group_key,
)
from recon.fix.values import NormalizeError, date_of, dec, decimal_of, need, timestamp_of
from recon.model import Execution

SOURCE = "dropcopy"
_SIDES = {"1": "buy", "2": "sell", "3": "buy", "4": "sell", "5": "sell_short", "6": "sell_short"}
_ZERO = Decimal(0)
_MISC_FEES = group_key(NO_MISC_FEES)
_FIELD_ORDER = tuple(
    "source record_id account instrument_id asset_class side quantity price trade_date broker record_kind "
    "symbol mic isin cusip sedol multiplier gross commission fees net accrued currency settle_date "
    "transact_time order_id group_id exec_type ref_id version file line extra".split()
)
if tuple(f.name for f in dataclasses.fields(Execution)) != _FIELD_ORDER:
    raise ImportError(
        "recon.model.Execution fields changed: update booking._FIELD_ORDER and Booker.execution"
    )


def side_of(fields: dict) -> str:
    code = fields.get(SIDE)
    side = _SIDES.get(code or "")
    if side is None:
        raise NormalizeError("missing required Side(54)" if not code else f"unknown Side(54)={code!r}")
    if side == "buy" and fields.get(POSITION_EFFECT) == "C":
        return "buy_to_cover"
    return side


def commission_of(fields: dict, qty: Decimal, gross: Decimal, multiplier: Decimal) -> Decimal:
    text = fields.get(COMMISSION)
    if not text:
        return _ZERO
    amount = decimal_of(text, COMMISSION)
    kind = fields.get(COMM_TYPE) or "3"
    if kind == "3":
        return amount
    if kind == "1":
        return amount * qty
    if kind == "2":
        return amount * gross / 100
    if kind == "6":
        return amount * qty * multiplier
    raise NormalizeError(
        f"unsupported CommType(13)={kind!r} (supported: 1 per unit, 2 percent, 3 absolute, 6 points)"
    )


def fees_of(fields: dict) -> Decimal:
    entries = fields.get(_MISC_FEES)
    if not entries:
        return _ZERO
    total = _ZERO
    for entry in entries:
        text = entry.get(MISC_FEE_AMT)
        if text:
            total += decimal_of(text, MISC_FEE_AMT)
    return total


class Booker:
    """Holds the broker name and the instrument resolver; builds Executions."""

    def __init__(self, broker: str, master=None):
        self.broker = broker
        self.resolver = InstrumentResolver(master)

    def fill(self, f: dict, exec_id: str, file: str, line: int) -> Execution:
        """An ExecutionReport's fill: LastQty(32) at LastPx(31)."""
        inst = self.resolver.resolve(f)
        qty = dec(f, LAST_QTY)
        if qty <= 0:
            raise NormalizeError(f"LastQty(32) must be > 0, got {f['32']!r}")
        price = dec(f, LAST_PX)
        # positional: this is the hot path (keyword passing of 13 arguments costs ~1 us)
        return self.execution(
            f,
            f,
            inst,
            exec_id,
            "fill",
            need(f, ACCOUNT),
            qty,
            price,
            file,
            line,
            f.get(ORDER_ID) or None,
            None,
            NET_MONEY,
        )

    def execution(
        self,
        top: dict,
        part: dict,
        inst: ResolvedInstrument,
        record_id: str,
        kind: str,
        account: str,
        qty: Decimal,
        price: Decimal,
        file: str,
        line: int,
        order_id: str | None,
        group_id: str | None,
        net_tag: str,
        gross_tag: str | None = GROSS_TRADE_AMT,
        side_fields: dict | None = None,
    ) -> Execution:
        """Common assembly. `top` holds message-level tags, `part` the side/allocation entry's."""
        g = top.get
        text = g(TRANSACT_TIME)
        transact = timestamp_of(text, TRANSACT_TIME) if text else None
        text = g(TRADE_DATE)
        if text:
            trade_date = date_of(text, TRADE_DATE)
        elif transact is not None:
            trade_date = transact.date()
        else:
            raise NormalizeError("missing TradeDate(75) and TransactTime(60): no trade date")
        text = g(SETTL_DATE)
        settle_date = date_of(text, SETTL_DATE) if text else None
        text = part.get(gross_tag) if gross_tag else None
        gross = decimal_of(text, gross_tag) if text else qty * price * inst.multiplier
        text = part.get(net_tag)
        net = decimal_of(text, net_tag) if text else None
        # Not reported is not zero: an ExecutionReport without 12 says nothing about commission.
        commission = commission_of(part, qty, gross, inst.multiplier) if part.get(COMMISSION) else None
        fees = fees_of(part) if _MISC_FEES in part else None
        cl_ord_id = part.get(CL_ORD_ID) or g(CL_ORD_ID)
        extra = {"cl_ord_id": cl_ord_id} if cl_ord_id else {}
        # Positional (half the cost of keywords on the hot path); _FIELD_ORDER guards the order.
        return Execution(
            SOURCE,
            record_id,
            account,
            inst.instrument_id,
            inst.asset_class,
            side_of(side_fields if side_fields is not None else top),
            qty,
            price,
            trade_date,
            self.broker,
            kind,
            inst.symbol,
            inst.mic,
            inst.isin,
            inst.cusip,
            inst.sedol,
            inst.multiplier,
            gross,
            commission,
            fees,
            net,
            None,
            part.get(CURRENCY) or g(CURRENCY) or inst.currency or "USD",
            settle_date,
            transact,
            order_id,
            group_id,
            g(EXEC_TYPE) or g(EXEC_TRANS_TYPE),
            g(EXEC_REF_ID) or None,
            1,
            file,
            line,
            extra,
        )
