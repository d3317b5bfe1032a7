"""Fixtures for matching tests: a DuckDB warehouse and a Snowflake one on a fakesnow server."""

from __future__ import annotations

import pytest

from blocks.warehouse import Warehouse


@pytest.fixture(scope="session")
def fakesnow_server():
    """fakesnow in server mode: the real snowflake connector talks HTTP to it."""
    import fakesnow

    with fakesnow.server() as kwargs:
        yield kwargs


@pytest.fixture()
def snowflake_wh(fakesnow_server, request):
    """A Warehouse with engine=snowflake through prefect-snowflake's SnowflakeConnector."""
    from prefect_snowflake import SnowflakeConnector, SnowflakeCredentials

    kw = fakesnow_server
    db = f"RECON_{request.node.name.upper()[:40]}".replace("[", "_").replace("]", "_").replace("-", "_")
    creds = SnowflakeCredentials(account=kw["account"], user=kw["user"], password=kw["password"])
    connector = SnowflakeConnector(credentials=creds, database=db, schema="PUBLIC", warehouse="RECON_WH")
    wh = Warehouse(
        engine="snowflake",
        snowflake_connect_kwargs={
            "host": kw["host"],
            "port": kw["port"],
            "protocol": "http",
            "session_parameters": kw["session_parameters"],
            "network_timeout": 10,
        },
    ).use_snowflake_connector(connector)
    cur = wh.connection().cursor()
    for stmt in (f"CREATE DATABASE IF NOT EXISTS {db}", f"USE DATABASE {db}", "CREATE SCHEMA IF NOT EXISTS PUBLIC", "USE SCHEMA PUBLIC"):
        cur.execute(stmt)
    yield wh
    wh.close()


@pytest.fixture()
def duck_wh(tmp_path):
    wh = Warehouse(duckdb_path=str(tmp_path / "wh.duckdb"))
    yield wh
    wh.close()
