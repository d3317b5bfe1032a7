"""Operations' ad-hoc rerun: through the Prefect `adhoc` deployment (served by another process,
started with `recon rerun`) and through a local Step Functions execution of the compiled flow.
Both give the same breaks as the first run; nothing is duplicated."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from datetime import date

import pytest
from typer.testing import CliRunner

from blocks.warehouse import get_warehouse, reset_warehouses
from recon.generator import DayConfig, generate_day
from tests.support.servers import wait_until

pytestmark = pytest.mark.slow
D = date(2026, 11, 23)


def break_ids(path) -> set[str]:
    with open(path / "breaks.csv") as fh:
        return {r["break_id"] for r in csv.DictReader(fh)}


@pytest.fixture()
def landing(tmp_path, monkeypatch):
    root = tmp_path / "landing"
    generate_day(DayConfig(trade_date=D, trades=400, seed=9), root / D.isoformat())
    monkeypatch.setenv("RECON_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("RECON_LANDING_ROOT", str(root))
    reset_warehouses()
    yield tmp_path
    reset_warehouses()


def serve_adhoc(tmp_path):
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "PREFECT_HOME": str(tmp_path / "serve-home"),
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    code = "from prefect import serve; from cli.deployments import runner_deployments; serve(*runner_deployments(['adhoc']))"
    return subprocess.Popen([sys.executable, "-c", code], env=env, cwd=os.getcwd())


def wait_for_deployment(name: str, timeout: float = 120) -> None:
    from prefect.client.orchestration import get_client

    def served() -> bool:
        try:
            client.read_deployment_by_name(name)
            return True
        except Exception:
            return False

    with get_client(sync_client=True) as client:
        wait_until(served, timeout, f"deployment {name} to be served", interval=1)


def test_adhoc_rerun_prefect_and_step_functions_give_the_same_breaks(prefect_harness, landing):
    from asl_export.local import run_local
    from cli import app
    from flows.daily import daily_reconciliation

    first = daily_reconciliation(D, out_dir=str(landing / "first"), run_id="first")
    assert first["breaks"] > 0
    expected = break_ids(landing / "first")
    reset_warehouses()  # the serving process needs the DuckDB file

    server = serve_adhoc(landing)
    try:
        wait_for_deployment("daily-reconciliation/adhoc")
        result = CliRunner().invoke(
            app, ["rerun", "--date", D.isoformat(), "--target", "prefect", "--out", str(landing / "second")]
        )
        assert result.exit_code == 0, result.output
        assert "Completed" in result.output
    finally:
        server.terminate()
        server.wait(timeout=60)
    assert break_ids(landing / "second") == expected

    third = run_local(daily_reconciliation, {"trade_date": D.isoformat(), "out_dir": str(landing / "third"),
                                             "run_id": "third"})
    assert third["breaks"] == first["breaks"]
    assert break_ids(landing / "third") == expected
    wh = get_warehouse()
    assert wh.scalar("SELECT COUNT(*) FROM breaks") == wh.scalar("SELECT COUNT(DISTINCT break_id) FROM breaks")
    # one outbox row per (break, change): reruns queued nothing new for unchanged breaks
    assert wh.scalar("SELECT COUNT(*) FROM incident_outbox") == wh.scalar(
        "SELECT COUNT(*) FROM breaks WHERE status <> 'closed'")
