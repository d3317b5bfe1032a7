"""SQL lives in sql/: every named statement parses as Snowflake SQL and transpiles for DuckDB, every
statement the steps name exists, and no step carries a SQL statement of its own."""

from __future__ import annotations

import ast
import re

import pytest
import sqlglot

from blocks.warehouse import SqlStatements, expand_list_binds, named_statements, to_duckdb, to_snowflake
from recon.paths import PROJECT_ROOT, SQL_DIR

NAMED_FILES = sorted(p.name for p in SQL_DIR.glob("*.sql") if "-- name:" in p.read_text())
# Steps that still hold SQL of their own, owned elsewhere (the landing path).
NOT_YET = {"ingest.py"}
_SQL_START = re.compile(
    r"^\s*(SELECT\b.*\bFROM\b|INSERT INTO|UPDATE \w+ SET|DELETE FROM|MERGE INTO|CREATE (OR REPLACE )?(TEMP )?"
    r"(TABLE|VIEW|SEQUENCE)|ALTER TABLE|DROP |WITH \w+ AS|BEGIN|COMMIT|ROLLBACK)", re.S
)


@pytest.mark.parametrize("file", NAMED_FILES)
def test_every_named_statement_parses_and_transpiles(file):
    statements = named_statements(file)
    assert statements
    for name, text in statements.items():
        assert all(sqlglot.parse(text, read="snowflake")), (file, name)
        assert to_duckdb(text) and to_snowflake(text), (file, name)


def _statement_uses():
    """(module, SqlStatements file, attribute) for every `X.attr` where X = SqlStatements("file")."""
    for path in sorted((PROJECT_ROOT / "tasks").glob("*.py")):
        tree = ast.parse(path.read_text())
        files = {}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
                    and getattr(node.value.func, "id", None) == "SqlStatements"):  # fmt: skip
                files[node.targets[0].id] = node.value.args[0].value
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in files:
                if node.attr != "names":
                    yield path.name, files[node.value.id], node.attr


def test_every_statement_a_step_names_exists():
    uses = list(_statement_uses())
    assert len(uses) > 80  # the steps really read their SQL from sql/
    missing = [u for u in uses if u[2] not in named_statements(u[1])]
    assert not missing


def test_steps_hold_no_sql_of_their_own():
    found = []
    for path in sorted((PROJECT_ROOT / "tasks").glob("*.py")):
        if path.name in NOT_YET:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and _SQL_START.match(node.value):
                found.append((path.name, node.lineno, node.value[:60]))
            if isinstance(node, ast.JoinedStr):
                head = next((v.value for v in node.values if isinstance(v, ast.Constant)), "")
                if _SQL_START.match(head):
                    found.append((path.name, node.lineno, head[:60]))
    assert not found


def test_a_missing_statement_names_its_file():
    with pytest.raises(AttributeError, match=r"sql/63_match_counts.sql has no statement named 'nope'"):
        _ = SqlStatements("63_match_counts.sql").nope


def test_list_binds_expand_one_bind_per_item_and_refuse_empty_lists():
    sql, params = expand_list_binds("DELETE FROM t WHERE id IN (:ids) AND x = :x", {"ids": ["a", "b"], "x": 1})
    assert sql == "DELETE FROM t WHERE id IN (:ids__0, :ids__1) AND x = :x"
    assert params == {"ids__0": "a", "ids__1": "b", "x": 1}
    assert to_snowflake(sql) == ["DELETE FROM t WHERE id IN (%(ids__0)s, %(ids__1)s) AND x = %(x)s"]
    with pytest.raises(ValueError, match="empty list"):
        expand_list_binds("SELECT 1 WHERE id IN (:ids)", {"ids": []})
