"""`recon asl`: compile Prefect flows to Step Functions, deploy, start, inspect, redrive, run locally.

Logic lives in asl_export (asl_export/cli.py and friends); this module is the typer layer.
"""

from __future__ import annotations

from pathlib import Path

import typer

from cli.common import EXIT_EXTERNAL, console, fail, table

app = typer.Typer(help="Compile flows to AWS Step Functions (ASL), deploy and run them.", no_args_is_help=True)

FLOW_ARG = typer.Argument(..., help="MODULE:FLOW, e.g. flows.daily:daily_reconciliation or flows/daily.py:daily_reconciliation")
PARAM_OPT = typer.Option([], "--param", "-p", help="NAME=VALUE (VALUE parsed as JSON when it parses); repeatable")
ENDPOINT_OPT = typer.Option(None, "--endpoint-url", envvar="ASL_SFN_ENDPOINT", help="Step Functions endpoint (e.g. a local moto server)")


def _flow(reference: str):
    from asl_export.cli import UsageError, load_flow

    try:
        return load_flow(reference)
    except UsageError as exc:
        fail(str(exc))


def _compile(flow, **options):
    from asl_export import CompileError, compile_flow

    try:
        return compile_flow(flow, **options)
    except CompileError as exc:
        fail(f"cannot compile flow '{flow.name}': {exc}")


def _params(pairs: list[str], input_json: str | None):
    from asl_export.cli import UsageError, parse_params

    try:
        return parse_params(pairs, input_json)
    except UsageError as exc:
        fail(str(exc))


@app.command()
def build(
    flow_ref: str = FLOW_ARG,
    out: Path = typer.Option(Path("build/asl"), "--out", "-o", help="Directory for the ASL, template and graph"),
    machine_type: str = typer.Option("STANDARD", "--type", help="STANDARD or EXPRESS"),
    map_size: int = typer.Option(None, "--map-size", help="Map size for the history-events estimate"),
    distributed_above: int = typer.Option(1000, "--distributed-above", help="Expected items above which a Map is Distributed"),
    inline_limit: int = typer.Option(200 * 1024, "--inline-limit", help="Largest result (bytes) kept in the state; larger -> S3"),
    deployment: str = typer.Option(None, "--deployment", help="Only this prefect.yaml deployment's schedule"),
    prefect_yaml: Path = typer.Option(Path("prefect.yaml"), "--prefect-yaml", help="Where schedules are read from"),
    validate: bool = typer.Option(True, "--validate/--no-validate", help="Run asl-validator, statelint and cfn-lint"),
) -> None:
    """Write <flow>.asl.json, <flow>.template.json (CloudFormation) and <flow>.mmd (Mermaid)."""
    from asl_export.cli import cfn_lint, write_build
    from asl_export.schedule import ScheduleError, schedules_for
    from asl_export.validate import validate_definition

    flow = _flow(flow_ref)
    machine = _compile(flow, machine_type=machine_type.upper(), map_size=map_size,
                       distributed_map_above=distributed_above, inline_limit=inline_limit)
    try:
        schedules = schedules_for(flow, prefect_yaml.resolve(), deployment)
    except ScheduleError as exc:
        fail(str(exc))
    paths = write_build(machine, out, schedules)
    rows = [{"check": k.replace("_", " "), "result": v} for k, v in machine.metrics.items()]
    rows += [{"check": f"schedule ({s.deployment})", "result": f"{s.expression} {s.timezone}"} for s in schedules]
    problems: list[str] = []
    if validate:
        with console.status("validating (asl-validator, statelint, cfn-lint)..."):
            report = validate_definition(machine.definition)
            report["cfn-lint"] = cfn_lint(paths["template"])
        for tool, found in report.items():
            rows.append({"check": tool, "result": "ok" if not found else "FAILED"})
            problems += [f"{tool}: {p}" for p in found]
    rows += [{"check": f"wrote {kind}", "result": str(path)} for kind, path in paths.items()]
    console.print(table(f"asl build {flow.name}", rows, ["check", "result"]))
    if problems:
        fail("validation failed:\n" + "\n".join(problems))


@app.command()
def deploy(
    flow_ref: str = FLOW_ARG,
    role_arn: str = typer.Option(..., "--role-arn", help="IAM role the state machine runs as"),
    function_arn: str = typer.Option(..., "--function-arn", help="The runtime Lambda (asl_export.runtime.handler)"),
    name: str = typer.Option(None, "--name", help="State machine name (default: the flow name)"),
    alias: str = typer.Option("live", "--alias", help="Alias moved to the new version"),
    machine_type: str = typer.Option("STANDARD", "--type", help="STANDARD or EXPRESS"),
    endpoint_url: str = ENDPOINT_OPT,
) -> None:
    """Create or update the state machine (publish=True) and point the alias at the new version."""
    from asl_export import aws

    flow = _flow(flow_ref)
    machine = _compile(flow, machine_type=machine_type.upper())
    try:
        result = aws.deploy(aws.client(endpoint_url), name or flow.name, machine.with_function(function_arn),
                            role_arn, machine.machine_type, alias)
    except Exception as exc:
        fail(f"deploy failed: {exc}", code=EXIT_EXTERNAL)
    console.print(table("asl deploy", [{"field": k, "value": v} for k, v in result.items()], ["field", "value"]))


@app.command()
def start(
    target_arn: str = typer.Argument(..., help="State machine, version or alias ARN"),
    param: list[str] = PARAM_OPT,
    input_json: str = typer.Option(None, "--input-json", help="All parameters as one JSON object"),
    name: str = typer.Option(None, "--name", help="Execution name (default: unique)"),
    endpoint_url: str = ENDPOINT_OPT,
) -> None:
    """Start an execution; parameters are validated against the schema in the deployed definition."""
    from asl_export import aws

    params = _params(param, input_json)
    sfn = aws.client(endpoint_url)
    try:
        arn = aws.start(sfn, target_arn, params, name)
    except ValueError as exc:
        fail(str(exc))
    except Exception as exc:
        fail(f"start failed: {exc}", code=EXIT_EXTERNAL)
    console.print(arn)


@app.command()
def status(execution_arn: str = typer.Argument(...), endpoint_url: str = ENDPOINT_OPT) -> None:
    """describe_execution and a summary of the history (states entered, the failure)."""
    from asl_export import aws

    try:
        info = aws.status(aws.client(endpoint_url), execution_arn)
    except Exception as exc:
        fail(f"status failed: {exc}", code=EXIT_EXTERNAL)
    summary = [{"field": k, "value": info[k]} for k in ("status", "name", "start", "stop", "events",
                                                         "failed_state", "error", "cause") if info[k] is not None]
    console.print(table("execution", summary, ["field", "value"]))
    console.print(table("states entered", [{"state": k, "times": v} for k, v in info["states_entered"].items()],
                        ["state", "times"]))
    if info["status"] == "FAILED":
        raise typer.Exit(1)


@app.command()
def redrive(
    execution_arn: str = typer.Argument(...),
    resume: bool = typer.Option(False, "--resume", help="Where RedriveExecution is unsupported: start a new "
                                "execution at the failed top-level state with the input it had"),
    endpoint_url: str = ENDPOINT_OPT,
) -> None:
    """Redrive a failed execution: re-run only what failed."""
    from asl_export import aws

    sfn = aws.client(endpoint_url)
    try:
        result = aws.redrive(sfn, execution_arn)
        console.print(table("asl redrive", [{"field": k, "value": v} for k, v in result.items()], ["field", "value"]))
        return
    except aws.OperationError as exc:
        if not resume:
            fail(str(exc), hint="add --resume to re-run from the failed state as a new execution", code=EXIT_EXTERNAL)
        console.print(f"[yellow]{exc}[/]")
    try:
        console.print(aws.resume_from_failure(sfn, execution_arn))
    except aws.OperationError as exc:
        fail(str(exc), code=EXIT_EXTERNAL)


@app.command("run-local")
def run_local(
    flow_ref: str = FLOW_ARG,
    param: list[str] = PARAM_OPT,
    input_json: str = typer.Option(None, "--input-json", help="All parameters as one JSON object"),
    compare: bool = typer.Option(False, "--compare", help="Also run the flow with Prefect and report differences"),
    no_wait: bool = typer.Option(False, "--no-retry-wait", help="Skip Retry waits (tests, demos)"),
) -> None:
    """Run the compiled machine on moto's ASL interpreter with tasks dispatched to Python."""
    try:
        import moto  # noqa: F401
    except ImportError:
        fail("recon asl run-local needs moto (its Step Functions interpreter): pip install 'fix-recon[aws-local]'")
    from asl_export.local import ExecutionFailed, LocalStepFunctions
    from asl_export.params import ParameterError

    flow = _flow(flow_ref)
    params = _params(param, input_json)
    machine = _compile(flow)
    try:
        with console.status(f"running {flow.name} on the local Step Functions interpreter..."), \
                LocalStepFunctions(sleep=(lambda s: None) if no_wait else None) as sfn:
            result = sfn.run(machine, params)
    except ExecutionFailed as exc:
        fail(str(exc), code=1)
    except (ParameterError, ValueError) as exc:
        fail(f"invalid parameters: {exc}")
    console.print(table("step functions (local) result", [{"result": repr(result)}], ["result"]))
    if compare:
        with console.status("running the same flow with Prefect..."):
            expected = flow(**params)
        same = expected == result
        console.print(table("compare", [{"engine": "prefect", "result": repr(expected)},
                                        {"engine": "step functions (local)", "result": repr(result)},
                                        {"engine": "equal", "result": same}], ["engine", "result"]))
        if not same:
            raise typer.Exit(1)
