"""Fixtures for matching tests: a DuckDB warehouse and a Snowflake one on the session's fakesnow server."""

from __future__ import annotations

import pytest

from blocks.warehouse import Warehouse
from tests.matching.builders import create_executions_table


@pytest.fixture()
def snowflake_wh(snowflake_warehouse, request):
    """A Warehouse with engine=snowflake through prefect-snowflake's SnowflakeConnector."""
    return snowflake_warehouse(f"RECON_{request.node.name[:40]}")


@pytest.fixture()
def duck_wh(tmp_path):
    wh = Warehouse(duckdb_path=str(tmp_path / "wh.duckdb"))
    yield wh
    wh.close()


@pytest.fixture()
def wh(duck_wh):
    """duck_wh with the canonical tables and an empty executions table."""
    create_executions_table(duck_wh)
    return duck_wh
