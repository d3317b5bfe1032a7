"""Compile a MappingSpec into set-based Snowflake-dialect statements over a file's raw rows:

1. executions_sql: parse and check every row once (the staged CTE); INSERT the rows whose reason
   is '' into `executions`. The rows come from `source`: the raw table (Snowflake), or on the
   embedded engine the file's Arrow table, so nothing is landed first.
2. keep_rejected_sql (when `source` is not the raw table): copy the rows that did not become
   canonical (an anti-join on executions by file + line) into raw_<name>.
   prune_raw_sql (when the rows were landed in raw_<name>): delete the canonical ones from it.
   Either way raw_<name> then holds exactly the file's rejected rows, every column as text.
3. rejects_sql: the same staged CTE over raw_<name> (only the rejected rows: few), INSERTing each
   with its reason and the row's text.
Every row of the file therefore lands in exactly one of executions / rejects; ingest_file checks
canonical + rejected = rows read.

Identifiers come only from validated names (raw columns are `f_<sanitized header>`); every
value from the YAML (codes, formats, filter values, defaults) is emitted as an escaped literal
by sqlglot, never pasted. The file key and broker are bound (:file, :broker).
"""

from __future__ import annotations

from dataclasses import dataclass

from recon.mapping.checks import Stage, build_stage
from recon.mapping.spec import MappingSpec
from recon.mapping.sql_text import decimal_cast, lit
from recon.model import EXECUTION_SCHEMA, MONEY, PRICE, QTY
from recon.sqlnames import check_identifier


def raw_table_name(spec: MappingSpec) -> str:
    return check_identifier(f"raw_{spec.name}")


@dataclass(frozen=True, slots=True)
class CompiledMapping:
    executions_sql: str
    keep_rejected_sql: str
    prune_raw_sql: str
    rejects_sql: str
    stage_sql: str  # the shared CTE text (WITH ... checked AS (...)), for inspection and tests


def compile_mapping(
    spec: MappingSpec,
    header: list[str],
    raw_columns: dict[str, str],
    source: str | None = None,
    uid_from_line: bool = False,
) -> CompiledMapping:
    """header: the file's columns in order; raw_columns: header name -> raw column name;
    source: the relation the executions pass reads (default: raw_<name>);
    uid_from_line: each row's uid is :uid_base + its line (a block of uids the caller reserved)
    instead of the table's default."""
    raw_table = raw_table_name(spec)
    stage = build_stage(spec, header, raw_columns, raw_table)
    cte = stage.cte(source)
    return CompiledMapping(
        executions_sql=_executions_insert(spec, stage, cte, uid_from_line),
        keep_rejected_sql=_keep_rejected(raw_table, [raw_columns[h] for h in header], source or raw_table),
        prune_raw_sql=(
            f"DELETE FROM {raw_table} AS r USING executions AS e\n"
            "WHERE r._file = :file AND e.file = :file AND e.line = r._line"
        ),
        rejects_sql=_rejects_insert(spec, stage.cte(with_raw=True)),
        stage_sql=cte,
    )


def _executions_insert(spec: MappingSpec, stage: Stage, cte: str, uid_from_line: bool) -> str:
    values = _canonical_values(spec, stage)
    missing = [n for n in EXECUTION_SCHEMA.names if n not in values]
    if missing:  # the canonical model grew a column this compiler does not fill yet
        raise AssertionError(f"compile_sql does not fill executions columns {missing}")
    names = EXECUTION_SCHEMA.names
    if uid_from_line:
        values["uid"] = "CAST(:uid_base AS BIGINT) + c._line"
        names = [*names, "uid"]
    select = ",\n    ".join(f"{values[n]} AS {n}" for n in names)
    return (
        f"INSERT INTO executions ({', '.join(names)})\n{cte}\n"
        f"SELECT\n    {select}\nFROM checked c\nWHERE c.reason = ''"
    )


def _keep_rejected(raw_table: str, columns: list[str], source: str) -> str:
    cols = [check_identifier(c) for c in columns]
    values = ", ".join(f"COALESCE(r.{c}, '')" for c in cols)  # '' as the landed text has it
    return (
        f"INSERT INTO {raw_table} (_file, _line, {', '.join(cols)})\n"
        f"SELECT r._file, r._line, {values}\nFROM {check_identifier(source)} r\n"
        "WHERE r._file = :file\n"
        "  AND NOT EXISTS (SELECT 1 FROM executions e WHERE e.file = :file AND e.line = r._line)"
    )


def _rejects_insert(spec: MappingSpec, cte: str) -> str:
    return (
        "INSERT INTO rejects (source, file, line, reason, record_id, raw)\n"
        f"{cte}\n"
        f"SELECT {lit(spec.source)}, c._file, c._line, c.reason, c.t_record_id, c._raw\n"
        "FROM checked c\nWHERE c.reason <> ''"
    )


def _canonical_values(spec: MappingSpec, stage: Stage) -> dict[str, str]:
    qty = decimal_cast("ABS(c.x_quantity)", QTY)
    price = decimal_cast("c.x_price", PRICE)
    multiplier = decimal_cast("COALESCE(c.x_multiplier, c.m_multiplier, 1)", QTY)
    # One rounding to money scale; a multiplier other than 1 keeps 12 decimals in between so the
    # product cannot overflow NUMBER(38, x). (Rounding a 128-bit decimal is the costly step.)
    product = f"{qty} * {price}"
    scaled = decimal_cast(f"{decimal_cast(product, (38, 12))} * {multiplier}", MONEY)
    gross = f"CASE WHEN {multiplier} = 1 THEN {decimal_cast(product, MONEY)} ELSE {scaled} END"
    if spec.price.scale is None:
        # Most rows: a whole quantity times a price with at most 6 decimals times a whole
        # multiplier (1, 100, 50...). That product is exact at money scale, so the 128-bit rounding
        # is skipped; the guard (each factor equal to its full-width parse) sends every other row
        # down the exact path above. NUMBER(38, 0) keeps the product 128-bit (no 64-bit overflow).
        whole, px6 = "TRY_TO_NUMBER(c.t_quantity, 38, 0)", "TRY_TO_NUMBER(c.t_price, 18, 6)"
        whole_multiplier = ("CASE WHEN c.x_multiplier IS NOT NULL THEN NULL WHEN c.m_multiplier IS NULL THEN 1 "
                            "ELSE c.m_whole_multiplier END")
        fast = decimal_cast(f"ABS({whole}) * {px6} * {whole_multiplier}", MONEY)
        gross = (f"CASE WHEN {whole} = c.n_quantity AND {px6} = c.n_price AND {whole_multiplier} IS NOT NULL "
                 f"THEN {fast} ELSE {gross} END")
    id_types = {"isin": "isin", "cusip": "cusip", "sedol": "sedol"}
    ids = {
        name: f"COALESCE(c.m_{name}, CASE WHEN c.id_type = {lit(t)} THEN c.id_value END)"
        for name, t in id_types.items()
    }
    return {
        "source": lit(spec.source),
        "record_id": "c.t_record_id",
        "account": "c.t_account",
        "instrument_id": "c.instrument_id",
        "asset_class": "c.asset_class",
        "side": "c.side",
        "quantity": qty,
        "price": price,
        "trade_date": "c.d_trade_date",
        "broker": "c.broker",
        "record_kind": "c.record_kind",
        "symbol": "COALESCE(c.t_symbol, c.m_symbol, CASE WHEN c.id_type IN ('ticker', 'ticker_mic') "
        "THEN c.t_inst_value END)",
        "mic": "COALESCE(c.t_inst_mic, c.m_mic)",
        **ids,
        "multiplier": multiplier,
        "gross": gross,
        "commission": decimal_cast("COALESCE(c.x_commission, 0)", MONEY),
        "fees": decimal_cast("COALESCE(c.x_fees, 0)", MONEY),
        "net": decimal_cast("c.x_net", MONEY),
        "accrued": decimal_cast("c.x_accrued", MONEY),
        "currency": "c.currency",
        "settle_date": "c.d_settle_date",
        "transact_time": "c.ts_transact_time",
        "order_id": "c.t_order_id",
        "group_id": "c.t_group_id",
        "exec_type": "CAST(NULL AS VARCHAR)",
        "ref_id": "CAST(NULL AS VARCHAR)",
        "version": "1",
        "file": "c._file",
        "line": "c._line",
    }
