"""The instrument master: every identifier type resolves to one instrument_id.

A day's reference data is a CSV (reference/instruments.csv) with one row per instrument:

    instrument_id, asset_class, symbol, mic, isin, cusip, sedol, occ_symbol, future_code,
    fx_pair, multiplier, currency, description

Sources quote instruments differently (ticker+MIC, ISIN, CUSIP, SEDOL, OCC option symbol, future
code, FX pair); `InstrumentMaster.resolve(id_type, value, mic)` maps any of them to the row. An
identifier the master does not know still gets a stable id, `<TYPE>:<value>`, so the record is
reconciled (and shows up as a break) instead of disappearing.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

ID_TYPES = ("ticker_mic", "ticker", "isin", "cusip", "sedol", "occ", "future", "fx_pair", "instrument_id")

MASTER_COLUMNS = [
    "instrument_id",
    "asset_class",
    "symbol",
    "mic",
    "isin",
    "cusip",
    "sedol",
    "occ_symbol",
    "future_code",
    "fx_pair",
    "multiplier",
    "currency",
    "description",
]


@dataclass(frozen=True, slots=True)
class Instrument:
    instrument_id: str
    asset_class: str
    symbol: str | None = None
    mic: str | None = None
    isin: str | None = None
    cusip: str | None = None
    sedol: str | None = None
    occ_symbol: str | None = None
    future_code: str | None = None
    fx_pair: str | None = None
    multiplier: Decimal = Decimal(1)
    currency: str = "USD"
    description: str = ""

    def identifiers(self) -> list[tuple[str, str]]:
        """(id_type, value) pairs this instrument answers to."""
        out = [("instrument_id", self.instrument_id)]
        if self.symbol and self.mic:
            out.append(("ticker_mic", f"{self.symbol}.{self.mic}"))
        if self.symbol:
            out.append(("ticker", self.symbol))
        for t, v in (
            ("isin", self.isin),
            ("cusip", self.cusip),
            ("sedol", self.sedol),
            ("occ", self.occ_symbol),
            ("future", self.future_code),
            ("fx_pair", self.fx_pair),
        ):
            if v:
                out.append((t, v))
        return out


def normalize_occ(symbol: str) -> str:
    """OCC option symbols: root padded to 6, yymmdd, C/P, strike*1000 in 8 digits. Accept unpadded."""
    s = symbol.replace(" ", "")
    root_len = len(s) - 15
    if root_len < 1:
        return symbol.strip()
    return s[:root_len].ljust(6) + s[root_len:]


class InstrumentMaster:
    def __init__(self, instruments: list[Instrument]):
        self.instruments = {i.instrument_id: i for i in instruments}
        self._index: dict[tuple[str, str], Instrument] = {}
        for inst in instruments:
            for key in inst.identifiers():
                self._index.setdefault(key, inst)

    @classmethod
    def from_csv(cls, path: str | Path) -> InstrumentMaster:
        with open(path, newline="") as fh:
            rows = list(csv.DictReader(fh))
        return cls([instrument_from_row(r) for r in rows])

    def resolve(self, id_type: str, value: str | None, mic: str | None = None) -> tuple[str, Instrument | None]:
        """-> (instrument_id, Instrument or None when unknown to the master)."""
        if not value:
            raise ValueError(f"empty {id_type} identifier")
        id_type = id_type.lower()
        if id_type not in ID_TYPES:
            raise ValueError(f"unknown identifier type {id_type!r}; expected one of {', '.join(ID_TYPES)}")
        value = value.strip()
        if id_type == "occ":
            value = normalize_occ(value)
        if id_type == "ticker" and mic:
            id_type, value = "ticker_mic", f"{value}.{mic}"
        inst = self._index.get((id_type, value))
        if inst is None and id_type == "ticker_mic":
            inst = self._index.get(("ticker", value.split(".")[0]))
        if inst is not None:
            return inst.instrument_id, inst
        return f"{id_type.upper()}:{value}", None

    def to_rows(self) -> list[dict]:
        """Rows of (id_type, id_value, instrument_id) for the warehouse's instrument_ids table."""
        return [
            {"id_type": t, "id_value": v, "instrument_id": inst.instrument_id}
            for (t, v), inst in self._index.items()
        ]

    def write_csv(self, path: str | Path) -> None:
        with open(path, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=MASTER_COLUMNS)
            w.writeheader()
            for inst in self.instruments.values():
                w.writerow({c: ("" if getattr(inst, c) is None else str(getattr(inst, c))) for c in MASTER_COLUMNS})


def instrument_from_row(row: dict) -> Instrument:
    def opt(k):
        v = (row.get(k) or "").strip()
        return v or None

    return Instrument(
        instrument_id=row["instrument_id"].strip(),
        asset_class=row["asset_class"].strip(),
        symbol=opt("symbol"),
        mic=opt("mic"),
        isin=opt("isin"),
        cusip=opt("cusip"),
        sedol=opt("sedol"),
        occ_symbol=normalize_occ(opt("occ_symbol")) if opt("occ_symbol") else None,
        future_code=opt("future_code"),
        fx_pair=opt("fx_pair"),
        multiplier=Decimal(opt("multiplier") or "1"),
        currency=opt("currency") or "USD",
        description=opt("description") or "",
    )
