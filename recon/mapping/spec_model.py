"""The shape of a source layout (what mappings/<name>.yaml declares), as checked dataclasses.

spec.py loads and validates the YAML into these; docs/mappings.md documents every key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from recon.instruments import ID_TYPES
from recon.model import AssetClass, RecordKind, Side

SIDES = [s.value for s in Side]
ASSET_CLASSES = [a.value for a in AssetClass]
RECORD_KINDS = [k.value for k in RecordKind]
INSTRUMENT_TYPES = [*ID_TYPES, "from_column"]
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


class MappingError(ValueError):
    """A mapping YAML that cannot be used; the message names the file and the key."""


@dataclass(frozen=True, slots=True)
class FileSpec:
    format: str = "csv"
    delimiter: str = ","
    header: bool = True
    trailer_prefix: str | None = None


@dataclass(frozen=True, slots=True)
class CodedColumn:
    """A column whose file values map to canonical values (record_kind, asset_class)."""

    column: str
    codes: dict[str, str] | None = None  # None: the column already holds canonical values


@dataclass(frozen=True, slots=True)
class InstrumentSpec:
    type: str
    column: str
    mic_column: str | None = None
    type_column: str | None = None
    type_codes: dict[str, str] = field(default_factory=dict)
    prefer: tuple[str, ...] = ()  # generator only: which identifier the source quotes


@dataclass(frozen=True, slots=True)
class SideSpec:
    codes: dict[str, str]  # "value" or "value|qualifier" (or "+", "-|Y") -> canonical side
    column: str | None = None
    qualifier: str | None = None
    from_quantity_sign: bool = False


@dataclass(frozen=True, slots=True)
class QuantitySpec:
    column: str
    signed: bool = False


@dataclass(frozen=True, slots=True)
class PriceSpec:
    column: str
    scale: Decimal | None = None  # multiplies the file's number (e.g. 0.01 for percent of par)


@dataclass(frozen=True, slots=True)
class AmountSpec:
    columns: tuple[str, ...]  # summed when more than one
    default: Decimal | None = None  # used when every column is empty


@dataclass(frozen=True, slots=True)
class CurrencySpec:
    column: str | None = None
    default: str | None = None


@dataclass(frozen=True, slots=True)
class DateSpec:
    column: str
    format: str  # Python strptime codes


@dataclass(frozen=True, slots=True)
class FilterSpec:
    column: str
    values: tuple[str, ...]
    keep_listed: bool  # True for `in`, False for `not_in`


@dataclass(frozen=True, slots=True)
class MappingSpec:
    name: str
    source: str
    path: str
    record_id: str
    account: str
    instrument: InstrumentSpec
    side: SideSpec
    quantity: QuantitySpec
    price: PriceSpec
    trade_date: DateSpec
    description: str = ""
    file: FileSpec = FileSpec()
    record_kind: str | CodedColumn = RecordKind.TRADE.value
    broker: str | None = None
    order_id: str | None = None
    group_id: str | None = None
    symbol: str | None = None
    asset_class: CodedColumn | None = None
    multiplier: str | None = None
    commission: AmountSpec | None = None
    fees: AmountSpec | None = None
    net: AmountSpec | None = None
    accrued: AmountSpec | None = None
    currency: CurrencySpec = CurrencySpec(default="USD")
    settle_date: DateSpec | None = None
    transact_time: DateSpec | None = None
    filters: tuple[FilterSpec, ...] = ()
    covers: tuple[str, ...] = ()

    def columns(self) -> list[str]:
        """Every file column the spec reads, in a stable order (for the missing-column check)."""
        out: list[str] = []

        def add(*cols: str | None) -> None:
            for c in cols:
                if c and c not in out:
                    out.append(c)

        add(self.record_id, self.account, self.broker, self.order_id, self.group_id, self.symbol)
        if isinstance(self.record_kind, CodedColumn):
            add(self.record_kind.column)
        i = self.instrument
        add(i.column, i.mic_column, i.type_column)
        add(self.side.column, self.side.qualifier, self.quantity.column, self.price.column)
        if self.asset_class:
            add(self.asset_class.column)
        add(self.multiplier)
        for amount in (self.commission, self.fees, self.net, self.accrued):
            if amount:
                add(*amount.columns)
        add(self.currency.column)
        for d in (self.trade_date, self.settle_date, self.transact_time):
            if d:
                add(d.column)
        add(*(f.column for f in self.filters))
        return out
