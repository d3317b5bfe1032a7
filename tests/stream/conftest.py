"""Fixtures for the stream tests: a QuickFIX acceptor and a kinesalite server on 127.0.0.1."""

from __future__ import annotations

import logging
import os

import pytest
from stream_fix_acceptor import AcceptorProcess
from stream_kinesalite import Kinesalite


@pytest.fixture(autouse=True)
def _recon_home(tmp_path, monkeypatch):
    monkeypatch.setenv("RECON_HOME", str(tmp_path / "recon_home"))
    logging.getLogger("recon").setLevel(logging.INFO)


@pytest.fixture
def acceptor(tmp_path):
    acc = AcceptorProcess(tmp_path / "quickfix")
    yield acc
    acc.stop()


@pytest.fixture(scope="session")
def kinesalite(tmp_path_factory):
    server = Kinesalite(tmp_path_factory.mktemp("kinesalite")).start()
    for key, value in server.aws_env().items():
        os.environ.setdefault(key, value)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def stream_fakesnow():
    """fakesnow in server mode, for checkpoints on the Snowflake engine."""
    import fakesnow

    with fakesnow.server() as kwargs:
        yield kwargs


@pytest.fixture(params=["duckdb", "snowflake"])
def any_warehouse(request, tmp_path):
    from blocks.warehouse import Warehouse

    if request.param == "duckdb":
        wh = Warehouse(duckdb_path=str(tmp_path / "wh.duckdb"))
    else:
        from prefect_snowflake import SnowflakeConnector, SnowflakeCredentials

        kw = request.getfixturevalue("stream_fakesnow")
        creds = SnowflakeCredentials(account=kw["account"], user=kw["user"], password=kw["password"])
        connector = SnowflakeConnector(credentials=creds, database="RECON_STREAM", schema="PUBLIC", warehouse="WH")
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
        for stmt in ("CREATE DATABASE IF NOT EXISTS RECON_STREAM", "USE DATABASE RECON_STREAM",
                     "CREATE SCHEMA IF NOT EXISTS PUBLIC", "USE SCHEMA PUBLIC"):
            cur.execute(stmt)
    yield wh
    wh.close()
