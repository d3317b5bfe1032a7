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


@pytest.fixture(params=["duckdb", "snowflake"])
def any_warehouse(request, tmp_path):
    from blocks.warehouse import Warehouse

    if request.param == "duckdb":
        wh = Warehouse(duckdb_path=str(tmp_path / "wh.duckdb"))
    else:
        wh = request.getfixturevalue("snowflake_warehouse")("RECON_STREAM")
    yield wh
    wh.close()
