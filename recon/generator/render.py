"""Write canonical rows in a source's file layout, driven by the same mappings/*.yaml the reader
uses: the inverse of the mapping. Column order is the order of appearance in the YAML.

Rows are the generator's canonical dicts (see trades.DayBuilder.row): ints for money (cents) and
prices (1e-8), the InstSpec under "inst", Python dates/datetimes. A field the writer does not
understand is an error, not a silently missing column.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path

import yaml

from recon.generator.identifiers import fmt_cents, fmt_px
from recon.paths import MAPPINGS_DIR

Fn = Callable[[dict], str]

# identifier type in a mapping -> InstSpec attribute
_ID_ATTR = {
    "instrument_id": "instrument_id",
    "isin": "isin",
    "cusip": "cusip",
    "sedol": "sedol",
    "occ": "occ_symbol",
    "future": "future_code",
    "fx_pair": "fx_pair",
    "ticker": "symbol",
}
_PLAIN = {"record_id": "record_id", "account": "account", "order_id": "order_id", "broker": "broker"}


def load_layout(name: str) -> dict:
    return yaml.safe_load((MAPPINGS_DIR / f"{name}.yaml").read_text())


def _price(r: dict) -> str:
    return fmt_px(r["px"], 2)


def _cents(key: str) -> Fn:
    return lambda r: fmt_cents(r[key])


def _optional_cents(key: str) -> Fn:
    return lambda r: "" if r[key] is None else fmt_cents(r[key])


def _date(key: str, fmt: str) -> Fn:
    cache: dict[date, str] = {}

    def fn(r: dict) -> str:
        d = r[key]
        s = cache.get(d)
        if s is None:
            s = cache[d] = d.strftime(fmt)
        return s

    return fn


# isoformat is several times faster than strftime and gives the same text for these formats
_ISO_FORMATS = {
    "%Y-%m-%dT%H:%M:%S.%f": ("T", "microseconds"),
    "%Y-%m-%d %H:%M:%S": (" ", "seconds"),
    "%Y-%m-%dT%H:%M:%S": ("T", "seconds"),
}


def _timestamp(fmt: str) -> Fn:
    if fmt in _ISO_FORMATS:
        sep, spec = _ISO_FORMATS[fmt]
        return lambda r: r["transact_time"].isoformat(sep, spec)
    return lambda r: r["transact_time"].strftime(fmt)


def _identifier(id_type: str) -> Fn:
    attr = _ID_ATTR[id_type]

    def fn(r: dict) -> str:
        v = getattr(r["inst"], attr)
        if not v:
            raise ValueError(
                f"instrument {r['inst'].instrument_id} has no {id_type}; this layout cannot name it"
            )
        return v

    return fn


class LayoutWriter:
    def __init__(self, spec: dict, extra_columns: Iterable[tuple[str, Fn]] = ()):
        self.spec = spec
        self.name = spec["name"]
        f = spec.get("file") or {}
        self.delimiter = f.get("delimiter", ",")
        self.header = f.get("header", True)
        self.trailer_prefix = f.get("trailer_prefix")
        self.columns: list[str] = []
        self.fns: list[Fn] = []
        kind = spec.get("record_kind")
        if isinstance(kind, dict):
            inverse = {v: k for k, v in kind["codes"].items()}
            self._add(
                kind["column"],
                lambda r: inverse[r["record_kind"] if r["record_kind"] in inverse else "trade"],
            )
        for name, value in (spec.get("fields") or {}).items():
            self._field(name, value)
        for flt in spec.get("filters") or []:
            allowed = list(flt["in"])
            alt = allowed[1] if len(allowed) > 1 else allowed[0]
            self._add(
                flt["column"],
                lambda r, a=allowed[0], b=alt: (
                    a if r["status"] is None else b if r["status"] == "alt" else r["status"]
                ),
            )
        for column, fn in extra_columns:
            self._add(column, fn)

    def _add(self, column: str, fn: Fn) -> None:
        if column in self.columns:
            raise ValueError(f"layout {self.name}: column {column!r} mapped twice")
        self.columns.append(column)
        self.fns.append(fn)

    def _field(self, name: str, value) -> None:
        column = value if isinstance(value, str) else (value or {}).get("column")
        if name in _PLAIN:
            self._add(column, lambda r, k=_PLAIN[name]: r[k] or "")
        elif name == "group_id":
            self._add(column, lambda r: r["group_id"] or "")
        elif name == "symbol":
            self._add(column, lambda r: r["inst"].display_symbol)
        elif name == "instrument":
            self._instrument(value)
        elif name == "side":
            self._side(value)
        elif name == "quantity":
            self._quantity(value)
        elif name == "price":
            self._add(column, _price)
        elif name in ("commission", "net"):
            self._add(column, _cents(name))
        elif name == "accrued":
            self._add(column, _optional_cents("accrued"))
        elif name == "fees":
            self._fees(value)
        elif name == "currency":
            self._add(column, lambda r: r["inst"].currency)
        elif name in ("trade_date", "settle_date", "transact_time"):
            fmt = value["format"]
            if name == "transact_time":
                self._add(column, _timestamp(fmt))
            else:
                self._add(column, _date(name, fmt))
        else:
            raise ValueError(f"layout {self.name}: the generator cannot render field {name!r}")

    def _instrument(self, spec: dict) -> None:
        kind = spec["type"]
        if kind == "ticker_mic":
            self._add(spec["column"], _identifier("ticker"))
            self._add(spec["mic_column"], lambda r: r["inst"].mic or "")
        elif kind == "from_column":
            code_of = {t: code for code, t in spec["type_codes"].items()}
            prefer = [(t, _ID_ATTR[t], code_of[t]) for t in spec["prefer"]]

            def pick(r: dict) -> tuple[str, str]:
                inst = r["inst"]
                for _t, attr, code in prefer:
                    v = getattr(inst, attr)
                    if v:
                        return code, v
                raise ValueError(f"instrument {inst.instrument_id} has none of {spec['prefer']}")

            self._add(spec["type_column"], lambda r: pick(r)[0])
            self._add(spec["column"], lambda r: pick(r)[1])
        elif kind in _ID_ATTR:
            self._add(spec["column"], _identifier(kind))
        else:
            raise ValueError(f"layout {self.name}: unknown instrument type {kind!r}")

    def _side(self, spec: dict) -> None:
        inverse: dict[str, tuple[str, str]] = {}
        for code, side in spec["codes"].items():
            value, _, qualifier = str(code).partition("|")
            inverse.setdefault(side, (value, qualifier))
        self.side_codes = inverse
        if not spec.get("from_quantity_sign"):
            self._add(spec["column"], lambda r: inverse[r["side"]][0])
        if spec.get("qualifier"):
            self._add(spec["qualifier"], lambda r: inverse[r["side"]][1])

    def _quantity(self, spec: dict) -> None:
        if not spec.get("signed"):
            self._add(spec["column"], lambda r: str(r["qty"]))
            return
        side_spec = (self.spec.get("fields") or {}).get("side") or {}
        if side_spec.get("from_quantity_sign"):
            if not hasattr(self, "side_codes"):
                raise ValueError(
                    f"layout {self.name}: a quantity signed by side needs `side` listed before it"
                )
            codes = self.side_codes
            self._add(
                spec["column"], lambda r: f"-{r['qty']}" if codes[r["side"]][0] == "-" else str(r["qty"])
            )
        else:
            self._add(
                spec["column"],
                lambda r: str(r["qty"]) if r["side"] in ("buy", "buy_to_cover") else f"-{r['qty']}",
            )

    def _fees(self, spec: dict) -> None:
        blank_zero = "default" in spec  # a zero with a default may be left empty, as real files do

        def money(c: int) -> str:
            return "" if blank_zero and c == 0 else fmt_cents(c)

        columns = spec.get("columns") or [spec["column"]]
        if len(columns) == 1:
            self._add(columns[0], lambda r: money(r["fee_reg"] + r["fee_exch"]))
        else:
            self._add(columns[0], lambda r: money(r["fee_reg"]))
            self._add(columns[1], lambda r: money(r["fee_exch"]))
            for extra in columns[2:]:
                self._add(extra, lambda r: money(0))

    def write(self, path: Path, rows: Iterable[dict]) -> int:
        n = 0
        fns = self.fns
        with open(path, "w", newline="") as fh:
            w = csv.writer(fh, delimiter=self.delimiter, lineterminator="\n")
            if self.header:
                w.writerow(self.columns)
            for r in rows:
                w.writerow([fn(r) for fn in fns])
                n += 1
            if self.trailer_prefix:
                w.writerow([self.trailer_prefix, str(n)])
        return n
