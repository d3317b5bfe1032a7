"""Compiler checks without running anything: validators, compile errors, option mapping, limits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from prefect import flow, task

from asl_export import CompileError, compile_flow
from asl_export.checks import check_definition, estimate_history
from asl_export.options import retry_fields
from asl_export.validate import validate_definition, validate_definitions
from tests.asl import flows_basic, flows_choice, flows_fanout, flows_invalid, flows_resilience

EVERY_TEST_FLOW = [
    flows_basic.sequence_flow, flows_basic.parent_flow, flows_choice.choice_flow, flows_choice.flag_choice_flow,
    flows_choice.bad_condition_flow, flows_fanout.map_flow, flows_fanout.parallel_flow,
    flows_fanout.claim_check_flow, flows_resilience.retry_flow, flows_resilience.timeout_flow,
    flows_resilience.failing_flow, flows_resilience.params_flow,
]


@pytest.mark.slow
def test_every_definition_passes_asl_validator_and_statelint():
    reports = validate_definitions({each.name: compile_flow(each).definition for each in EVERY_TEST_FLOW})
    assert reports == {each.name: {"asl-validator": [], "statelint": []} for each in EVERY_TEST_FLOW}


def test_validators_do_reject_a_broken_definition():
    definition = compile_flow(flows_basic.sequence_flow).definition
    definition["States"]["add"]["Next"] = "no-such-state"
    report = validate_definition(definition)
    assert report["asl-validator"] and report["statelint"]


def _line_of(marker: str) -> int:
    source = Path(flows_invalid.__file__).read_text().splitlines()
    return next(i for i, line in enumerate(source, 1) if marker in line)


@pytest.mark.parametrize("bad_flow,marker,hint", [
    (flows_invalid.if_on_result, "LINE_IF", "asl_export.branch"),
    (flows_invalid.for_over_result, "LINE_FOR", "task.map"),
    (flows_invalid.open_in_body, "LINE_OPEN", "move this into a task"),
    (flows_invalid.compare_result, "LINE_COMPARE", "asl_export.branch"),
    (flows_invalid.fstring_result, "LINE_FSTRING", "inside a task"),
])
def test_untraceable_python_names_file_line_and_alternative(bad_flow, marker, hint):
    with pytest.raises(CompileError) as error:
        compile_flow(bad_flow)
    assert error.value.filename == flows_invalid.__file__
    assert error.value.lineno == _line_of(marker)
    assert f"flows_invalid.py:{_line_of(marker)}:" in str(error.value) and hint in str(error.value)


def test_open_is_restored_after_a_refused_compile(tmp_path):
    with pytest.raises(CompileError):
        compile_flow(flows_invalid.open_in_body)
    (tmp_path / "x").write_text("still works")
    assert open(tmp_path / "x").read() == "still works"


def test_returning_a_future_is_refused():
    with pytest.raises(CompileError, match=r"future from .submit\(\)/.map\(\).*\.result\(\)"):
        compile_flow(returns_future)


@task
def one() -> int:
    return 1


@flow
def returns_future():
    return one.submit()


@pytest.mark.parametrize("retries,delay,expected", [
    (2, 5, {"IntervalSeconds": 5, "MaxAttempts": 2, "BackoffRate": 1.0}),
    (3, None, {"IntervalSeconds": 1, "MaxAttempts": 3, "BackoffRate": 1.0}),
    (3, [2, 4, 8], {"IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 2.0, "MaxDelaySeconds": 8}),
    (4, [10, 30, 90], {"IntervalSeconds": 10, "MaxAttempts": 4, "BackoffRate": 3.0, "MaxDelaySeconds": 90}),
    (3, [1, 10, 100], {"IntervalSeconds": 1, "MaxAttempts": 3, "BackoffRate": 10.0, "MaxDelaySeconds": 100}),
    (3, [1, 2, 10], {"IntervalSeconds": 1, "MaxAttempts": 3, "BackoffRate": 3.162278, "MaxDelaySeconds": 10}),
])
def test_retry_mapping(retries, delay, expected):
    assert retry_fields(retries, delay) == [{"ErrorEquals": ["States.ALL"], **expected}]


def test_exponential_backoff_maps_to_rate_two():
    from prefect.tasks import exponential_backoff

    (entry,) = retry_fields(4, exponential_backoff(backoff_factor=3))
    assert entry["IntervalSeconds"] == 3 and entry["BackoffRate"] == 2.0 and entry["MaxDelaySeconds"] == 24


@task(retries=2, retry_delay_seconds=[3, 6], timeout_seconds=42.5)
def configured(x: int) -> int:
    return x


@flow(timeout_seconds=600)
def options_flow(x: int = 1) -> int:
    return configured(x)


def test_task_and_flow_options_reach_the_definition():
    definition = compile_flow(options_flow).definition
    state = definition["States"]["configured"]
    assert state["TimeoutSeconds"] == 43
    assert state["Retry"][0] == {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 3, "MaxAttempts": 2,
                                 "BackoffRate": 2.0, "MaxDelaySeconds": 6}
    assert definition["TimeoutSeconds"] == 600


@task(name="a-task-with-a-really-long-name-" + "x" * 70)
def long_named(x: int) -> int:
    return x


@flow
def long_names_flow(x: int = 1) -> int:
    return long_named(long_named(x))


def test_long_state_names_are_truncated_with_a_stable_hash():
    first = compile_flow(long_names_flow).definition
    names = [n for n in first["States"] if n.startswith("a-task")]
    assert len(names) == 2 and all(len(n) == 80 and re.search(r"~[0-9a-f]{8}$", n) for n in names)
    assert compile_flow(long_names_flow).definition == first


def test_history_estimate_grows_with_map_size_and_is_enforced():
    machine = compile_flow(flows_fanout.map_flow)
    small = estimate_history(machine.definition["States"], machine.definition["StartAt"], 10)
    large = estimate_history(machine.definition["States"], machine.definition["StartAt"], 1000)
    assert large > small * 50
    with pytest.raises(CompileError, match="estimated history"):
        check_definition(machine.definition, map_size=5000)


def test_distributed_map_above_threshold():
    machine = compile_flow(flows_fanout.map_flow, distributed_map_above=10, default_items_hint=50)
    maps = {n: s for n, s in machine.definition["States"].items() if s["Type"] == "Map"}
    modes = {n: s["ItemProcessor"]["ProcessorConfig"]["Mode"] for n, s in maps.items()}
    # mapping over a task result can read from S3; over a parameter it stays inline
    assert modes == {"notional": "DISTRIBUTED", "square": "INLINE"}
    assert maps["notional"]["ItemReader"]["Resource"] == "arn:aws:states:::s3:getObject"
    assert machine.definition["States"]["make_lots"]["Parameters"]["options"]["items_s3"] is True


@pytest.mark.slow
def test_templates_pass_cfn_lint_with_least_privilege(tmp_path):
    import json

    from asl_export.cli import cfn_lint
    from asl_export.schedule import Schedule
    from asl_export.template import build_template

    variants = {
        "plain": (compile_flow(flows_basic.sequence_flow), []),
        "ecs": (compile_flow(flows_fanout.ecs_flow), []),
        "distributed": (compile_flow(flows_fanout.map_flow, distributed_map_above=2, default_items_hint=10), []),
        "express": (compile_flow(flows_basic.sequence_flow, machine_type="EXPRESS"),
                    [Schedule("daily", "cron(30 17 ? * MON-FRI *)", "America/New_York", {"x": 1}, "30 17 * * 1-5")]),
    }
    actions = {}
    for name, (machine, schedules) in variants.items():
        template = build_template(machine, schedules)
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(template))
        assert cfn_lint(path) == [], name
        statements = template["Resources"]["StateMachineRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
        actions[name] = {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
        assert template["Resources"]["StateMachine"]["Properties"]["StateMachineType"] == machine.machine_type
    assert actions["plain"] == actions["express"] == {"lambda:InvokeFunction"}
    assert {"ecs:RunTask", "iam:PassRole", "s3:GetObject"} <= actions["ecs"]
    assert {"states:StartExecution", "s3:GetObject"} <= actions["distributed"] and "ecs:RunTask" not in actions["distributed"]
    assert "SchedulerRole" in build_template(*variants["express"])["Resources"]


def test_express_refuses_ecs_and_distributed_map():
    with pytest.raises(CompileError, match="EXPRESS"):
        compile_flow(flows_fanout.ecs_flow, machine_type="EXPRESS")


def test_ecs_and_distributed_definitions_validate():
    reports = validate_definitions({
        "ecs": compile_flow(flows_fanout.ecs_flow).definition,
        "distributed": compile_flow(flows_fanout.map_flow, distributed_map_above=2, default_items_hint=10).definition,
    })
    assert reports == {n: {"asl-validator": [], "statelint": []} for n in ("ecs", "distributed")}


def test_cron_conversion():
    from asl_export.schedule import ScheduleError, to_eventbridge

    assert to_eventbridge("30 17 * * 1-5") == "cron(30 17 ? * MON-FRI *)"
    assert to_eventbridge("0 6 * * 6") == "cron(0 6 ? * SAT *)"
    assert to_eventbridge("*/30 10-16 1 * *") == "cron(*/30 10-16 1 * ? *)"
    with pytest.raises(ScheduleError):
        to_eventbridge("0 6 1 * 1")


def test_statelint_filter_drops_only_the_known_false_positive():
    from asl_export.validate import _statelint_problems

    output = ('2 errors:\n Field "InputType" not allowed in State Machine.States.m.ItemReader.ReaderConfig\n'
              ' Field "Bogus" not allowed in State Machine.States.m')
    assert _statelint_problems(output) == ['Field "Bogus" not allowed in State Machine.States.m']
