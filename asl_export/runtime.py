"""The one entrypoint every Task state calls: Lambda handler `asl_export.runtime.handler`, and for
ECS `python -m asl_export.runtime '<event JSON>'` (result written to S3, see ecs.py).

Events (built by emit.py):
  {"task": "module:qualname", "inputs": {"$template": ..., "symbols": {...}},
   "options": {"state", "inline_limit", "items"?, "items_s3"?}, "execution": name}
  {"op": "validate_params", "flow": ref, "schema": {...}, "consts": {...}, "input": {...}}
  {"op": "on_failure", "flow": ref, "failure": {"Error", "Cause"}, "parameters": {...}, "execution": name}
A task's exception propagates: Lambda reports its class name as errorType, which Retry/Catch match.

Claim check: an encoded result larger than options.inline_limit bytes is written to
s3://$ASL_CLAIM_CHECK_BUCKET/$ASL_CLAIM_CHECK_PREFIX<execution>/<state>/<uuid>.json and the state
carries {"$ref": "s3://..."} instead; the next task's inputs resolve it. boto3 honours
AWS_ENDPOINT_URL(_S3) for local servers.
"""

from __future__ import annotations

import json
import sys
import uuid
from typing import Any

from asl_export.claimcheck import ClaimCheck, PayloadTooLarge
from asl_export.codec import decode, encode, import_qualified

DEFAULT_INLINE_LIMIT = 200 * 1024


def handler(event: dict[str, Any], context: Any = None) -> Any:
    """AWS Lambda entrypoint."""
    op = event.get("op", "task")
    if op == "validate_params":
        return validate_params(event)
    if op == "on_failure":
        return run_failure_hooks(event)
    if op == "task":
        return run_task(event, ClaimCheck.from_env())
    if op == "container":  # what the ECS container runs (local runs dispatch it here)
        from asl_export.ecs import run_container_event

        return run_container_event(event["event"], handler)
    raise ValueError(f"unknown runtime op {op!r}")


def resolve_callable(ref: str) -> Any:
    target = import_qualified(ref)
    return getattr(target, "fn", target)


def run_task(event: dict[str, Any], store: ClaimCheck) -> Any:
    from prefect.utilities.callables import parameters_to_args_kwargs

    options = event.get("options") or {}
    fn = resolve_callable(event["task"])
    parameters = decode(event.get("inputs") or {}, store.load)
    args, kwargs = parameters_to_args_kwargs(fn, parameters)
    result = fn(*args, **kwargs)
    return emit_result(result, options, store, event.get("execution") or "local")


def emit_result(result: Any, options: dict[str, Any], store: ClaimCheck, execution: str) -> Any:
    state = options.get("state", "task")
    limit = int(options.get("inline_limit", DEFAULT_INLINE_LIMIT))
    if options.get("items"):
        if isinstance(result, str | bytes | dict) or not hasattr(result, "__iter__"):
            raise TypeError(f"'{state}' feeds task.map, so it must return a list; got {type(result).__name__}")
        encoded: Any = [encode(v) for v in result]
    else:
        encoded = encode(result)
    text = json.dumps(encoded, separators=(",", ":"))
    if options.get("items_s3"):
        bucket, key = store.put(text, execution, state)
        return {"$ref": f"s3://{bucket}/{key}", "bucket": bucket, "key": key}
    if len(text.encode("utf-8")) <= limit:
        return encoded
    if options.get("items"):
        raise PayloadTooLarge(
            f"'{state}' returned {len(text)} bytes of items for an inline Map (limit {limit}); "
            "tag the mapped task 'asl:distributed' (or 'asl:items=N' above the distributed threshold)"
        )
    bucket, key = store.put(text, execution, state)
    return {"$ref": f"s3://{bucket}/{key}"}


def validate_params(event: dict[str, Any]) -> dict[str, Any]:
    from asl_export.params import encode_parameters, validate_input

    flow = import_qualified(event["flow"])
    values = validate_input(flow, event.get("input"))
    return {"p": encode_parameters(values), "c": event.get("consts") or {}, "r": {}}


def run_failure_hooks(event: dict[str, Any]) -> dict[str, Any]:
    """Call the flow's on_failure hooks as Prefect would: hook(flow, flow_run, state)."""
    from prefect.client.schemas.objects import FlowRun
    from prefect.states import Failed

    flow = import_qualified(event["flow"])
    failure = event.get("failure") or {}
    store = ClaimCheck.from_env()
    parameters = decode(event.get("parameters") or {}, store.load)
    flow_run = FlowRun(flow_id=uuid.uuid4(), name=event.get("execution") or "asl-execution", parameters=parameters)
    state = Failed(message=f"{failure.get('Error', 'Error')}: {failure.get('Cause', '')}")
    for hook in flow.on_failure_hooks:
        hook(flow, flow_run, state)
    return {"hooks": len(flow.on_failure_hooks)}


def main(argv: list[str] | None = None) -> int:
    """ECS container entrypoint: run one event; write the result where the state machine reads it."""
    from asl_export.ecs import run_container_event

    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m asl_export.runtime '<event JSON>'", file=sys.stderr)
        return 2
    return run_container_event(json.loads(argv[0]), handler)


if __name__ == "__main__":
    raise SystemExit(main())
