"""Land one trading day's inputs in the warehouse: instrument master, internal and broker files
through their mappings, FIX drop copies. Composition only: the steps live in tasks/ingest.py."""

from __future__ import annotations

from prefect import flow

from tasks.ingest import ingest_dropcopy_task, ingest_files_task, load_instruments_task, plan_inputs_task


@flow(name="ingest-day", log_prints=False)
def ingest_day(
    day_dir: str | None = None,
    instruments: str | None = None,
    internal: list[str] | None = None,
    brokers: list[str] | None = None,
    dropcopy: list[str] | None = None,
    trade_date: str | None = None,
    run_id: str | None = None,
    warehouse_ref: str | None = None,
) -> dict:
    """day_dir: a generated day (reference/, internal/, broker/, dropcopy/); or explicit inputs:
    internal ["PATH[:MAPPING]"], brokers ["NAME=PATH[:MAPPING]"], dropcopy ["NAME=PATH"].
    warehouse_ref: a saved Warehouse block name; None = DuckDB under RECON_HOME.
    -> {"files": [control totals per CSV file], "dropcopy": [control totals per FIX file]}"""
    plan = plan_inputs_task(day_dir, instruments, internal, brokers, dropcopy)
    loaded = load_instruments_task(plan, warehouse_ref)
    files = ingest_files_task(plan, trade_date, run_id, warehouse_ref, wait_for=[loaded])
    fix = ingest_dropcopy_task(plan, trade_date, run_id, warehouse_ref, wait_for=[loaded])
    return {"files": files, "dropcopy": fix}
