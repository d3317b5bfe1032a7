"""Fixtures for the streaming reconciliation tests: a generated day, a fresh RECON_HOME (the
session's kinesalite server is in tests/conftest.py)."""

from __future__ import annotations

import pytest


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
