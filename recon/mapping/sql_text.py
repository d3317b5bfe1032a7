"""Small builders for SQL text: every value becomes an escaped literal (via sqlglot), every
identifier is validated first. Nothing from a mapping file or a data file is pasted raw."""

from __future__ import annotations

from decimal import Decimal

from sqlglot import exp

from recon.sqlnames import check_identifier


def lit(value: str | Decimal | int | None) -> str:
    """A Snowflake string literal (quotes and backslashes escaped) or NULL."""
    if value is None:
        return "CAST(NULL AS VARCHAR)"
    return exp.Literal.string(str(value)).sql(dialect="snowflake")


def lit_list(values) -> str:
    return ", ".join(lit(v) for v in values)


def ident(name: str) -> str:
    return check_identifier(name)


def decimal_cast(expr: str, p: tuple[int, int]) -> str:
    return f"CAST({expr} AS NUMBER({p[0]}, {p[1]}))"


def decimal_lit(value: Decimal, p: tuple[int, int]) -> str:
    return decimal_cast(lit(value), p)


def cat(*parts: str) -> str:
    """Concatenate SQL expressions (each must be non-NULL: Snowflake's || yields NULL otherwise)."""
    return " || ".join(parts)


def case_map(expr: str, codes: dict[str, str]) -> str:
    """CASE expr WHEN 'code' THEN 'value' ... END (NULL when the code is unknown)."""
    whens = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in codes.items())
    return f"CASE {expr} {whens} END"
