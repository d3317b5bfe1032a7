"""The warehouse block's DuckDB-only rewrites give the results Snowflake's semantics ask for."""

from __future__ import annotations

from datetime import date

import pytest

from blocks.warehouse import literal_binds, to_duckdb


def _rows(duck_wh, sql: str) -> list[dict]:
    return duck_wh.fetch_rows(sql)


def test_autoincrement_is_a_sequence_every_writer_gets_a_uid_from(duck_wh):
    duck_wh.execute("CREATE TABLE t_auto (v VARCHAR, uid BIGINT AUTOINCREMENT)")
    duck_wh.execute("INSERT INTO t_auto (v) SELECT 'a' || i FROM range(1000) r(i)")
    duck_wh.execute("INSERT INTO t_auto (v) VALUES ('late')")
    rows = _rows(duck_wh, "SELECT COUNT(DISTINCT uid) AS n, COUNT(uid) AS given FROM t_auto")
    assert rows == [{"n": 1001, "given": 1001}]


def test_adding_an_autoincrement_column_numbers_the_rows_already_there(duck_wh):
    duck_wh.execute("CREATE TABLE t_old (v VARCHAR)")
    duck_wh.execute("INSERT INTO t_old SELECT 'a' || i FROM range(50) r(i)")
    duck_wh.execute("ALTER TABLE t_old ADD COLUMN uid BIGINT AUTOINCREMENT")
    duck_wh.execute("INSERT INTO t_old (v) VALUES ('new')")
    assert _rows(duck_wh, "SELECT COUNT(DISTINCT uid) AS n, COUNT(uid) AS given FROM t_old") == [{"n": 51, "given": 51}]


def test_literal_binds_write_dates_and_names_in_quoted():
    sql = literal_binds("SELECT 1 FROM t WHERE d = :day AND s IN ('internal', :src)",
                        {"day": date(2026, 11, 27), "src": "it's"})
    assert "CAST('2026-11-27' AS DATE)" in sql and ":day" not in sql and ":src" not in sql
    [duck] = to_duckdb(sql)
    assert "'it''s'" in duck  # one string literal, not a way out of it
    with pytest.raises(TypeError, match="no literal form"):
        literal_binds("SELECT :n", {"n": 1.5})


def test_a_real_window_order_is_kept(duck_wh):
    [stmt] = to_duckdb("SELECT ROW_NUMBER() OVER (PARTITION BY g ORDER BY v DESC) AS n FROM t")
    assert "ORDER BY v DESC" in stmt


def test_listagg_ordered_by_its_value_is_sorted_and_skips_nulls(duck_wh):
    sql = """
        SELECT g,
               LISTAGG(CASE WHEN keep THEN v END, ';') WITHIN GROUP (ORDER BY CASE WHEN keep THEN v END) AS ids
        FROM (VALUES (1, 'c', TRUE), (1, 'a', TRUE), (1, 'b', FALSE), (1, 'b2', TRUE),
                     (2, 'z', FALSE)) AS t(g, v, keep)
        GROUP BY g ORDER BY g
    """
    assert "LIST_SORT" in to_duckdb(sql)[0]
    assert _rows(duck_wh, sql) == [{"g": 1, "ids": "a;b2;c"}, {"g": 2, "ids": None}]


def test_listagg_ordered_by_another_column_is_left_alone(duck_wh):
    sql = """
        SELECT LISTAGG(v, ',') WITHIN GROUP (ORDER BY k) AS ids
        FROM (VALUES ('x', 3), ('y', 1), ('z', 2)) AS t(v, k)
    """
    assert "LIST_SORT" not in to_duckdb(sql)[0]
    assert _rows(duck_wh, sql) == [{"ids": "y,z,x"}]
