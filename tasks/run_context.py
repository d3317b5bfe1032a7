"""A run's identity and where its outputs go."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE

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


start_run_task = task(start_run, name="start-run", cache_policy=NO_CACHE)
