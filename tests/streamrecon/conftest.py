"""Fixtures for the streaming reconciliation tests: a generated day and a kinesalite server."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "stream"))
from stream_kinesalite import Kinesalite  # noqa: E402


@pytest.fixture(scope="session")
def recon_kinesalite(tmp_path_factory):
    server = Kinesalite(tmp_path_factory.mktemp("kinesalite-recon")).start()
    for key, value in server.aws_env().items():
        os.environ.setdefault(key, value)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def stream_day(tmp_path_factory):
    """A small generated day (SOH-delimited drop copies, as the gateway publishes them)."""
    from streamrecon_helpers import D

    from recon.generator import DayConfig, generate_day

    out = tmp_path_factory.mktemp("stream-day") / "day"
    generate_day(DayConfig(trade_date=D, trades=250, seed=5, soh=True), out)
    return out


@pytest.fixture()
def home(tmp_path, monkeypatch):
    """A fresh RECON_HOME (and so a fresh embedded warehouse) per test."""
    from blocks.warehouse import reset_warehouses
    from tasks.stream import forget_books

    monkeypatch.setenv("RECON_HOME", str(tmp_path / "home"))
    reset_warehouses()
    forget_books()
    yield tmp_path / "home"
    reset_warehouses()
    forget_books()
