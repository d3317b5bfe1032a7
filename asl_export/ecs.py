"""ECS tasks: `ecs:runTask.sync` states running the same runtime in a container.

The container command is `python -m asl_export.runtime '<event JSON>'`. ECS returns no payload, so
the runtime writes the encoded result to S3 at <prefix><execution>/<state>/result.json and the
state's ResultSelector turns that into a claim check {"$ref": "s3://..."}.
Settings (compile_flow(ecs=...) / template): cluster, task_definition, container, launch_type,
subnets, security_groups, bucket, prefix.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from asl_export.runtime import ClaimCheck

DEFAULTS = {
    "cluster": "asl-runtime", "task_definition": "asl-runtime", "container": "runtime",
    "launch_type": "FARGATE", "subnets": [], "security_groups": [], "bucket": "asl-claim-check",
    "prefix": "asl-claim-check/",
}


def result_key(prefix: str, execution: str, state: str) -> str:
    safe_state = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in state)
    return f"{prefix}{execution}/{safe_state}/result.json"


def ecs_fields(settings: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    s = {**DEFAULTS, **settings}
    state = payload["options"]["state"]
    prefix = f"s3://{s['bucket']}/{s['prefix']}"
    safe_state = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in state)
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
    return {
        "Resource": "arn:aws:states:::ecs:runTask.sync",
        "Parameters": parameters,
        "ResultSelector": {"$ref.$": f"States.Format('{prefix}{{}}/{safe_state}/result.json', $$.Execution.Name)"},
        "_ecs_event": {**payload, "result_bucket": s["bucket"], "result_prefix": s["prefix"]},
    }


def run_container_event(event: dict[str, Any], handler: Callable[[dict[str, Any]], Any]) -> int:
    """Run one event in the container and store its result for the ResultSelector to find."""
    result = handler({**event, "options": {**event.get("options", {}), "inline_limit": 1 << 62}})
    store = ClaimCheck(event["result_bucket"], event["result_prefix"])
    text = json.dumps(result, separators=(",", ":"))
    key = result_key(event["result_prefix"], event.get("execution") or "local", event["options"]["state"])
    store.client.put_object(Bucket=event["result_bucket"], Key=key, Body=text.encode("utf-8"))
    return 0
