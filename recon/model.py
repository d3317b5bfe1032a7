"""The canonical model: one shape for every execution, allocation and trade, whatever its source.

Money and quantities are exact decimals end to end (Decimal in Python, DECIMAL in SQL, Arrow
decimal128 in between); a float never decides a match.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

import pyarrow as pa


class AssetClass(StrEnum):
    EQUITY = "equity"
    ETF = "etf"
    OPTION = "option"
    FUTURE = "future"
    FX = "fx"
    BOND = "bond"
    SWAP = "swap"


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"
    SELL_SHORT = "sell_short"
    BUY_TO_COVER = "buy_to_cover"

    @property
    def direction(self) -> int:
        """+1 buys (buy, buy_to_cover), -1 sells (sell, sell_short)."""
        return 1 if self in (Side.BUY, Side.BUY_TO_COVER) else -1


class Source(StrEnum):
    INTERNAL = "internal"  # our OMS / internal booking
    BROKER = "broker"  # a prime broker's end-of-day trade file
    DROPCOPY = "dropcopy"  # a prime broker's FIX drop copy


class RecordKind(StrEnum):
    FILL = "fill"  # one execution (a partial or full fill)
    ALLOCATION = "allocation"  # a booked allocation to one account
    TRADE = "trade"  # a booked trade (the OMS's or the broker's unit of record)


class BreakType(StrEnum):
    MISSING_AT_BROKER = "MISSING_AT_BROKER"
    MISSING_INTERNALLY = "MISSING_INTERNALLY"
    QUANTITY_MISMATCH = "QUANTITY_MISMATCH"
    PRICE_MISMATCH = "PRICE_MISMATCH"
    SETTLEMENT_DATE_MISMATCH = "SETTLEMENT_DATE_MISMATCH"
    COMMISSION_MISMATCH = "COMMISSION_MISMATCH"
    SIDE_MISMATCH = "SIDE_MISMATCH"
    ACCOUNT_MISMATCH = "ACCOUNT_MISMATCH"
    DUPLICATE = "DUPLICATE"
    ANOMALY = "ANOMALY"


# Scales used everywhere (SQL DDL, Arrow schema, rounding in the generator).
QTY = (38, 8)
PRICE = (38, 10)
MONEY = (38, 6)


@dataclass(slots=True)
class Execution:
    """One canonical record. record_id is the source's own id (ExecID, OMS trade id, broker ref)."""

    source: str
    record_id: str
    account: str
    instrument_id: str
    asset_class: str
    side: str
    quantity: Decimal
    price: Decimal
    trade_date: date
    broker: str = ""
    record_kind: str = RecordKind.TRADE
    symbol: str | None = None
    mic: str | None = None
    isin: str | None = None
    cusip: str | None = None
    sedol: str | None = None
    multiplier: Decimal = Decimal(1)
    gross: Decimal | None = None
    commission: Decimal | None = Decimal(0)  # None: the source does not report it
    fees: Decimal | None = Decimal(0)
    net: Decimal | None = None
    accrued: Decimal | None = None
    currency: str = "USD"
    settle_date: date | None = None
    transact_time: datetime | None = None
    order_id: str | None = None
    group_id: str | None = None  # allocation / block id that ties N records together
    exec_type: str | None = None
    ref_id: str | None = None
    version: int = 1
    file: str | None = None
    line: int | None = None
    extra: dict = field(default_factory=dict)

    def as_row(self) -> dict:
        row = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "extra"}
        return row


@dataclass(slots=True)
class Reject:
    """An input row that could not become canonical, with the reason. Nothing is dropped silently."""

    source: str
    file: str
    line: int
    reason: str
    record_id: str | None = None
    raw: str | None = None

    def as_row(self) -> dict:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


def _dec(p: tuple[int, int]) -> pa.DataType:
    return pa.decimal128(*p)


EXECUTION_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("record_id", pa.string()),
        ("account", pa.string()),
        ("instrument_id", pa.string()),
        ("asset_class", pa.string()),
        ("side", pa.string()),
        ("quantity", _dec(QTY)),
        ("price", _dec(PRICE)),
        ("trade_date", pa.date32()),
        ("broker", pa.string()),
        ("record_kind", pa.string()),
        ("symbol", pa.string()),
        ("mic", pa.string()),
        ("isin", pa.string()),
        ("cusip", pa.string()),
        ("sedol", pa.string()),
        ("multiplier", _dec(QTY)),
        ("gross", _dec(MONEY)),
        ("commission", _dec(MONEY)),
        ("fees", _dec(MONEY)),
        ("net", _dec(MONEY)),
        ("accrued", _dec(MONEY)),
        ("currency", pa.string()),
        ("settle_date", pa.date32()),
        ("transact_time", pa.timestamp("us")),
        ("order_id", pa.string()),
        ("group_id", pa.string()),
        ("exec_type", pa.string()),
        ("ref_id", pa.string()),
        ("version", pa.int32()),
        ("file", pa.string()),
        ("line", pa.int64()),
    ]
)

REJECT_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("file", pa.string()),
        ("line", pa.int64()),
        ("reason", pa.string()),
        ("record_id", pa.string()),
        ("raw", pa.string()),
    ]
)


def _quantize(value, scale: int):
    if value is None:
        return None
    return Decimal(value).quantize(Decimal(1).scaleb(-scale))


def executions_to_arrow(executions: list[Execution]) -> pa.Table:
    """Canonical executions as an Arrow table with exact decimal columns."""
    columns: dict[str, list] = {name: [] for name in EXECUTION_SCHEMA.names}
    scales = {f.name: f.type.scale for f in EXECUTION_SCHEMA if pa.types.is_decimal(f.type)}
    for e in executions:
        for name in EXECUTION_SCHEMA.names:
            v = getattr(e, name)
            if name in scales:
                v = _quantize(v, scales[name])
            columns[name].append(v)
    return pa.table(columns, schema=EXECUTION_SCHEMA)


def rejects_to_arrow(rejects: list[Reject]) -> pa.Table:
    return pa.Table.from_pylist([r.as_row() for r in rejects], schema=REJECT_SCHEMA)
