"""Each construct: the Prefect run and the local ASL run (moto) return equal results."""

from __future__ import annotations

from decimal import Decimal

import pytest

from asl_export import compile_flow
from tests.asl import flows_basic, flows_choice, flows_fanout

pytestmark = pytest.mark.slow


def both(flow, params, prefect_run, local_sfn):
    expected = prefect_run(flow, dict(params))
    actual = local_sfn.run(compile_flow(flow), dict(params))
    assert actual == expected
    return actual


def test_sequence_with_keyword_args_and_fan_in(prefect_run, local_sfn):
    out = both(flows_basic.sequence_flow, {"start": 5}, prefect_run, local_sfn)
    assert out == {"label": "seq", "total": Decimal("24.0"), "parts": (6, 16)}


def test_subflow_called_twice_is_inlined(prefect_run, local_sfn):
    assert both(flows_basic.parent_flow, {"seed": 4}, prefect_run, local_sfn) == "5-8-108"


@pytest.mark.parametrize("amount,expected", [(500, "escalated 500"), (7, "archived 7")])
def test_branch_both_ways(amount, expected, prefect_run, local_sfn):
    out = both(flows_choice.choice_flow, {"amount": amount}, prefect_run, local_sfn)
    assert out["decision"]["outcome"] == expected


@pytest.mark.parametrize("urgent", [True, False])
def test_branch_on_parameter(urgent, prefect_run, local_sfn):
    both(flows_choice.flag_choice_flow, {"urgent": urgent}, prefect_run, local_sfn)


def test_map_over_parameter_and_task_result(prefect_run, local_sfn):
    out = both(flows_fanout.map_flow, {"xs": [1, 2, 3]}, prefect_run, local_sfn)
    assert out["sum_sq"] == 14


def test_parallel_submits(prefect_run, local_sfn):
    machine = compile_flow(flows_fanout.parallel_flow)
    parallel = [s for s in machine.definition["States"].values() if s["Type"] == "Parallel"]
    assert len(parallel) == 1 and len(parallel[0]["Branches"]) == 3
    out = both(flows_fanout.parallel_flow, {"n": 2}, prefect_run, local_sfn)
    assert out["broker"] == 4 and out["drop"] == 2


def test_large_result_travels_by_claim_check(prefect_run, local_sfn):
    assert both(flows_fanout.claim_check_flow, {}, prefect_run, local_sfn) == (3000, "x" * 100 + "1")
    keys = local_sfn.store.client.list_objects_v2(Bucket=local_sfn.bucket).get("Contents", [])
    assert any("big_rows" in k["Key"] for k in keys)


def test_distributed_map_reads_items_from_s3(prefect_run, local_sfn):
    machine = compile_flow(flows_fanout.map_flow, distributed_map_above=2, default_items_hint=10)
    assert machine.uses_distributed_map
    expected = prefect_run(flows_fanout.map_flow, {"xs": [1, 2, 3]})
    assert local_sfn.run(machine, {"xs": [1, 2, 3]}) == expected


def test_ecs_tagged_task_runs_the_container_entrypoint(prefect_run, local_sfn):
    machine = compile_flow(flows_fanout.ecs_flow)
    state = machine.definition["States"]["heavy_sum"]
    assert state["Resource"] == "arn:aws:states:::ecs:runTask.sync"
    command = state["Parameters"]["Overrides"]["ContainerOverrides"][0]["Command.$"]
    assert "'asl_export.runtime'" in command
    out = both(flows_fanout.ecs_flow, {"xs": [1, 2, 3]}, prefect_run, local_sfn)
    assert out == {"sum": 24, "each": [11, 15], "again": 576}
    keys = [k["Key"] for k in local_sfn.store.client.list_objects_v2(Bucket=local_sfn.bucket)["Contents"]]
    assert any(k.endswith("/heavy_sum/result.json") for k in keys)
    assert any(k.endswith("/heavy_sum-2__item_/1/result.json") for k in keys)  # one key per Map item


def test_constructs_combined_with_a_retried_subflow(tmp_path, prefect_run, local_sfn):
    from tests.asl import flows_combined

    machine = compile_flow(flows_combined.combined_flow)
    groups = [s for s in machine.definition["States"].values() if s["Type"] == "Parallel" and "Retry" in s]
    assert len(groups) == 1 and groups[0]["Retry"][0]["MaxAttempts"] == 1
    assert any(s["Type"] == "Choice" for s in groups[0]["Branches"][0]["States"].values())
    expected = prefect_run(flows_combined.combined_flow, {"counter_path": str(tmp_path / "prefect")})
    actual = local_sfn.run(machine, {"counter_path": str(tmp_path / "asl")})
    assert actual == expected and actual["book"]["attempt"] == 2
