"""The warehouse block's DuckDB-only rewrites give the results Snowflake's semantics ask for."""

from __future__ import annotations

from blocks.warehouse import to_duckdb


def _rows(duck_wh, sql: str) -> list[dict]:
    return duck_wh.fetch_rows(sql)


def test_row_number_order_by_null_numbers_every_row_once(duck_wh):
    [stmt] = to_duckdb("SELECT ROW_NUMBER() OVER (ORDER BY NULL) AS n FROM range(1000)")
    assert "ORDER BY" not in stmt.upper()
    rows = _rows(duck_wh, "SELECT ROW_NUMBER() OVER (ORDER BY NULL) AS n FROM range(1000)")
    assert sorted(r["n"] for r in rows) == list(range(1, 1001))


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
