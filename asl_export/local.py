"""Run compiled machines on moto's ASL interpreter, with Task states dispatched to real Python.

    with LocalStepFunctions() as sfn:           # or just asl_export.run_local(flow, params)
        output = sfn.run(compile_flow(my_flow), {"day": "2026-11-27"})

Lambda invocations go to asl_export.runtime.handler in this process (errors come back as
{"errorType", "errorMessage"} with x-amz-function-error: Unhandled, so Retry/Catch match by
exception class name). Claim checks go to a moto S3 bucket. Retry waits are real unless
`sleep` is given (tests pass a no-op).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import time
import types
import uuid
import zipfile
from collections.abc import Callable
from typing import Any

from asl_export.claimcheck import BUCKET_ENV, ClaimCheck
from asl_export.codec import decode
from asl_export.compiler import StateMachine, compile_flow
from asl_export.naming import FAILED, HOOKS
from asl_export.runtime import handler

FUNCTION_NAME = "asl-runtime"
ROLE_NAME = "asl-local-execution"
FAILURE_EVENTS = {
    "LambdaFunctionFailed": "lambdaFunctionFailedEventDetails",
    "LambdaFunctionTimedOut": "lambdaFunctionTimedOutEventDetails",
    "TaskFailed": "taskFailedEventDetails",
    "TaskTimedOut": "taskTimedOutEventDetails",
    "ExecutionFailed": "executionFailedEventDetails",
    "ExecutionTimedOut": "executionTimedOutEventDetails",
}


class ExecutionFailed(RuntimeError):
    """A local execution failed: names the state that failed first and its error."""

    def __init__(self, state: str | None, error: str | None, cause: str | None, arn: str) -> None:
        self.state, self.error, self.cause, self.execution_arn = state, error, cause, arn
        super().__init__(f"state '{state}' failed with {error}: {cause}")


def dispatch_invoke(self: Any, function_name: str, qualifier: Any, body: Any, headers: Any, response_headers: dict) -> bytes:
    """Replacement for moto's LambdaSimpleBackend.invoke: run the runtime handler in-process."""
    try:
        event = json.loads(body or b"{}")
        return json.dumps(handler(event, None)).encode("utf-8")
    except Exception as exc:  # reported to Step Functions like a Lambda error
        response_headers["x-amz-function-error"] = "Unhandled"
        return json.dumps({"errorType": type(exc).__name__, "errorMessage": str(exc)}).encode("utf-8")


class LocalStepFunctions:
    def __init__(self, region: str = "us-east-1", bucket: str = "asl-local-claim-check",
                 sleep: Callable[[float], None] | None = None, server_port: int | None = None) -> None:
        self.region = region
        self.bucket = bucket
        self.sleep = sleep
        self.server_port = server_port
        self._undo: list[Callable[[], None]] = []
        self._machines: dict[str, str] = {}
        self.function_arn = ""
        self.role_arn = ""

    # --- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> LocalStepFunctions:
        import boto3
        from moto import mock_aws
        from moto.awslambda_simple.models import LambdaSimpleBackend
        from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

        self._set_env("AWS_DEFAULT_REGION", self.region)
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            self._set_env(name, os.environ.get(name, "testing"))
        self._set_env(BUCKET_ENV, self.bucket)
        original_invoke = LambdaSimpleBackend.invoke
        LambdaSimpleBackend.invoke = dispatch_invoke
        self._undo.append(lambda: setattr(LambdaSimpleBackend, "invoke", original_invoke))
        if self.sleep is not None:
            original_time = retrier_decl.time
            retrier_decl.time = types.SimpleNamespace(sleep=self.sleep, time=time.time, monotonic=time.monotonic)
            self._undo.append(lambda: setattr(retrier_decl, "time", original_time))
        self.mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}})
        self.mock.start()
        self._undo.append(self.mock.stop)
        if self.server_port is not None:
            from moto.server import ThreadedMotoServer

            server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.server_port)
            server.start()
            self._set_env("MOTO_PORT", str(self.server_port))
            self._undo.append(server.stop)
        self.sfn = boto3.client("stepfunctions", region_name=self.region)
        self._provision(boto3)
        return self

    def __exit__(self, *exc: Any) -> None:
        while self._undo:
            self._undo.pop()()

    def _set_env(self, name: str, value: str) -> None:
        previous = os.environ.get(name)
        os.environ[name] = value
        self._undo.append(lambda: os.environ.pop(name, None) if previous is None else os.environ.__setitem__(name, previous))

    def _provision(self, boto3: Any) -> None:
        iam = boto3.client("iam", region_name=self.region)
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                 "Principal": {"Service": ["lambda.amazonaws.com", "states.amazonaws.com"]}}]}
        self.role_arn = iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        package = io.BytesIO()
        with zipfile.ZipFile(package, "w") as zf:
            zf.writestr("asl_export_runtime.py", "from asl_export.runtime import handler\n")
        self.function_arn = boto3.client("lambda", region_name=self.region).create_function(
            FunctionName=FUNCTION_NAME, Runtime="python3.11", Role=self.role_arn,
            Handler="asl_export.runtime.handler", Code={"ZipFile": package.getvalue()}, Timeout=900,
        )["FunctionArn"]
        boto3.client("s3", region_name=self.region).create_bucket(Bucket=self.bucket)
        self.store = ClaimCheck(self.bucket)

    # --- running -------------------------------------------------------------------------------
    def machine_arn(self, machine: StateMachine) -> str:
        # ECS tasks: same event, same S3 result key, but dispatched through the local Lambda
        # (moto's ecs:runTask integration does not translate parameters; see asl_export/README.md).
        ecs = {**machine.settings.ecs, "bucket": self.bucket, "dispatch_arn": self.function_arn}
        definition = json.dumps(machine.with_function(self.function_arn, ecs=ecs))
        digest = hashlib.sha1(definition.encode()).hexdigest()[:12]
        if digest not in self._machines:
            name = f"{machine.flow.name}-{digest}"[:80].replace(" ", "-")
            self._machines[digest] = self.sfn.create_state_machine(
                name=name, definition=definition, roleArn=self.role_arn, type=machine.machine_type,
            )["stateMachineArn"]
        return self._machines[digest]

    def start(self, machine: StateMachine, execution_input: Any) -> str:
        return self.sfn.start_execution(
            stateMachineArn=self.machine_arn(machine), name=f"local-{uuid.uuid4().hex}",
            input=json.dumps(execution_input),
        )["executionArn"]

    def wait(self, execution_arn: str, timeout: float = 600.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            described = self.sfn.describe_execution(executionArn=execution_arn)
            if described["status"] != "RUNNING":
                return described
            if time.monotonic() > deadline:
                raise TimeoutError(f"execution {execution_arn} still running after {timeout} s")
            time.sleep(0.02)

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        events, token = [], None
        while True:
            page = self.sfn.get_execution_history(executionArn=execution_arn, **({"nextToken": token} if token else {}))
            events += page["events"]
            token = page.get("nextToken")
            if not token:
                return events

    def result(self, execution_arn: str, described: dict[str, Any]) -> Any:
        if described["status"] == "SUCCEEDED":
            return decode(json.loads(described.get("output") or "{}").get("value"), self.store.load)
        state, error, cause = failure_of(self.history(execution_arn))
        raise ExecutionFailed(state, error or described.get("error"), cause or described.get("cause"), execution_arn)

    def run(self, machine: StateMachine, parameters: dict[str, Any] | None = None, validate: bool = True) -> Any:
        """Run one execution with Python parameter values; return the decoded flow result."""
        from pydantic_core import to_jsonable_python

        if validate:
            from asl_export.params import validate_input

            validate_input(machine.flow, parameters or {})
        execution_input = to_jsonable_python(parameters or {})
        arn = self.start(machine, execution_input)
        return self.result(arn, self.wait(arn))


def _message(cause: str | None) -> str | None:
    """A Lambda error's Cause is JSON {"errorType", "errorMessage", ...}: keep the message."""
    try:
        parsed = json.loads(cause or "")
    except ValueError:
        return cause
    return parsed.get("errorMessage", cause) if isinstance(parsed, dict) else cause


def failure_of(events: list[dict[str, Any]]) -> tuple[str | None, str | None, str | None]:
    """(state, error, cause) of the failure that sent the execution to its failure states."""
    entered: str | None = None
    found: tuple[str | None, str | None, str | None] = (None, None, None)
    for event in events:
        kind = event["type"]
        if kind.endswith("StateEntered"):
            name = event["stateEnteredEventDetails"]["name"]
            if name in (HOOKS, FAILED):
                return found
            entered = name
        elif kind in FAILURE_EVENTS and kind not in ("ExecutionFailed", "ExecutionTimedOut"):
            details = event.get(FAILURE_EVENTS[kind], {})
            found = (entered, details.get("error"), _message(details.get("cause")))
        elif kind in ("ExecutionFailed", "ExecutionTimedOut") and found == (None, None, None):
            details = event.get(FAILURE_EVENTS[kind], {})
            found = (entered, details.get("error"), _message(details.get("cause")))
    return found


def run_local(flow: Any, parameters: dict[str, Any] | None = None, *, sleep: Callable[[float], None] | None = None,
              runner: LocalStepFunctions | None = None, **compile_options: Any) -> Any:
    """Compile `flow`, run it on moto's ASL interpreter and return what the Prefect run returns.
    Raises ExecutionFailed naming the failed state and the error when the execution fails."""
    machine = compile_flow(flow, **compile_options)
    if runner is not None:
        return runner.run(machine, parameters)
    with LocalStepFunctions(sleep=sleep) as local:
        return local.run(machine, parameters)
