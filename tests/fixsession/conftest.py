"""Fixtures for the FIX drop-copy session tests: a real QuickFIX acceptor playing the prime broker
(the session's kinesalite server is in tests/conftest.py)."""

from __future__ import annotations

import logging

import pytest

from tests.support.quickfix_acceptor import AcceptorProcess


@pytest.fixture(autouse=True)
def _recon_home(tmp_path, monkeypatch):
    monkeypatch.setenv("RECON_HOME", str(tmp_path / "recon_home"))
    logging.getLogger("recon").setLevel(logging.INFO)


@pytest.fixture
def acceptor(tmp_path):
    acc = AcceptorProcess(tmp_path / "quickfix")
    yield acc
    acc.stop()
