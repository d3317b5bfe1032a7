"""Shared fixtures for the whole suite. Keep this small: area fixtures live in each test folder."""

from __future__ import annotations

import os
import tempfile

import pytest


@pytest.fixture(scope="session")
def prefect_harness():
    """One Prefect test server for the session (startup ~18 s); PREFECT_HOME in a temp dir."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    home = tempfile.mkdtemp(prefix="prefect-home-")
    os.environ["PREFECT_HOME"] = home
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def fakesnow_server():
    """One fakesnow server (server mode) for the session; the real Snowflake connector talks HTTP to it.

    Start it only here: importing the `fakesnow.server` module replaces the `fakesnow.server()`
    function on the package, so a second caller would get the module instead.
    """
    import fakesnow

    with fakesnow.server() as kwargs:
        yield kwargs


@pytest.fixture()
def snowflake_warehouse(fakesnow_server):
    """Factory: make_warehouse(database) -> Warehouse(engine=snowflake) through prefect-snowflake's
    SnowflakeConnector, on its own database of the session's fakesnow server."""
    from prefect_snowflake import SnowflakeConnector, SnowflakeCredentials

    from blocks.warehouse import Warehouse

    kw, made = fakesnow_server, []

    def make(database: str):
        db = "".join(c if c.isalnum() else "_" for c in database.upper())[:60]
        creds = SnowflakeCredentials(account=kw["account"], user=kw["user"], password=kw["password"])
        connector = SnowflakeConnector(credentials=creds, database=db, schema="PUBLIC", warehouse="RECON_WH")
        wh = Warehouse(
            engine="snowflake",
            snowflake_connect_kwargs={"host": kw["host"], "port": kw["port"], "protocol": "http",
                                      "session_parameters": kw["session_parameters"], "network_timeout": 10},
        ).use_snowflake_connector(connector)
        cur = wh.connection().cursor()
        for stmt in (f"CREATE DATABASE IF NOT EXISTS {db}", f"USE DATABASE {db}",
                     "CREATE SCHEMA IF NOT EXISTS PUBLIC", "USE SCHEMA PUBLIC"):
            cur.execute(stmt)
        made.append(wh)
        return wh

    yield make
    for wh in made:
        wh.close()
