"""A run's identity and where its outputs go."""

from __future__ import annotations

import os
import uuid
from datetime import date
from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE

from recon import clock
from recon.paths import recon_home


def start_run(trade_date: date, run_id: str | None = None, out_dir: str | None = None) -> dict:
    """-> {run_id, out_dir}. The Prefect flow-run id names the run when there is one."""
    if not run_id:
        try:
            from prefect.runtime import flow_run

            run_id = flow_run.id
        except Exception:  # outside a flow run (plain function call, Step Functions task)
            run_id = None
        run_id = str(run_id or uuid.uuid4())
    out = Path(out_dir) if out_dir else recon_home() / "runs" / trade_date.isoformat() / run_id
    out.mkdir(parents=True, exist_ok=True)
    return {"run_id": run_id, "out_dir": str(out.resolve())}


def resolve_trade_date(trade_date: date | None) -> date:
    """A scheduled run gives no date: it reconciles today in New York."""
    return trade_date or clock.today()


def default_landing(trade_date: date, landing_dir: str | None, inputs: dict | None) -> str | None:
    """Where a run without explicit inputs looks: RECON_LANDING_ROOT/<date> (default RECON_HOME/landing)."""
    if landing_dir or inputs:
        return landing_dir
    root = Path(os.environ.get("RECON_LANDING_ROOT") or recon_home() / "landing")
    return str(root / trade_date.isoformat())


start_run_task = task(start_run, name="start-run", cache_policy=NO_CACHE)
resolve_trade_date_task = task(resolve_trade_date, name="resolve-trade-date", cache_policy=NO_CACHE)
default_landing_task = task(default_landing, name="default-landing", cache_policy=NO_CACHE)
