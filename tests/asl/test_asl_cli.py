"""`recon asl` in a separate process against a moto server whose Lambda runs our runtime:
build (artifacts + validators + cfn-lint), deploy (version + alias), start (validated), status,
redrive, run-local --compare."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.servers import free_port

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
RECON = str(Path(sys.executable).parent / "recon")


@pytest.fixture(scope="module")
def server():
    from asl_export.local import LocalStepFunctions

    port = free_port()
    with LocalStepFunctions(sleep=lambda s: None, server_port=port) as sfn:
        yield sfn, f"http://127.0.0.1:{port}"


def recon(*args: str, endpoint: str | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": "us-east-1", "COLUMNS": "200", "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    if endpoint:
        env["ASL_SFN_ENDPOINT"] = endpoint
    return subprocess.run([RECON, "asl", *args], capture_output=True, text=True, cwd=REPO, env=env, timeout=timeout)


def test_build_writes_valid_artifacts_with_schedules(tmp_path):
    done = recon("build", "flows.daily:daily_reconciliation", "--out", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    definition = json.loads((tmp_path / "daily-reconciliation.asl.json").read_text())
    template = json.loads((tmp_path / "daily-reconciliation.template.json").read_text())
    assert definition["TimeoutSeconds"] == 3 * 3600
    schedules = {k: v for k, v in template["Resources"].items() if v["Type"] == "AWS::Scheduler::Schedule"}
    daily = schedules["ScheduleDaily"]["Properties"]
    assert daily["ScheduleExpression"] == "cron(30 17 ? * MON-FRI *)"
    assert daily["ScheduleExpressionTimezone"] == "America/New_York"
    policy = template["Resources"]["StateMachineRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    assert [s["Action"] for s in policy["Statement"]] == ["lambda:InvokeFunction"]  # least privilege
    assert (tmp_path / "daily-reconciliation.mmd").read_text().startswith("flowchart TD")
    for tool in ("asl-validator", "statelint", "cfn-lint"):
        assert f"{tool}" in done.stdout and "FAILED" not in done.stdout


def in_process(*args: str, endpoint: str | None = None):
    """The same commands through typer's runner (fast: no new interpreter); stdout and stderr mixed."""
    from typer.testing import CliRunner

    from cli import app

    env = {"ASL_SFN_ENDPOINT": endpoint} if endpoint else {}
    result = CliRunner().invoke(app, ["asl", *args], env={**env, "COLUMNS": "200"})
    return result.exit_code, result.output


def test_build_refuses_untraceable_flow_with_exit_2(tmp_path):
    code, output = in_process("build", "tests.asl.flows_invalid:if_on_result", "--out", str(tmp_path))
    assert code == 2
    assert "flows_invalid.py:" in output and "asl_export.branch" in output


def test_deploy_start_status_and_redrive(server):
    sfn, endpoint = server
    args = ["tests.asl.flows_basic:sequence_flow", "--role-arn", sfn.role_arn, "--function-arn", sfn.function_arn]
    first = recon("deploy", *args, endpoint=endpoint)
    assert first.returncode == 0 and "created" in first.stdout, first.stdout + first.stderr
    again = recon("deploy", *args, endpoint=endpoint)
    assert again.returncode == 0 and "updated" in again.stdout
    machine = sfn.sfn.list_state_machines()["stateMachines"]
    arn = next(m["stateMachineArn"] for m in machine if m["name"] == "sequence-flow")
    aliases = sfn.sfn.list_state_machine_aliases(stateMachineArn=arn)["stateMachineAliases"]
    assert [a["stateMachineAliasArn"].rsplit(":", 1)[-1] for a in aliases] == ["live"]

    code, output = in_process("start", arn, "--param", "start=not-a-number", endpoint=endpoint)
    assert code == 2 and "start" in output and "not of type 'integer'" in output

    started = recon("start", arn, "--param", "start=5", "--param", "label=cli", endpoint=endpoint)
    assert started.returncode == 0, started.stderr
    execution = started.stdout.strip().splitlines()[-1]
    sfn.wait(execution)
    code, output = in_process("status", execution, endpoint=endpoint)
    assert code == 0 and "SUCCEEDED" in output and "describe" in output
    output = json.loads(sfn.sfn.describe_execution(executionArn=execution)["output"])
    assert output["value"]["label"] == "cli"


def test_redrive_reports_moto_gap_and_resume_reruns_only_the_failed_part(server, tmp_path):
    from asl_export import compile_flow
    from tests.asl import flows_resilience

    sfn, endpoint = server
    counter = tmp_path / "count"
    execution = sfn.start(compile_flow(flows_resilience.retry_flow), {"counter_path": str(counter), "fail_times": 4})
    assert sfn.wait(execution)["status"] == "FAILED"  # 4 attempts, all failed
    code, output = in_process("status", execution, endpoint=endpoint)
    assert code == 1 and "flaky" in output and "ConnectionError" in output

    code, output = in_process("redrive", execution, endpoint=endpoint)
    assert code == 3 and "RedriveExecution" in output
    resumed = recon("redrive", execution, "--resume", endpoint=endpoint)  # a separate process again
    assert resumed.returncode == 0, resumed.stderr
    new_execution = resumed.stdout.strip().splitlines()[-1]
    described = sfn.wait(new_execution)
    assert described["status"] == "SUCCEEDED" and json.loads(described["output"]) == {"value": 5}
    entered = [e["stateEnteredEventDetails"]["name"] for e in sfn.history(new_execution) if "stateEnteredEventDetails" in e]
    assert entered[0] == "flaky" and "validate-parameters" not in entered


def test_run_local_compare(prefect_harness, monkeypatch):
    from prefect.settings import PREFECT_API_URL

    monkeypatch.setenv("PREFECT_API_URL", PREFECT_API_URL.value())  # the session's server, not a new one
    done = recon("run-local", "tests.asl.flows_basic:sequence_flow", "--param", "start=3", "--compare", timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "True" in done.stdout and "Decimal('21.0')" in done.stdout


def test_run_local_without_moto_names_the_extra(monkeypatch):
    """moto is an optional extra: without it, run-local says how to get it in one line."""
    import sys

    monkeypatch.setitem(sys.modules, "moto", None)  # `import moto` raises ImportError, as when absent
    code, output = in_process("run-local", "tests.asl.flows_basic:sequence_flow", "--param", "start=3")
    assert code == 2, output
    assert output.strip().splitlines() == [
        "error: recon asl run-local needs moto (its Step Functions interpreter): pip install 'fix-recon[aws-local]'"
    ]
