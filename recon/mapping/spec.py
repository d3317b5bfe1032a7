"""A source layout, declared in YAML (mappings/<name>.yaml), loaded into checked dataclasses.

The YAML is the contract between the ingestion (this package) and the trading-day generator,
which renders files from the same spec. docs/mappings.md documents every key. Validation errors
name the YAML file and the key path, e.g. ``mappings/acme.yaml: fields.side.codes['X']: ...``.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from recon.instruments import ID_TYPES
from recon.mapping.spec_model import (  # noqa: F401  (re-exported: the spec's public shape)
    ASSET_CLASSES,
    INSTRUMENT_TYPES,
    NAME_PATTERN,
    RECORD_KINDS,
    SIDES,
    AmountSpec,
    CodedColumn,
    CurrencySpec,
    DateSpec,
    FileSpec,
    FilterSpec,
    InstrumentSpec,
    MappingError,
    MappingSpec,
    PriceSpec,
    QuantitySpec,
    SideSpec,
)
from recon.model import RecordKind, Source
from recon.paths import MAPPINGS_DIR

# ---- loading ------------------------------------------------------------------------------------


def resolve_mapping_path(name_or_path: str | Path) -> Path:
    """A mapping name ('northbridge' -> mappings/northbridge.yaml) or a path to a YAML file."""
    text = str(name_or_path)
    if text.endswith((".yaml", ".yml")) or "/" in text:
        path = Path(text)
    else:
        path = MAPPINGS_DIR / f"{text}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in MAPPINGS_DIR.glob("*.yaml")))
        raise MappingError(f"no mapping {text!r} (looked for {path}); shipped mappings: {known}")
    return path


def load_mapping(name_or_path: str | Path) -> MappingSpec:
    path = resolve_mapping_path(name_or_path)
    try:
        doc = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise MappingError(f"{path}: not valid YAML: {exc}") from exc
    return parse_mapping(doc, str(path))


def available_mappings() -> list[str]:
    return sorted(p.stem for p in MAPPINGS_DIR.glob("*.yaml"))


class _Ctx:
    """Carries the file name so every error says where it is."""

    def __init__(self, path: str):
        self.path = path

    def fail(self, key: str, message: str) -> MappingError:
        return MappingError(f"{self.path}: {key}: {message}")

    def mapping(self, value: Any, key: str, allowed: set[str], required: set[str] = frozenset()) -> dict:
        if not isinstance(value, dict):
            raise self.fail(key, f"expected a mapping, got {type(value).__name__}")
        unknown = set(value) - allowed
        if unknown:
            raise self.fail(key, f"unknown key(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
        missing = required - set(value)
        if missing:
            raise self.fail(key, f"missing required key(s) {sorted(missing)}")
        return value

    def text(self, value: Any, key: str) -> str:
        if not isinstance(value, str | int) or isinstance(value, bool) or str(value).strip() == "":
            raise self.fail(key, f"expected a non-empty string, got {value!r}")
        return str(value)

    def column(self, value: Any, key: str) -> str:
        """A plain column name, or {column: name}."""
        if isinstance(value, dict):
            value = self.mapping(value, key, {"column"}, {"column"})["column"]
        return self.text(value, key)

    def decimal(self, value: Any, key: str) -> Decimal:
        if isinstance(value, float):
            raise self.fail(key, f"write numbers as quoted strings (\"{value}\") so they stay exact")
        try:
            return Decimal(str(value))
        except InvalidOperation:
            raise self.fail(key, f"not a number: {value!r}") from None

    def choice(self, value: Any, key: str, allowed: list[str]) -> str:
        if value not in allowed:
            raise self.fail(key, f"{value!r} is not one of {', '.join(allowed)}")
        return value

    def codes(self, value: Any, key: str, allowed: list[str]) -> dict[str, str]:
        if not isinstance(value, dict) or not value:
            raise self.fail(key, "expected a non-empty mapping of file code -> canonical value")
        out = {}
        for code, target in value.items():
            code_text = self.text(code, f"{key}[{code!r}]")
            out[code_text] = self.choice(target, f"{key}[{code!r}]", allowed)
        return out


_TOP = {
    "name", "source", "description", "file", "record_kind", "fields", "filters", "covers",
}
_FIELDS = {
    "record_id", "account", "broker", "order_id", "group_id", "instrument", "symbol", "side",
    "quantity", "price", "asset_class", "multiplier", "commission", "fees", "net", "accrued",
    "currency", "trade_date", "settle_date", "transact_time",
}
_REQUIRED_FIELDS = {"record_id", "account", "instrument", "side", "quantity", "price", "trade_date"}


def parse_mapping(doc: Any, path: str = "<mapping>") -> MappingSpec:
    c = _Ctx(path)
    doc = c.mapping(doc, "top level", _TOP, {"name", "source", "fields"})
    name = c.text(doc["name"], "name")
    if not NAME_PATTERN.match(name):
        raise c.fail("name", f"{name!r} must be lowercase letters, digits and _ (it names raw_{name})")
    source = c.choice(doc["source"], "source", [Source.INTERNAL.value, Source.BROKER.value])
    fields = c.mapping(doc["fields"], "fields", _FIELDS, _REQUIRED_FIELDS)
    quantity = _quantity(c, fields["quantity"])
    spec = MappingSpec(
        name=name,
        source=source,
        path=path,
        description=str(doc.get("description") or ""),
        file=_file(c, doc.get("file", {})),
        record_kind=_record_kind(c, doc.get("record_kind", RecordKind.TRADE.value)),
        record_id=c.column(fields["record_id"], "fields.record_id"),
        account=c.column(fields["account"], "fields.account"),
        broker=_opt_column(c, fields, "broker"),
        order_id=_opt_column(c, fields, "order_id"),
        group_id=_opt_column(c, fields, "group_id"),
        symbol=_opt_column(c, fields, "symbol"),
        multiplier=_opt_column(c, fields, "multiplier"),
        instrument=_instrument(c, fields["instrument"]),
        side=_side(c, fields["side"], quantity),
        quantity=quantity,
        price=_price(c, fields["price"]),
        asset_class=_asset_class(c, fields.get("asset_class")),
        commission=_amount(c, fields.get("commission"), "fields.commission"),
        fees=_amount(c, fields.get("fees"), "fields.fees"),
        net=_amount(c, fields.get("net"), "fields.net"),
        accrued=_amount(c, fields.get("accrued"), "fields.accrued"),
        currency=_currency(c, fields.get("currency")),
        trade_date=_date(c, fields["trade_date"], "fields.trade_date"),
        settle_date=_date(c, fields.get("settle_date"), "fields.settle_date"),
        transact_time=_date(c, fields.get("transact_time"), "fields.transact_time"),
        filters=_filters(c, doc.get("filters") or []),
        covers=tuple(c.choice(a, "covers", ASSET_CLASSES) for a in (doc.get("covers") or [])),
    )
    return spec


def _opt_column(c: _Ctx, fields: dict, key: str) -> str | None:
    return c.column(fields[key], f"fields.{key}") if fields.get(key) is not None else None


def _file(c: _Ctx, value: Any) -> FileSpec:
    v = c.mapping(value, "file", {"format", "delimiter", "header", "trailer_prefix"})
    fmt = c.choice(v.get("format", "csv"), "file.format", ["csv"])
    delimiter = v.get("delimiter", ",")
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in "\"\r\n":
        raise c.fail("file.delimiter", f"expected one character (not a quote or newline), got {delimiter!r}")
    if v.get("header", True) is not True:
        raise c.fail("file.header", "only files with a header row are supported (header: true)")
    trailer = v.get("trailer_prefix")
    return FileSpec(fmt, delimiter, True, c.text(trailer, "file.trailer_prefix") if trailer else None)


def _record_kind(c: _Ctx, value: Any) -> str | CodedColumn:
    if isinstance(value, str):
        return c.choice(value, "record_kind", RECORD_KINDS)
    v = c.mapping(value, "record_kind", {"column", "codes"}, {"column", "codes"})
    return CodedColumn(c.text(v["column"], "record_kind.column"), c.codes(v["codes"], "record_kind.codes", RECORD_KINDS))


def _asset_class(c: _Ctx, value: Any) -> CodedColumn | None:
    if value is None:
        return None
    if isinstance(value, str):
        return CodedColumn(value)
    v = c.mapping(value, "fields.asset_class", {"column", "codes"}, {"column"})
    codes = c.codes(v["codes"], "fields.asset_class.codes", ASSET_CLASSES) if "codes" in v else None
    return CodedColumn(c.text(v["column"], "fields.asset_class.column"), codes)


def _instrument(c: _Ctx, value: Any) -> InstrumentSpec:
    key = "fields.instrument"
    v = c.mapping(value, key, {"type", "column", "mic_column", "type_column", "type_codes", "prefer"},
                  {"type", "column"})
    id_type = c.choice(v["type"], f"{key}.type", INSTRUMENT_TYPES)
    type_codes: dict[str, str] = {}
    if id_type == "from_column":
        if not v.get("type_column") or not v.get("type_codes"):
            raise c.fail(key, "type from_column needs type_column and type_codes")
        type_codes = c.codes(v["type_codes"], f"{key}.type_codes", list(ID_TYPES))
    elif v.get("type_column") or v.get("type_codes"):
        raise c.fail(key, "type_column/type_codes only go with type: from_column")
    if id_type == "ticker_mic" and not v.get("mic_column"):
        raise c.fail(key, "type ticker_mic needs mic_column (the exchange MIC column)")
    prefer = v.get("prefer") or []
    if not isinstance(prefer, list):
        raise c.fail(f"{key}.prefer", "expected a list of identifier types")
    return InstrumentSpec(
        type=id_type,
        column=c.text(v["column"], f"{key}.column"),
        mic_column=c.text(v["mic_column"], f"{key}.mic_column") if v.get("mic_column") else None,
        type_column=c.text(v["type_column"], f"{key}.type_column") if v.get("type_column") else None,
        type_codes=type_codes,
        prefer=tuple(c.choice(p, f"{key}.prefer", list(ID_TYPES)) for p in prefer),
    )


def _side(c: _Ctx, value: Any, quantity: QuantitySpec) -> SideSpec:
    key = "fields.side"
    v = c.mapping(value, key, {"column", "qualifier", "codes", "from_quantity_sign"}, {"codes"})
    from_sign = v.get("from_quantity_sign", False)
    if not isinstance(from_sign, bool):
        raise c.fail(f"{key}.from_quantity_sign", f"expected true or false, got {from_sign!r}")
    if from_sign == bool(v.get("column")):
        raise c.fail(key, "give exactly one of column (a side column) or from_quantity_sign: true")
    if from_sign and not quantity.signed:
        raise c.fail(key, "from_quantity_sign needs fields.quantity.signed: true")
    qualifier = c.text(v["qualifier"], f"{key}.qualifier") if v.get("qualifier") else None
    codes = c.codes(v["codes"], f"{key}.codes", SIDES)
    for code in codes:
        base, sep, qual = code.partition("|")
        where = f"{key}.codes[{code!r}]"
        if sep and not qualifier:
            raise c.fail(where, "a 'value|qualifier' code needs side.qualifier (the qualifier column)")
        if sep and not qual:
            raise c.fail(where, "empty qualifier after '|': write the code without '|'")
        if from_sign and base not in ("+", "-"):
            raise c.fail(where, "with from_quantity_sign codes are '+', '-' or '+|Q', '-|Q'")
    return SideSpec(
        codes=codes,
        column=c.text(v["column"], f"{key}.column") if v.get("column") else None,
        qualifier=qualifier,
        from_quantity_sign=from_sign,
    )


def _quantity(c: _Ctx, value: Any) -> QuantitySpec:
    if isinstance(value, str):
        return QuantitySpec(value)
    v = c.mapping(value, "fields.quantity", {"column", "signed"}, {"column"})
    signed = v.get("signed", False)
    if not isinstance(signed, bool):
        raise c.fail("fields.quantity.signed", f"expected true or false, got {signed!r}")
    return QuantitySpec(c.text(v["column"], "fields.quantity.column"), signed)


def _price(c: _Ctx, value: Any) -> PriceSpec:
    if isinstance(value, str):
        return PriceSpec(value)
    v = c.mapping(value, "fields.price", {"column", "scale"}, {"column"})
    scale = None
    if v.get("scale") is not None:
        scale = c.decimal(v["scale"], "fields.price.scale")
        if scale <= 0 or scale.as_tuple().exponent < -6:
            raise c.fail("fields.price.scale", f"must be positive with at most 6 decimals, got {scale}")
    return PriceSpec(c.text(v["column"], "fields.price.column"), scale)


def _amount(c: _Ctx, value: Any, key: str) -> AmountSpec | None:
    if value is None:
        return None
    if isinstance(value, str):
        return AmountSpec((value,))
    v = c.mapping(value, key, {"column", "columns", "default"})
    if bool(v.get("column")) == bool(v.get("columns")):
        raise c.fail(key, "give exactly one of column or columns")
    if v.get("columns") is not None:
        if not isinstance(v["columns"], list) or not v["columns"]:
            raise c.fail(f"{key}.columns", "expected a non-empty list of column names")
        cols = tuple(c.text(x, f"{key}.columns") for x in v["columns"])
    else:
        cols = (c.text(v["column"], f"{key}.column"),)
    default = c.decimal(v["default"], f"{key}.default") if v.get("default") is not None else None
    return AmountSpec(cols, default)


def _currency(c: _Ctx, value: Any) -> CurrencySpec:
    if value is None:
        return CurrencySpec(default="USD")
    if isinstance(value, str):
        return CurrencySpec(column=value)
    v = c.mapping(value, "fields.currency", {"column", "default"})
    if not v.get("column") and not v.get("default"):
        raise c.fail("fields.currency", "give a column, a default, or both")
    default = v.get("default")
    if default is not None and not re.fullmatch(r"[A-Z]{3}", str(default)):
        raise c.fail("fields.currency.default", f"expected a 3-letter ISO code, got {default!r}")
    column = c.text(v["column"], "fields.currency.column") if v.get("column") else None
    return CurrencySpec(column, default)


def _date(c: _Ctx, value: Any, key: str) -> DateSpec | None:
    if value is None:
        return None
    v = c.mapping(value, key, {"column", "format"}, {"column", "format"})
    from recon.mapping.formats import strptime_to_snowflake

    fmt = c.text(v["format"], f"{key}.format")
    try:
        strptime_to_snowflake(fmt)
    except ValueError as exc:
        raise c.fail(f"{key}.format", str(exc)) from None
    return DateSpec(c.text(v["column"], f"{key}.column"), fmt)


def _filters(c: _Ctx, value: Any) -> tuple[FilterSpec, ...]:
    if not isinstance(value, list):
        raise c.fail("filters", "expected a list of {column, in: [...]} or {column, not_in: [...]}")
    out = []
    for n, item in enumerate(value):
        key = f"filters[{n}]"
        v = c.mapping(item, key, {"column", "in", "not_in"}, {"column"})
        if ("in" in v) == ("not_in" in v):
            raise c.fail(key, "give exactly one of in or not_in")
        values = v.get("in", v.get("not_in"))
        if not isinstance(values, list) or not values:
            raise c.fail(key, "expected a non-empty list of values")
        out.append(FilterSpec(c.text(v["column"], f"{key}.column"), tuple(str(x) for x in values), "in" in v))
    return tuple(out)
