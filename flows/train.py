"""Train the anomaly model on landed days and register it (RECON_HOME/models).

Composition only: land the days (when landing directories are given), then match, compute
features, fit and register in one task (the features stay in the warehouse and the process; the
states carry dates and the new version).
"""

from __future__ import annotations

from datetime import date

from prefect import flow

from recon.anomaly.features import DEFAULT_HISTORY_DAYS
from recon.anomaly.models import DEFAULT_CONTAMINATION, DEFAULT_DETECTOR
from tasks.anomaly_train import fit_register_task, training_days_task


@flow(name="train-anomaly-model", timeout_seconds=3 * 3600)
def train_anomaly_model(
    landing_dirs: list[str] | None = None,
    trade_dates: list[date] | None = None,
    detector: str = DEFAULT_DETECTOR,
    contamination: float = DEFAULT_CONTAMINATION,
    history_days: int = DEFAULT_HISTORY_DAYS,
    registry_dir: str | None = None,
    warehouse_ref: str | None = None,
) -> dict:
    """landing_dirs: generated/landed days with truth.json (metrics); trade_dates: days already in
    the warehouse (no labels). -> {"version", "metrics", "training"}."""
    days = training_days_task(landing_dirs, trade_dates, warehouse_ref)
    return fit_register_task(days, detector, contamination, history_days, registry_dir, warehouse_ref)
