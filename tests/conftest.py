"""Shared fixtures for the whole suite. Keep this small: area fixtures live in each test folder."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# Tests whose outcome depends on business time: the incident outbox's schedules and retries, the
# break lifecycle and store (first/last seen, aging), T+1 triage, stream windows and the model
# registry. They are marked `clock`, and .ci/run repeats them with the system clock moved a year on.
CLOCK_SENSITIVE = (
    "servicenow/",
    "matching/test_break_store.py",
    "matching/test_money_in_usd.py",
    "anomaly/test_anomaly_registry.py",
    "anomaly/test_anomaly_train_flow.py",
    "streaming/",
    "flows/test_daily_flow.py",
    "flows/test_daily_incidents.py",
    "test_clock.py",
)


def pytest_addoption(parser):
    parser.addoption(
        "--clock-shift", metavar="YYYY-MM-DD", default=None,
        help="Move the system clock (time-machine, ticking) to this date for the whole session: "
             ".ci/run repeats the tests marked `clock` this way, so none depends on today's date.",
    )


def pytest_configure(config):
    shift = config.getoption("--clock-shift")
    if shift:
        import time_machine

        config._clock_travel = time_machine.travel(f"{shift}T15:00:00+00:00", tick=True)
        config._clock_travel.start()


def pytest_collection_modifyitems(config, items):
    root = Path(__file__).parent
    for item in items:
        if item.path.relative_to(root).as_posix().startswith(CLOCK_SENSITIVE):
            item.add_marker(pytest.mark.clock)


def pytest_unconfigure(config):
    travel = getattr(config, "_clock_travel", None)
    if travel is not None:
        travel.stop()


@pytest.fixture
def pin_clock():
    """pin_clock(at): stop recon.clock at `at` for the rest of the test (setup calls included)."""
    from contextlib import ExitStack

    from recon import clock

    with ExitStack() as stack:
        yield lambda at: stack.enter_context(clock.pinned(at))


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
def kinesalite(tmp_path_factory):
    """One kinesalite server (Kinesis wire protocol, npm) on 127.0.0.1 for the session; tests make
    their own streams (uniquely named) on it."""
    from tests.support.kinesalite import Kinesalite

    server = Kinesalite(tmp_path_factory.mktemp("kinesalite")).start()
    for key, value in server.aws_env().items():
        os.environ.setdefault(key, value)
    yield server
    server.stop()


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
