"""Retries, timeouts, failure hooks and parameters: same outcome under Prefect and on local ASL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from prefect.exceptions import ParameterTypeError

from asl_export import compile_flow
from asl_export.local import ExecutionFailed
from tests.asl import flows_choice, flows_resilience

pytestmark = pytest.mark.slow

# Prefect's exception class name -> the ASL error the same failure produces.
EQUIVALENT_ERRORS = {"TaskRunTimeoutError": "States.Timeout"}


def fail_both(flow, params, prefect_run, local_sfn) -> tuple[BaseException, ExecutionFailed]:
    with pytest.raises(BaseException) as under_prefect:
        prefect_run(flow, dict(params))
    with pytest.raises(ExecutionFailed) as under_asl:
        local_sfn.run(compile_flow(flow), dict(params))
    name = type(under_prefect.value).__name__
    assert under_asl.value.error == EQUIVALENT_ERRORS.get(name, name)
    return under_prefect.value, under_asl.value


def test_retries_fail_then_succeed(tmp_path, prefect_run, local_sfn):
    prefect_counter, asl_counter = tmp_path / "prefect.count", tmp_path / "asl.count"
    expected = prefect_run(flows_resilience.retry_flow, {"counter_path": str(prefect_counter), "fail_times": 2})
    actual = local_sfn.run(compile_flow(flows_resilience.retry_flow), {"counter_path": str(asl_counter), "fail_times": 2})
    assert expected == actual == 3
    assert prefect_counter.read_text() == asl_counter.read_text() == "3"


def test_retries_exhausted_fail_the_same_way(tmp_path, prefect_run, local_sfn):
    with pytest.raises(ConnectionError, match="attempt 4 failed"):
        prefect_run(flows_resilience.retry_flow, {"counter_path": str(tmp_path / "p"), "fail_times": 9})
    with pytest.raises(ExecutionFailed) as asl_error:
        local_sfn.run(compile_flow(flows_resilience.retry_flow), {"counter_path": str(tmp_path / "a"), "fail_times": 9})
    assert asl_error.value.state == "flaky" and asl_error.value.error == "ConnectionError"
    assert asl_error.value.cause == "attempt 4 failed"


def test_timeout(prefect_run, local_sfn):
    _, asl_error = fail_both(flows_resilience.timeout_flow, {"seconds": 3.0}, prefect_run, local_sfn)
    assert asl_error.state == "slow"


def test_failure_runs_the_hook_in_both(tmp_path, prefect_run, local_sfn):
    prefect_marker, asl_marker = tmp_path / "prefect.marker", tmp_path / "asl.marker"
    with pytest.raises(ValueError, match="bad: boom"):
        prefect_run(flows_resilience.failing_flow, {"marker_path": str(prefect_marker)})
    with pytest.raises(ExecutionFailed) as asl_error:
        local_sfn.run(compile_flow(flows_resilience.failing_flow), {"marker_path": str(asl_marker)})
    assert asl_error.value.state == "explode" and asl_error.value.error == "ValueError"
    assert "bad: boom" in asl_error.value.cause
    assert prefect_marker.read_text().startswith("failing-flow failed")
    assert asl_marker.read_text().startswith("failing-flow failed") and "bad: boom" in asl_marker.read_text()


def test_branch_on_non_bool_fails_with_type_error(prefect_run, local_sfn):
    fail_both(flows_choice.bad_condition_flow, {}, prefect_run, local_sfn)


def test_parameters_with_defaults(prefect_run, local_sfn):
    params = {"trade_date": dt.date(2026, 11, 27), "amount": Decimal("1250.25")}
    expected = prefect_run(flows_resilience.params_flow, params)
    assert local_sfn.run(compile_flow(flows_resilience.params_flow), params) == expected
    assert expected == {"settle": dt.date(2026, 11, 29), "amount": Decimal("1250.25"), "tags": ["default"]}


def test_parameters_as_json_strings_are_coerced_like_prefect(prefect_run, local_sfn):
    params = {"trade_date": "2026-11-27", "amount": "10.5", "lag": 1, "tags": ["a"]}
    expected = prefect_run(flows_resilience.params_flow, params)
    assert local_sfn.run(compile_flow(flows_resilience.params_flow), params) == expected


def test_bad_parameter_fails_the_same_way(prefect_run, local_sfn):
    bad = {"trade_date": "not-a-date", "amount": "1"}
    with pytest.raises(ParameterTypeError):
        prefect_run(flows_resilience.params_flow, bad)
    with pytest.raises(ParameterTypeError):  # run_local validates before starting
        local_sfn.run(compile_flow(flows_resilience.params_flow), bad)
    with pytest.raises(ExecutionFailed) as asl_error:  # and the machine itself refuses it
        local_sfn.run(compile_flow(flows_resilience.params_flow), bad, validate=False)
    assert asl_error.value.state == "validate-parameters"
    assert asl_error.value.error == "ParameterTypeError" and "trade_date" in asl_error.value.cause


def test_missing_and_unknown_parameters_fail_in_the_machine(local_sfn):
    machine = compile_flow(flows_resilience.params_flow)
    for bad, text in [({"amount": "1"}, "missing required parameter(s) trade_date"),
                      ({"trade_date": "2026-11-27", "amount": "1", "colour": "red"}, "unknown parameter(s) colour")]:
        with pytest.raises(ExecutionFailed) as asl_error:
            local_sfn.run(machine, bad, validate=False)
        assert asl_error.value.error == "ParameterError" and text in asl_error.value.cause
