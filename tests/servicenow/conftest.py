"""Fixtures for the ServiceNow tests: the Table API emulator on 127.0.0.1 and a DuckDB break store."""

from __future__ import annotations

import logging

import pytest

from blocks.servicenow import ServiceNow
from blocks.warehouse import Warehouse
from tests.servicenow.sn_builders import T0
from tests.support.servicenow_emulator import ServiceNowEmulator

INTEGRATION_USER, INTEGRATION_PASSWORD = "recon.integration", "Pw-9f3!kq2#ZxL"
CLIENT_ID, CLIENT_SECRET = "3f1c0a9e7d2b4c6e8a0b1d2f3e4c5a6b", "cs-Q8v#2mT!pL0r"
ANALYSTS = {"jane.analyst": "Jane Analyst", "omar.analyst": "Omar Analyst"}
GROUPS = ["Trade Support", "Equity Trade Support", "Derivatives Ops", "Fixed Income Ops"]


@pytest.fixture(autouse=True)
def _recon_home(tmp_path, monkeypatch, pin_clock):
    monkeypatch.setenv("RECON_HOME", str(tmp_path / "recon_home"))
    logging.getLogger("recon").setLevel(logging.INFO)
    pin_clock(T0)  # every call a test makes, setup included, sees the same business time


@pytest.fixture
def emulator():
    em = ServiceNowEmulator().start()
    em.add_user(INTEGRATION_USER, INTEGRATION_PASSWORD, "Recon Integration")
    for user, name in ANALYSTS.items():
        em.add_user(user, f"{user}-pw", name)
    for group in GROUPS:
        em.add_group(group)
    em.add_oauth_client(CLIENT_ID, CLIENT_SECRET, acts_as=INTEGRATION_USER)
    yield em
    em.stop()


class SleepLog(list):
    """Stands in for time.sleep inside the block: records the waits instead of spending them."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> SleepLog:
    return SleepLog()


@pytest.fixture
def servicenow(emulator, sleeps) -> ServiceNow:
    block = ServiceNow(
        instance_url=emulator.url, auth="basic", username=INTEGRATION_USER, password=INTEGRATION_PASSWORD,
        assignment_rules=[
            {"asset_class": "option", "group": "Derivatives Ops"},
            {"asset_class": "future", "group": "Derivatives Ops"},
            {"asset_class": "bond", "group": "Fixed Income Ops"},
            {"asset_class": "equity", "broker": "northbridge", "group": "Equity Trade Support"},
        ],
        timeout_seconds=2.0, max_retries=4, backoff_seconds=0.05, max_backoff_seconds=2.0,
    )  # fmt: skip
    block._sleep = sleeps
    yield block
    block.close()


@pytest.fixture
def wh(tmp_path):
    w = Warehouse(duckdb_path=str(tmp_path / "wh.duckdb"))
    w.run_file("20_break_store.sql")
    yield w
    w.close()
