"""Land one trading day's inputs in the warehouse and nothing else: the instrument master, the
mapped files, each broker's drop-copy batch. The same landing tasks as the daily flow
(tasks/land.py); composition only."""

from __future__ import annotations

from prefect import flow, unmapped

from tasks.land import (
    dropcopy_batches_task,
    land_dropcopy_task,
    land_file_task,
    land_instruments_task,
    landing_totals_task,
    mapped_files_task,
    resolve_inputs_task,
)


@flow(name="ingest-day", log_prints=False)
def ingest_day(
    landing_dir: str | None = None,
    inputs: dict | None = None,
    trade_date: str | None = None,
    run_id: str | None = None,
    force: bool = False,
    warehouse_ref: str | None = None,
) -> dict:
    """landing_dir: a landing directory (reference/, internal/, broker/, dropcopy/); or `inputs`, a
    recon.inputs.DayInputs naming the files. Files already landed with the same bytes are skipped
    unless force. warehouse_ref: a saved Warehouse block name; None = DuckDB under RECON_HOME.
    -> {"files": [control totals per mapped file], "dropcopy": [control totals per FIX file]}"""
    day = resolve_inputs_task(landing_dir, inputs, False)
    run = {"run_id": run_id}
    loaded = land_instruments_task(day, warehouse_ref)
    files = land_file_task.map(
        mapped_files_task(day), unmapped(trade_date), unmapped(run), unmapped(force), unmapped(warehouse_ref),
        wait_for=[loaded],
    )
    batches = land_dropcopy_task.map(
        dropcopy_batches_task(day), unmapped(day), unmapped(trade_date), unmapped(run), unmapped(force),
        unmapped(warehouse_ref), wait_for=[loaded],
    )
    return landing_totals_task(files, batches)
