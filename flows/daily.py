"""The end-of-day reconciliation: land the day, match it, publish breaks, report.

Composition only: every step is a task in tasks/. The same flow runs under Prefect and, compiled
by asl_export, in Step Functions; tasks pass small JSON (a run id, file lists, counts), and the
data itself stays in the warehouse.
"""

from __future__ import annotations

from datetime import date

from prefect import flow, unmapped

from tasks.anomaly import land_market_reference_task, score_anomalies_task
from tasks.artifacts import publish_artifacts_task
from tasks.break_store import publish_breaks_task
from tasks.incident_sync import sync_incident_states_task
from tasks.incidents import deliver_outbox_task, enqueue_incident_changes_task
from tasks.land import (
    dropcopy_batches_task,
    land_dropcopy_task,
    land_file_task,
    land_instruments_task,
    mapped_files_task,
    resolve_inputs_task,
)
from tasks.match import match_task
from tasks.results import export_results_task
from tasks.run_context import default_landing_task, resolve_trade_date_task, start_run_task


@flow(name="daily-reconciliation", timeout_seconds=3 * 3600)
def daily_reconciliation(
    trade_date: date | None = None,
    accounts: list[str] | None = None,
    brokers: list[str] | None = None,
    landing_dir: str | None = None,
    inputs: dict | None = None,
    out_dir: str | None = None,
    warehouse_ref: str | None = None,
    servicenow_ref: str | None = None,
    run_id: str | None = None,
    force: bool = False,
    model_ref: str | None = None,
) -> dict:
    """Reconcile one trade date: internal bookings against each prime broker's file and drop copy.

    trade_date defaults to today (New York). accounts / brokers narrow the run (an ad-hoc rerun of
    one account or broker). landing_dir is a directory laid out as `recon generate` writes it
    (default RECON_LANDING_ROOT/<date>), or `inputs` names the files explicitly (a
    recon.inputs.DayInputs). Files are landed by content: one already landed with the same bytes,
    from any path, is not landed again unless force is set. servicenow_ref names a
    saved ServiceNow block; without one, incidents stay queued in the outbox (the embedded default).
    model_ref names a saved AnomalyModel block (default: PyOD in process, the newest registered
    model for the feature schema, else one fitted on the day).
    """
    trade_date = resolve_trade_date_task(trade_date)
    run = start_run_task(trade_date, run_id, out_dir)
    day = resolve_inputs_task(default_landing_task(trade_date, landing_dir, inputs), inputs)
    instruments = land_instruments_task(day, warehouse_ref)
    reference = land_market_reference_task(day, trade_date, warehouse_ref)
    landed = land_file_task.map(
        mapped_files_task(day), unmapped(trade_date), unmapped(run), unmapped(force), unmapped(warehouse_ref),
        wait_for=[instruments],
    )
    dropcopy = land_dropcopy_task.map(  # one lifecycle batch per broker
        dropcopy_batches_task(day), unmapped(day), unmapped(trade_date), unmapped(run), unmapped(force),
        unmapped(warehouse_ref), wait_for=[instruments],
    )

    # One pair at a time: the passes share the warehouse's work tables.
    vs_broker = match_task(trade_date, "broker", brokers, accounts, warehouse_ref, wait_for=[landed, dropcopy, reference])
    vs_broker = score_anomalies_task(trade_date, vs_broker, model_ref, warehouse_ref)
    published = publish_breaks_task(trade_date, run, vs_broker, warehouse_ref)
    vs_dropcopy = match_task(trade_date, "dropcopy", brokers, accounts, warehouse_ref, wait_for=[published])
    vs_dropcopy = score_anomalies_task(trade_date, vs_dropcopy, model_ref, warehouse_ref)
    published_dc = publish_breaks_task(trade_date, run, vs_dropcopy, warehouse_ref)

    # Incidents go through the outbox: ServiceNow being slow or down never blocks the results.
    queued = enqueue_incident_changes_task(run, warehouse_ref, wait_for=[published, published_dc])
    delivered = deliver_outbox_task(warehouse_ref, servicenow_ref, wait_for=[queued])
    sync_incident_states_task(warehouse_ref, servicenow_ref, wait_for=[delivered])

    summary = export_results_task(
        trade_date, run, landed, dropcopy, [published, published_dc], delivered, warehouse_ref
    )
    publish_artifacts_task(summary, warehouse_ref)
    return summary
