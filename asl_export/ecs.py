"""ECS tasks: `ecs:runTask.sync` states running the same runtime in a container.

The container command is `python -m asl_export.runtime '<event JSON>'`. ECS returns no payload, so
the runtime writes the encoded result to S3 at <prefix><execution>/<state>/result.json and the
state's ResultSelector turns that into a claim check {"$ref": "s3://..."}.
Settings (compile_flow(ecs=...) / template): cluster, task_definition, container, launch_type,
subnets, security_groups, bucket, prefix. Local runs set dispatch_arn: the Task then invokes the
runtime Lambda with {"op": "container", "event": ...}, which runs exactly what the container runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from asl_export.claimcheck import ClaimCheck

DEFAULTS = {
    "cluster": "asl-runtime", "task_definition": "asl-runtime", "container": "runtime",
    "launch_type": "FARGATE", "subnets": [], "security_groups": [], "bucket": "asl-claim-check",
    "prefix": "asl-claim-check/",
}


def _result_key_expression(s: dict[str, Any], state: str, in_map: bool) -> str:
    """An intrinsic computing the result's S3 key from the context object (so both the event and
    the ResultSelector, which only sees the ECS task description, can build it)."""
    safe_state = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in state)
    if in_map:
        return f"'{s['prefix']}{{}}/{safe_state}/{{}}/result.json', $$.Execution.Name, $$.Map.Item.Index"
    return f"'{s['prefix']}{{}}/{safe_state}/result.json', $$.Execution.Name"


def ecs_fields(settings: dict[str, Any], payload: dict[str, Any], in_map: bool) -> tuple[dict, dict]:
    """(Parameters of the Pass building the container event, fields of the ecs:runTask.sync Task)."""
    s = {**DEFAULTS, **settings}
    key = _result_key_expression(s, payload["options"]["state"], in_map)
    event = {**payload, "result_bucket": s["bucket"], "result_key.$": f"States.Format({key})"}
    parameters: dict[str, Any] = {
        "Cluster": s["cluster"],
        "TaskDefinition": s["task_definition"],
        "LaunchType": s["launch_type"],
        "Overrides": {"ContainerOverrides": [{
            "Name": s["container"],
            "Command.$": "States.Array('python', '-m', 'asl_export.runtime', States.JsonToString($.ecs_event))",
        }]},
    }
    if s["subnets"]:
        parameters["NetworkConfiguration"] = {"AwsvpcConfiguration": {
            "Subnets": s["subnets"], "SecurityGroups": s["security_groups"], "AssignPublicIp": "DISABLED",
        }}
    if s.get("dispatch_arn"):  # local runs: the container's work through the runtime Lambda
        resource, parameters = s["dispatch_arn"], {"op": "container", "event.$": "$.ecs_event"}
    else:
        resource = "arn:aws:states:::ecs:runTask.sync"
    task = {
        "Resource": resource,
        "Parameters": parameters,
        "ResultSelector": {"$ref.$": f"States.Format('s3://{s['bucket']}/{{}}', States.Format({key}))"},
    }
    return event, task


def run_container_event(event: dict[str, Any], handler: Callable[[dict[str, Any]], Any]) -> int:
    """Run one event in the container and store its result where the ResultSelector points."""
    options = {**event.get("options", {}), "inline_limit": 1 << 62}  # never a second claim check
    result = handler({**event, "options": options})
    store = ClaimCheck(event["result_bucket"])
    text = json.dumps(result, separators=(",", ":"))
    store.client.put_object(Bucket=event["result_bucket"], Key=event["result_key"], Body=text.encode("utf-8"))
    return 0
