"""Retries, timeouts, failure hooks and parameter validation."""

from __future__ import annotations

import datetime as dt
import pathlib
import time
from decimal import Decimal

from prefect import flow, task


@task(retries=3, retry_delay_seconds=0)
def flaky(counter_path: str, fail_times: int) -> int:
    """Fails its first `fail_times` attempts (counted in a file), then returns the attempt number."""
    path = pathlib.Path(counter_path)
    attempt = int(path.read_text()) + 1 if path.exists() else 1
    path.write_text(str(attempt))
    if attempt <= fail_times:
        raise ConnectionError(f"attempt {attempt} failed")
    return attempt


@flow
def retry_flow(counter_path: str, fail_times: int = 2) -> int:
    return flaky(counter_path, fail_times)


@task(timeout_seconds=1)
def slow(seconds: float) -> str:
    time.sleep(seconds)
    return "done"


@flow
def timeout_flow(seconds: float = 3.0) -> str:
    return slow(seconds)


def write_marker(flow, flow_run, state) -> None:
    pathlib.Path(flow_run.parameters["marker_path"]).write_text(f"{flow.name} failed: {state.message}")


@task
def explode(reason: str) -> None:
    raise ValueError(reason)


@task
def prepare(reason: str) -> str:
    return f"bad: {reason}"


@flow(on_failure=[write_marker])
def failing_flow(marker_path: str, reason: str = "boom") -> None:
    explode(prepare(reason))


@task
def settle(trade_date: dt.date, lag: int, amount: Decimal, tags: list[str] | None) -> dict:
    return {"settle": trade_date + dt.timedelta(days=lag), "amount": amount, "tags": tags or ["default"]}


@flow
def params_flow(trade_date: dt.date, amount: Decimal, lag: int = 2, tags: list[str] | None = None) -> dict:
    return settle(trade_date, lag, amount, tags)
