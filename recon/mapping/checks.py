"""The staged CTE behind compile_sql: read the file's raw rows, parse every mapped field, resolve
the instrument, and compute one `reason` per row ('' = canonical).

CTE chain: ids -> src (trimmed text, t_*) -> parsed (numbers n_*, dates d_*/ts_*, codes) ->
keyed (side, instrument key) -> resolved (joined to instrument_ids / instruments) -> checked
(reason). Messages name the file's own column and the offending value, e.g.
``bad number: qty='12a'`` or ``filtered: Status=CANCELLED not in [NEW, CORRECTED]``.

The rows come from a relation with the raw columns plus _file and _line: the raw table, or on the
embedded engine the file's Arrow table. Every column is parsed once per row; the reason is '' for
a canonical row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from recon.mapping.formats import strptime_to_snowflake
from recon.mapping.spec_model import ASSET_CLASSES, AmountSpec, CodedColumn, DateSpec, MappingSpec
from recon.mapping.sql_text import case_map, cat, decimal_cast, decimal_lit, ident, lit, lit_list
from recon.model import MONEY, PRICE, QTY

_NUM = (38, 20)  # parse width: 18 integer digits, and room to detect surplus decimals
_AMOUNTS = ("commission", "fees", "net", "accrued")


@dataclass
class Stage:
    spec: MappingSpec
    raw_table: str
    src: list[str] = field(default_factory=list)  # expressions over raw row r
    parsed: list[str] = field(default_factory=list)  # over src s
    keyed: list[str] = field(default_factory=list)  # over parsed p
    checks: list[tuple[str, str]] = field(default_factory=list)  # (condition, message) over resolved
    filters: list[tuple[str, str]] = field(default_factory=list)
    raw_text: str = "''"
    empty_row: str = "FALSE"

    def cte(self, source: str | None = None, with_raw: bool = False) -> str:
        """source: the relation holding the file's raw rows (default the raw table); with_raw adds
        _raw, the row's text rebuilt with the delimiter (only the rejects pass needs it)."""
        def cols(items: list[str]) -> str:
            return "".join(f",\n        {c}" for c in items)

        def any_of(items: list[tuple[str, str]]) -> str:
            return " OR ".join(f"({cond})" for cond, _ in items) if items else "FALSE"

        def messages(items: list[tuple[str, str]]) -> str:
            # Built only for the rows that failed (CASE below), so clean rows pay for booleans only.
            parts = " || ".join(f"CASE WHEN {cond} THEN {cat(lit('; '), msg)} ELSE '' END" for cond, msg in items)
            return f"SUBSTR({parts}, 3)" if items else "''"

        return f"""WITH ids AS (
    SELECT id_type, id_value, MIN(instrument_id) AS instrument_id
    FROM instrument_ids GROUP BY id_type, id_value
),
instrument_terms AS (  -- once per instrument, not per row: is the multiplier a whole number?
    SELECT i.*, CASE WHEN i.multiplier = ROUND(i.multiplier, 0) THEN CAST(i.multiplier AS NUMBER(18, 0)) END
                AS whole_multiplier
    FROM instruments i
),
src AS (
    SELECT r._file AS _file, r._line AS _line,{f"{chr(10)}        {self.raw_text} AS _raw," if with_raw else ""}
        {self.empty_row} AS _empty{cols(self.src)}
    FROM {ident(source or self.raw_table)} r
    WHERE r._file = :file
),
parsed AS (
    SELECT s.*{cols(self.parsed)}
    FROM src s
),
keyed AS (
    SELECT p.*{cols(self.keyed)}
    FROM parsed p
),
resolved AS (
    SELECT k.*,
        COALESCE(i1.instrument_id, i2.instrument_id) AS master_id,
        CASE WHEN k.id_type IS NOT NULL AND k.id_value IS NOT NULL
             THEN COALESCE(i1.instrument_id, i2.instrument_id, UPPER(k.id_type) || ':' || k.id_value)
        END AS instrument_id,
        COALESCE(k.file_asset_class, m.asset_class,
                 CASE k.id_type WHEN 'occ' THEN 'option' WHEN 'future' THEN 'future'
                                WHEN 'fx_pair' THEN 'fx' END) AS asset_class,
        m.multiplier AS m_multiplier, m.whole_multiplier AS m_whole_multiplier, m.symbol AS m_symbol,
        m.mic AS m_mic, m.isin AS m_isin, m.cusip AS m_cusip, m.sedol AS m_sedol
    FROM keyed k
    LEFT JOIN ids i1 ON i1.id_type = k.id_type AND i1.id_value = k.id_value
    -- a ticker whose MIC the master does not list: the ticker alone (as quoted, so BRK.B stays BRK.B)
    LEFT JOIN ids i2 ON k.id_type = 'ticker_mic' AND i2.id_type = 'ticker'
                    AND i2.id_value = k.t_inst_value
    LEFT JOIN instrument_terms m ON m.instrument_id = COALESCE(i1.instrument_id, i2.instrument_id)
),
flagged AS (
    SELECT v.*,
        {any_of(self.filters)} AS _is_filtered,
        {any_of(self.checks)} AS _has_error
    FROM resolved v
),
checked AS (
    SELECT v.*,
        CASE WHEN v._empty THEN 'empty line: no values'
             WHEN v._is_filtered THEN {messages(self.filters)}
             WHEN v._has_error THEN {messages(self.checks)}
             ELSE '' END AS reason
    FROM flagged v
)"""


def build_stage(spec: MappingSpec, header: list[str], raw_columns: dict[str, str], raw_table: str) -> Stage:
    st = Stage(spec, raw_table)

    def raw(column: str) -> str:
        return f"r.{ident(raw_columns[column])}"

    def text(alias: str, column: str | None) -> None:
        expr = _trimmed(raw(column)) if column else "CAST(NULL AS VARCHAR)"
        st.src.append(f"{expr} AS t_{alias}")

    st.raw_text = cat(*_interleave([f"COALESCE({raw(h)}, '')" for h in header], lit(spec.file.delimiter)))
    # Guarded by the first column so that a normal row costs one TRIM, not one per column.
    blank = [f"COALESCE(TRIM({raw(h)}), '') = ''" for h in header]
    st.empty_row = f"CASE WHEN {blank[0]} THEN {' AND '.join(blank)} ELSE FALSE END"

    for alias in ("record_id", "account", "broker", "order_id", "group_id", "symbol", "multiplier"):
        text(alias, getattr(spec, alias))
    _identity_checks(st, spec)
    _record_kind(st, spec, text)
    _instrument(st, spec, text)
    _quantity_and_side(st, spec, text)
    _price(st, spec, text)
    _amounts(st, spec, text)
    _currency(st, spec, text)
    _asset_class(st, spec, text)
    for name in ("trade_date", "settle_date", "transact_time"):
        _date(st, name, getattr(spec, name), text)
    for n, flt in enumerate(spec.filters):
        text(f"filter_{n}", flt.column)
        value = f"COALESCE(v.t_filter_{n}, '')"
        listed = f"{value} IN ({lit_list(flt.values)})"
        shown = "[" + ", ".join(flt.values) + "]"
        if flt.keep_listed:
            st.filters.append((f"NOT ({listed})", cat(lit(f"filtered: {flt.column}="), value, lit(f" not in {shown}"))))
        else:
            st.filters.append((listed, cat(lit(f"filtered: {flt.column}="), value, lit(f" is in excluded {shown}"))))
    return st


def _trimmed(col: str) -> str:
    """NULLIF(TRIM(col), ''), but TRIM (which copies the string) only for padded values."""
    return f"NULLIF(CASE WHEN {col} LIKE ' %' OR {col} LIKE '% ' THEN TRIM({col}) ELSE {col} END, '')"


def _interleave(items: list[str], sep: str) -> list[str]:
    out: list[str] = []
    for i, item in enumerate(items):
        if i:
            out.append(sep)
        out.append(item)
    return out


def _missing(st: Stage, alias: str, field_name: str, column: str) -> None:
    st.checks.append((f"v.t_{alias} IS NULL", lit(f"missing {field_name}: {column} is empty")))


def _shown(alias: str) -> str:
    return f"COALESCE(v.t_{alias}, '')"


def _identity_checks(st: Stage, spec: MappingSpec) -> None:
    _missing(st, "record_id", "record_id", spec.record_id)
    _missing(st, "account", "account", spec.account)
    st.parsed.append("COALESCE(s.t_broker, CAST(:broker AS VARCHAR)) AS broker")
    where = f"{spec.broker} is empty" if spec.broker else "the layout has no broker column and none was given"
    st.checks.append(("v.broker IS NULL", lit(f"missing broker: {where}")))
    _parse_number(st, "multiplier", QTY)
    if spec.multiplier:
        _number_checks(st, "multiplier", spec.multiplier, QTY)
        st.checks.append(("v.n_multiplier <= 0", cat(lit(f"bad multiplier: {spec.multiplier}='"), _shown("multiplier"), lit("' must be positive"))))


def _record_kind(st: Stage, spec: MappingSpec, text) -> None:
    kind = spec.record_kind
    if isinstance(kind, CodedColumn):
        text("kind", kind.column)
        st.parsed.append(f"{case_map('s.t_kind', kind.codes)} AS record_kind")
        expected = ", ".join(kind.codes)
        st.checks.append(("v.record_kind IS NULL", cat(lit(f"unknown record_kind: {kind.column}='"), _shown("kind"), lit(f"' (expected {expected})"))))
    else:
        text("kind", None)
        st.parsed.append(f"{lit(kind)} AS record_kind")


def _instrument(st: Stage, spec: MappingSpec, text) -> None:
    inst = spec.instrument
    text("inst_value", inst.column)
    text("inst_mic", inst.mic_column)
    text("inst_type", inst.type_column)
    base = case_map("s.t_inst_type", inst.type_codes) if inst.type == "from_column" else lit(inst.type)
    # A ticker with a MIC is a ticker_mic, as InstrumentMaster.resolve treats it.
    st.parsed.append(f"CASE WHEN {base} = 'ticker' AND s.t_inst_mic IS NOT NULL THEN 'ticker_mic' ELSE {base} END AS id_type")
    compact = "REPLACE(p.t_inst_value, ' ', '')"
    root = f"LEFT({compact}, LENGTH({compact}) - 15)"
    occ = (f"CASE WHEN LENGTH({compact}) < 16 THEN p.t_inst_value "
           f"WHEN LENGTH({root}) >= 6 THEN {compact} "
           f"ELSE RPAD({root}, 6, ' ') || RIGHT({compact}, 15) END")
    st.keyed.append(
        f"CASE WHEN p.id_type = 'occ' THEN {occ} "
        "WHEN p.id_type = 'ticker_mic' AND p.t_inst_mic IS NOT NULL THEN p.t_inst_value || '.' || p.t_inst_mic "
        "ELSE p.t_inst_value END AS id_value"
    )
    _missing(st, "inst_value", "instrument", inst.column)
    if inst.type == "from_column":
        _missing(st, "inst_type", "instrument type", inst.type_column)
        expected = ", ".join(inst.type_codes)
        st.checks.append(("v.t_inst_type IS NOT NULL AND v.id_type IS NULL", cat(lit(f"unknown instrument type: {inst.type_column}='"), _shown("inst_type"), lit(f"' (expected {expected})"))))


def _parse_number(st: Stage, alias: str, scale: tuple[int, int]) -> None:
    """n_<alias>: the number at full width (NULL when no number); x_<alias>: at the canonical
    scale. Parsing twice is cheaper than rounding a 128-bit decimal down (DuckDB) and tells
    whether the text carried more decimals than the canonical scale keeps."""
    st.parsed.append(f"TRY_TO_NUMBER(s.t_{alias}, {_NUM[0]}, {_NUM[1]}) AS n_{alias}")
    st.parsed.append(f"TRY_TO_NUMBER(s.t_{alias}, {scale[0]}, {scale[1]}) AS x_{alias}")


def _number_checks(st: Stage, alias: str, column: str, scale: tuple[int, int]) -> None:
    """Non-empty text that is no number, or carries more decimals than the canonical scale."""
    st.checks.append(
        (
            f"v.t_{alias} IS NOT NULL AND v.n_{alias} IS NULL",
            cat(lit(f"bad number: {column}='"), _shown(alias), lit("'")),
        )
    )
    st.checks.append(
        (
            f"v.x_{alias} <> v.n_{alias}",
            cat(lit(f"too many decimals: {column}='"), _shown(alias), lit(f"' (at most {scale[1]})")),
        )
    )


def _quantity_and_side(st: Stage, spec: MappingSpec, text) -> None:
    q, side = spec.quantity, spec.side
    text("quantity", q.column)
    _parse_number(st, "quantity", QTY)
    _missing(st, "quantity", "quantity", q.column)
    _number_checks(st, "quantity", q.column, QTY)
    st.checks.append(("v.n_quantity = 0", cat(lit(f"bad quantity: {q.column}='"), _shown("quantity"), lit("' is zero"))))
    if not q.signed:
        st.checks.append(("v.n_quantity < 0", cat(lit(f"bad quantity: {q.column}='"), _shown("quantity"), lit("' is negative (the layout says unsigned)"))))
    text("side", side.column)
    text("side_qual", side.qualifier)
    qual = "CASE WHEN p.t_side_qual IS NULL THEN '' ELSE '|' || p.t_side_qual END"
    if side.from_quantity_sign:
        key = f"CASE WHEN p.n_quantity < 0 THEN '-' WHEN p.n_quantity > 0 THEN '+' END || {qual}"
        label = f"sign of {q.column}" + (f"|{side.qualifier}" if side.qualifier else "")
        guard = "v.n_quantity IS NOT NULL AND v.n_quantity <> 0 AND "
    else:
        key = f"p.t_side || {qual}" if side.qualifier else "p.t_side"
        label = side.column + (f"|{side.qualifier}" if side.qualifier else "")
        guard = "v.t_side IS NOT NULL AND "
        _missing(st, "side", "side", side.column)
    st.keyed.append(f"{key} AS side_key")
    st.keyed.append(f"{case_map(f'({key})', side.codes)} AS side")
    st.checks.append((f"{guard}v.side IS NULL", cat(lit(f"unknown side code: {label}='"), "COALESCE(v.side_key, '')", lit("'"))))


def _price(st: Stage, spec: MappingSpec, text) -> None:
    p = spec.price
    text("price", p.column)
    if p.scale is None:
        _parse_number(st, "price", PRICE)
    else:  # percent of par etc.: the exact product, then the canonical scale
        st.parsed.append(f"TRY_TO_NUMBER(s.t_price, {_NUM[0]}, {_NUM[1]}) AS n_price_text")
        exact = f"{decimal_cast('p.n_price_text', (38, 14))} * {decimal_lit(p.scale, (38, 6))}"
        st.keyed.append(f"{exact} AS n_price")
        st.keyed.append(f"{decimal_cast(exact, PRICE)} AS x_price")
        st.checks.append(
            (
                f"v.n_price_text <> {decimal_cast('v.n_price_text', (38, 14))}",
                cat(lit(f"too many decimals: {p.column}='"), _shown("price"), lit("' (at most 14 before scaling)")),
            )
        )
    _missing(st, "price", "price", p.column)
    _number_checks(st, "price", p.column, PRICE)


def _amounts(st: Stage, spec: MappingSpec, text) -> None:
    for name in _AMOUNTS:
        amount: AmountSpec | None = getattr(spec, name)
        if amount is None:
            st.parsed.append(f"{decimal_cast('NULL', MONEY)} AS x_{name}")
            continue
        parts = []
        for i, column in enumerate(amount.columns):
            alias = f"{name}_{i}"
            text(alias, column)
            _parse_number(st, alias, MONEY)
            _number_checks(st, alias, column, MONEY)
            parts.append(f"x_{alias}")
        default = decimal_lit(amount.default, MONEY) if amount.default is not None else decimal_cast("NULL", MONEY)
        any_given = " OR ".join(f"p.{x} IS NOT NULL" for x in parts)
        total = " + ".join(f"COALESCE(p.{x}, 0)" for x in parts)
        st.keyed.append(f"CASE WHEN {any_given} THEN {total} ELSE {default} END AS x_{name}")


def _currency(st: Stage, spec: MappingSpec, text) -> None:
    cur = spec.currency
    text("currency", cur.column)
    st.parsed.append(f"COALESCE(s.t_currency, {lit(cur.default)}) AS currency")
    if cur.column:
        st.checks.append(("v.currency IS NULL", lit(f"missing currency: {cur.column} is empty")))
        st.checks.append(("v.currency IS NOT NULL AND NOT REGEXP_LIKE(v.currency, '[A-Z]{3}')",
                          cat(lit(f"bad currency: {cur.column}='"), "v.currency", lit("' (expected a 3-letter ISO code)"))))


def _asset_class(st: Stage, spec: MappingSpec, text) -> None:
    ac = spec.asset_class
    text("asset_class", ac.column if ac else None)
    if ac is None:
        st.parsed.append("CAST(NULL AS VARCHAR) AS file_asset_class")
        return
    codes = ac.codes or {a: a for a in ASSET_CLASSES}
    st.parsed.append(f"{case_map('s.t_asset_class', codes)} AS file_asset_class")
    st.checks.append(("v.t_asset_class IS NOT NULL AND v.file_asset_class IS NULL",
                      cat(lit(f"unknown asset_class: {ac.column}='"), _shown("asset_class"), lit(f"' (expected {', '.join(codes)})"))))


def _date(st: Stage, name: str, spec: DateSpec | None, text) -> None:
    text(name, spec.column if spec else None)
    out = "ts_transact_time" if name == "transact_time" else f"d_{name}"
    if spec is None:
        st.parsed.append(f"CAST(NULL AS {'TIMESTAMP' if out.startswith('ts_') else 'DATE'}) AS {out}")
        return
    parse = f"TRY_TO_TIMESTAMP(s.t_{name}, {lit(strptime_to_snowflake(spec.format))})"
    st.parsed.append(f"{parse} AS {out}" if out.startswith("ts_") else f"CAST({parse} AS DATE) AS {out}")
    if name == "trade_date":
        _missing(st, name, name, spec.column)
    st.checks.append((f"v.t_{name} IS NOT NULL AND v.{out} IS NULL",
                      cat(lit(f"bad date: {spec.column}='"), _shown(name), lit(f"' (format {spec.format})"))))
