"""Compile a MappingSpec into two set-based Snowflake-dialect statements over the raw table:
one INSERTs the canonical rows into `executions`, the other INSERTs every other raw row into
`rejects` with a precise reason. Both share the same staged CTE, so each raw row of the file
lands in exactly one of the two (the reason is '' for a canonical row). The rejects statement
runs second and stages only the rows the first did not make canonical (an anti-join), so the
expensive parsing runs once per row; ingest_file checks canonical + rejected = rows read.

Identifiers come only from validated names (raw columns are `f_<sanitized header>`); every
value from the YAML (codes, formats, filter values, defaults) is emitted as an escaped literal
by sqlglot, never pasted. The file key and broker are bound (:file, :broker).
"""

from __future__ import annotations

from dataclasses import dataclass

from blocks.warehouse import check_identifier
from recon.mapping.checks import Stage, build_stage
from recon.mapping.spec import MappingSpec
from recon.mapping.sql_text import decimal_cast, lit
from recon.model import EXECUTION_SCHEMA, MONEY, PRICE, QTY


def raw_table_name(spec: MappingSpec) -> str:
    return check_identifier(f"raw_{spec.name}")


@dataclass(frozen=True, slots=True)
class CompiledMapping:
    executions_sql: str
    rejects_sql: str
    stage_sql: str  # the shared CTE text (WITH ... checked AS (...)), for inspection and tests


def compile_mapping(spec: MappingSpec, header: list[str], raw_columns: dict[str, str]) -> CompiledMapping:
    """header: the file's columns in order; raw_columns: header name -> raw table column."""
    stage = build_stage(spec, header, raw_columns, raw_table_name(spec))
    cte = stage.cte()
    return CompiledMapping(
        executions_sql=_executions_insert(spec, stage, cte),
        rejects_sql=_rejects_insert(spec, stage, stage.cte(only_non_canonical=True)),
        stage_sql=cte,
    )


def _executions_insert(spec: MappingSpec, stage: Stage, cte: str) -> str:
    values = _canonical_values(spec, stage)
    missing = [n for n in EXECUTION_SCHEMA.names if n not in values]
    if missing:  # the canonical model grew a column this compiler does not fill yet
        raise AssertionError(f"compile_sql does not fill executions columns {missing}")
    names = EXECUTION_SCHEMA.names
    select = ",\n    ".join(f"{values[n]} AS {n}" for n in names)
    return (
        f"INSERT INTO executions ({', '.join(names)})\n{cte}\n"
        f"SELECT\n    {select}\nFROM checked c\nWHERE c.reason = ''"
    )


def _rejects_insert(spec: MappingSpec, stage: Stage, cte: str) -> str:
    # The raw text is rebuilt only for rejected rows: a join back to the raw row by (file, line).
    return (
        "INSERT INTO rejects (source, file, line, reason, record_id, raw)\n"
        f"{cte}\n"
        f"SELECT {lit(spec.source)}, c._file, c._line, c.reason, c.t_record_id, {stage.raw_text}\n"
        f"FROM checked c\nJOIN {stage.raw_table} r ON r._file = c._file AND r._line = c._line\n"
        "WHERE c.reason <> ''"
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
