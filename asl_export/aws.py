"""Step Functions operations through boto3, against AWS or any endpoint (moto server, LocalStack).

deploy: create or update the machine with publish=True, then point the alias (default "live") at
the new version. start: validate input against the schema embedded in the deployed definition.
redrive: RedriveExecution (AWS re-runs only the failed part). Where the endpoint does not implement
it (moto), resume_from_failure() is the portable equivalent: a copy of the machine that starts at
the top-level state that failed, with the input that state had, so finished steps are not re-run.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections import Counter
from typing import Any

from asl_export.naming import FAILED, HOOKS, VALIDATE


class OperationError(RuntimeError):
    """The Step Functions endpoint refused or does not support an operation."""


def client(endpoint_url: str | None = None, region: str | None = None) -> Any:
    import boto3

    return boto3.client(
        "stepfunctions",
        endpoint_url=endpoint_url or os.environ.get("ASL_SFN_ENDPOINT") or None,
        region_name=region or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
    )


def find_machine(sfn: Any, name: str) -> str | None:
    for page in sfn.get_paginator("list_state_machines").paginate():
        for item in page["stateMachines"]:
            if item["name"] == name:
                return item["stateMachineArn"]
    return None


def deploy(sfn: Any, name: str, definition: dict[str, Any], role_arn: str, machine_type: str = "STANDARD",
           alias: str = "live") -> dict[str, Any]:
    body = json.dumps(definition)
    arn = find_machine(sfn, name)
    if arn is None:
        created = sfn.create_state_machine(name=name, definition=body, roleArn=role_arn, type=machine_type, publish=True)
        arn, version, action = created["stateMachineArn"], created.get("stateMachineVersionArn"), "created"
    else:
        updated = sfn.update_state_machine(stateMachineArn=arn, definition=body, roleArn=role_arn, publish=True)
        version, action = updated.get("stateMachineVersionArn"), "updated"
    if not version:
        raise OperationError("the endpoint did not publish a version (publish=True); cannot move the alias")
    routing = [{"stateMachineVersionArn": version, "weight": 100}]
    existing = [a for a in sfn.list_state_machine_aliases(stateMachineArn=arn).get("stateMachineAliases", [])
                if a["stateMachineAliasArn"].rsplit(":", 1)[-1] == alias]
    if existing:
        alias_arn = existing[0]["stateMachineAliasArn"]
        sfn.update_state_machine_alias(stateMachineAliasArn=alias_arn, routingConfiguration=routing)
    else:
        alias_arn = sfn.create_state_machine_alias(name=alias, routingConfiguration=routing)["stateMachineAliasArn"]
    return {"action": action, "state_machine": arn, "version": version, "alias": alias_arn}


def embedded_schema(definition: dict[str, Any]) -> dict[str, Any] | None:
    state = definition.get("States", {}).get(VALIDATE, {})
    return state.get("Parameters", {}).get("schema")


def machine_definition(sfn: Any, target_arn: str) -> dict[str, Any]:
    """The definition behind a machine, version or alias ARN."""
    arn = target_arn
    if ":stateMachine:" in arn and arn.count(":") > 6:  # alias or version: strip the qualifier
        try:
            alias = sfn.describe_state_machine_alias(stateMachineAliasArn=arn)
            arn = alias["routingConfiguration"][0]["stateMachineVersionArn"]
        except Exception:  # a version ARN, not an alias
            pass
    return json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"])


def start(sfn: Any, target_arn: str, parameters: dict[str, Any], name: str | None = None, validate: bool = True) -> str:
    if validate:
        from asl_export.params import check_against_schema

        schema = embedded_schema(machine_definition(sfn, target_arn))
        problems = check_against_schema(schema, parameters) if schema else []
        if problems:
            raise ValueError("invalid parameters: " + "; ".join(problems))
    return sfn.start_execution(stateMachineArn=target_arn, name=name or f"run-{uuid.uuid4().hex[:20]}",
                               input=json.dumps(parameters))["executionArn"]


def history(sfn: Any, execution_arn: str) -> list[dict[str, Any]]:
    events, token = [], None
    while True:
        page = sfn.get_execution_history(executionArn=execution_arn, **({"nextToken": token} if token else {}))
        events += page["events"]
        token = page.get("nextToken")
        if not token:
            return events


def status(sfn: Any, execution_arn: str) -> dict[str, Any]:
    """describe_execution plus a per-state summary of the history."""
    from asl_export.local import failure_of

    described = sfn.describe_execution(executionArn=execution_arn)
    events = history(sfn, execution_arn)
    entered = Counter(e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e)
    failed_state, error, cause = failure_of(events) if described["status"] != "SUCCEEDED" else (None, None, None)
    return {"status": described["status"], "name": described["name"], "start": described.get("startDate"),
            "stop": described.get("stopDate"), "events": len(events), "states_entered": dict(entered),
            "failed_state": failed_state, "error": error or described.get("error"),
            "cause": cause or described.get("cause"), "output": described.get("output")}


def redrive(sfn: Any, execution_arn: str) -> dict[str, Any]:
    try:
        response = sfn.redrive_execution(executionArn=execution_arn)
    except Exception as exc:  # botocore raises per-service classes; the text is what matters here
        text = str(exc)
        if "not been implemented" in text or "NotImplemented" in text or "UnknownOperation" in text:
            raise OperationError(
                f"this endpoint does not implement RedriveExecution ({text.splitlines()[0]}); "
                "use resume (a new execution from the failed state) instead"
            ) from exc
        raise OperationError(f"redrive refused: {text}") from exc
    return {"execution": execution_arn, "redriveDate": response.get("redriveDate")}


def resume_from_failure(sfn: Any, execution_arn: str, role_arn: str | None = None) -> str:
    """Start a new execution at the top-level state that failed, with the input it had then."""
    described = sfn.describe_execution(executionArn=execution_arn)
    if described["status"] not in ("FAILED", "TIMED_OUT", "ABORTED"):
        raise OperationError(f"execution is {described['status']}; only failed executions can be resumed")
    machine = sfn.describe_state_machine(stateMachineArn=described["stateMachineArn"])
    definition = json.loads(machine["definition"])
    top = set(definition["States"]) - {HOOKS, FAILED}
    restart: tuple[str, str] | None = None
    for event in history(sfn, execution_arn):
        details = event.get("stateEnteredEventDetails")
        if details and details["name"] in (HOOKS, FAILED):
            break
        if details and details["name"] in top:
            restart = (details["name"], details.get("input", "{}"))
    if restart is None:
        raise OperationError("no top-level state was entered before the failure; start a new execution instead")
    state, state_input = restart
    definition["StartAt"] = state
    body = json.dumps(definition)
    digest = hashlib.sha1(body.encode()).hexdigest()[:10]
    name = f"{machine['name'][:60]}-resume-{digest}"
    arn = find_machine(sfn, name) or sfn.create_state_machine(
        name=name, definition=body, roleArn=role_arn or machine["roleArn"], type=machine.get("type", "STANDARD"),
    )["stateMachineArn"]
    return sfn.start_execution(stateMachineArn=arn, name=f"resume-{uuid.uuid4().hex[:20]}", input=state_input)["executionArn"]
