"""The compiled Snowflake SQL through the real snowflake connector (fakesnow server): the same files
give the same canonical rows, rejects and totals as the embedded DuckDB warehouse."""

from __future__ import annotations

import pytest
from test_mapping_layouts import CR_HEADER, CR_ROWS, MR_HEADER, MR_ROWS

from tasks.ingest import ingest_file

pytestmark = pytest.mark.filterwarnings("ignore:Arrow output on a DB-API result:UserWarning")

_CASES = [
    ("castlerock", "cr.psv", CR_HEADER + "\n".join(CR_ROWS) + "\nTRL|11\n"),
    ("meridian", "mr.csv", MR_HEADER + "\n".join(MR_ROWS) + "\n"),
]


def _rows(wh, table: str, columns: str, file: str) -> list[tuple]:
    rows = wh.fetch_rows(f"SELECT {columns} FROM {table} WHERE file = :file", {"file": file})
    return sorted(tuple(str(v) for v in r.values()) for r in rows)


@pytest.mark.slow
@pytest.mark.parametrize(("mapping", "name", "text"), _CASES, ids=[c[0] for c in _CASES])
def test_same_result_on_duckdb_and_snowflake_connector(wh, snowflake_wh, write, mapping, name, text):
    path = write(name, text)
    duck = ingest_file(wh, path, mapping)
    snow = ingest_file(snowflake_wh, path, mapping)
    assert snow == duck
    key = duck["file_id"]
    # fakesnow returns a NULL TIMESTAMP as 1970-01-01 through the connector: compare nullness and value
    cols = ("record_id, account, instrument_id, asset_class, side, quantity, price, gross, commission, fees, "
            "net, accrued, currency, trade_date, settle_date, transact_time IS NULL AS no_time, "
            "COALESCE(TO_CHAR(transact_time, 'YYYY-MM-DD HH24:MI:SS'), '') AS time_text, broker, record_kind, line")
    assert _rows(snowflake_wh, "executions", cols, key) == _rows(wh, "executions", cols, key)
    reject_cols = "line, reason, record_id, raw"
    assert _rows(snowflake_wh, "rejects", reject_cols, key) == _rows(wh, "rejects", reject_cols, key)
    assert ingest_file(snowflake_wh, path, mapping) == duck  # idempotent there too
