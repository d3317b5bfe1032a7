"""Fixtures for the KinesisStream block tests (the session's kinesalite server is in tests/conftest.py)."""

from __future__ import annotations

import logging

import pytest


@pytest.fixture(autouse=True)
def _recon_home(tmp_path, monkeypatch):
    monkeypatch.setenv("RECON_HOME", str(tmp_path / "recon_home"))
    logging.getLogger("recon").setLevel(logging.INFO)


@pytest.fixture(params=["duckdb", "snowflake"])
def any_warehouse(request, tmp_path):
    from blocks.warehouse import Warehouse

    if request.param == "duckdb":
        wh = Warehouse(duckdb_path=str(tmp_path / "wh.duckdb"))
    else:
        wh = request.getfixturevalue("snowflake_warehouse")("RECON_STREAM")
    yield wh
    wh.close()
