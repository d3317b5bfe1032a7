"""`recon rerun`: operations' ad-hoc rerun of a date, account or broker, in Prefect or Step Functions."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import typer

from cli.common import EXIT_EXTERNAL, console, fail, table


def register(app: typer.Typer) -> None:
    app.command("rerun")(rerun)


def rerun(
    trade_date: str = typer.Option(..., "--date", help="Trade date to rerun, YYYY-MM-DD."),
    account: list[str] = typer.Option(None, "--account", help="Only this account (repeatable)."),
    broker: list[str] = typer.Option(None, "--broker", help="Only this broker (repeatable)."),
    landing: Path = typer.Option(None, "--landing", help="Landing directory (default RECON_LANDING_ROOT/<date>)."),
    out: Path = typer.Option(None, "--out", help="Where the run writes its files (default under RECON_HOME)."),
    force: bool = typer.Option(False, "--force", help="Re-land files even if their content did not change."),
    target: str = typer.Option("prefect", "--target", help="prefect (the adhoc deployment) or stepfunctions."),
    deployment: str = typer.Option("adhoc", "--deployment", help="Prefect deployment name (prefect target)."),
    state_machine: str = typer.Option(None, "--state-machine", envvar="RECON_STATE_MACHINE_ARN",
                                      help="State machine (or alias) ARN (stepfunctions target)."),
    redrive: str = typer.Option(None, "--redrive", help="Redrive this failed execution ARN instead of starting one."),
    endpoint_url: str = typer.Option(None, "--endpoint-url", envvar="ASL_SFN_ENDPOINT",
                                     help="Step Functions endpoint (a local server)."),
    wait: bool = typer.Option(True, "--wait/--no-wait", help="Wait for the run to finish."),
) -> None:
    """Start an ad-hoc reconciliation run; reruns are idempotent (same breaks, no duplicate incidents)."""
    try:
        d = date.fromisoformat(trade_date)
    except ValueError:
        fail(f"--date {trade_date!r} is not a date", hint="use YYYY-MM-DD")
    params = {
        "trade_date": d.isoformat(),
        "accounts": account or None,
        "brokers": broker or None,
        "landing_dir": str(landing.resolve()) if landing else None,
        "out_dir": str(out.resolve()) if out else None,
        "force": force,
    }
    params = {k: v for k, v in params.items() if v is not None}
    if target == "prefect":
        _prefect(deployment, params, wait)
    elif target == "stepfunctions":
        _stepfunctions(state_machine, redrive, params, endpoint_url, wait)
    else:
        fail(f"--target must be prefect or stepfunctions, not {target!r}")


def _prefect(deployment: str, params: dict, wait: bool) -> None:
    from prefect.deployments import run_deployment

    from flows.daily import daily_reconciliation

    name = f"{daily_reconciliation.name}/{deployment}"
    try:
        with console.status(f"running deployment {name} ..." if wait else f"starting {name} ..."):
            run = run_deployment(name, parameters=params, timeout=None if wait else 0, poll_interval=1)
    except Exception as exc:  # the API is down or the deployment is not served
        fail(f"could not start {name}: {exc}", hint="start the server and deployments with `recon ui`", code=EXIT_EXTERNAL)
    state = run.state.name if run.state else "unknown"
    console.print(table("Prefect run", [{"flow_run": str(run.id), "deployment": name, "state": state,
                                         "parameters": json.dumps(params)}]))
    if wait and not (run.state and run.state.is_completed()):
        raise typer.Exit(1)


def _stepfunctions(machine: str | None, redrive: str | None, params: dict, endpoint_url: str | None, wait: bool) -> None:
    import time

    from asl_export import aws

    sfn = aws.client(endpoint_url)
    try:
        if redrive:
            aws.redrive(sfn, redrive)
            arn = redrive
        else:
            if not machine:
                fail("no state machine given", hint="pass --state-machine ARN or set RECON_STATE_MACHINE_ARN")
            arn = aws.start(sfn, machine, params)
        status = aws.status(sfn, arn)
        while wait and status.get("status") == "RUNNING":
            time.sleep(1)
            status = aws.status(sfn, arn)
    except ValueError as exc:
        fail(str(exc))
    except aws.OperationError as exc:
        fail(str(exc), code=EXIT_EXTERNAL)
    console.print(table("Step Functions execution", [{"execution": arn, "status": status.get("status")}]))
    if wait and status.get("status") != "SUCCEEDED":
        raise typer.Exit(1)
