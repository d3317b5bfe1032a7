"""Retrain the anomaly model and keep the better of the champion and the challenger.

Composition only: land the days (when landing directories are given; the scheduled run takes the
warehouse's last `last_days` trade dates), fit and register a challenger (analysts' labels on
those days set its per-kind thresholds), then score champion and challenger on labelled days and
promote the challenger unless it is worse by more than `margin` (the registry keeps the lineage:
data window, metrics, who promoted). States carry dates, versions and metrics only.
"""

from __future__ import annotations

from datetime import date

from prefect import flow

from recon.anomaly.features import DEFAULT_HISTORY_DAYS
from recon.anomaly.models import DEFAULT_CONTAMINATION, DEFAULT_DETECTOR
from tasks.anomaly_train import champion_challenger_task, fit_register_task, training_days_task


@flow(name="train-anomaly-model", timeout_seconds=3 * 3600)
def train_anomaly_model(
    landing_dirs: list[str] | None = None,
    trade_dates: list[date] | None = None,
    last_days: int = 20,
    eval_dirs: list[str] | None = None,
    detector: str = DEFAULT_DETECTOR,
    contamination: float = DEFAULT_CONTAMINATION,
    history_days: int = DEFAULT_HISTORY_DAYS,
    margin: float = 0.01,
    registry_dir: str | None = None,
    warehouse_ref: str | None = None,
) -> dict:
    """landing_dirs: generated/landed days with truth.json (in-sample metrics); trade_dates: days
    already in the warehouse; neither: the last `last_days`. eval_dirs: labelled days (truth.json,
    never training days) on which champion and challenger are compared; without them, the ANOMALY
    breaks analysts resolved on the training days.
    -> {"version", "training", "decision", "champion"}."""
    days = training_days_task(landing_dirs, trade_dates, warehouse_ref, last_days)
    challenger = fit_register_task(days, detector, contamination, history_days, registry_dir, warehouse_ref)
    return champion_challenger_task(challenger, eval_dirs, margin, registry_dir, warehouse_ref=warehouse_ref)
