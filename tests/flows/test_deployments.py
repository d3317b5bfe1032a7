"""prefect.yaml is the one list of deployments: every entry loads, with its schedule's time zone."""

from __future__ import annotations

import pytest

from cli.deployments import deployment_specs, load_flow, runner_deployments


def test_every_deployment_in_prefect_yaml_builds_with_its_schedule():
    deployments = {d.name: d for d in runner_deployments()}
    assert set(deployments) == {"daily", "intraday", "adhoc", "stream", "train"}
    daily = deployments["daily"].schedules[0].schedule
    assert (daily.cron, daily.timezone) == ("30 17 * * 1-5", "America/New_York")
    assert deployments["adhoc"].schedules in (None, [])
    assert deployments["daily"].flow_name == "daily-reconciliation"
    assert {"trade_date", "accounts", "brokers", "force"} <= set(deployments["adhoc"]._parameter_openapi_schema.properties)


def test_a_bad_entrypoint_is_named():
    with pytest.raises(ValueError, match="flows/nope.py:missing"):
        load_flow("flows/nope.py:missing")
    assert all(":" in d["entrypoint"] for d in deployment_specs())
