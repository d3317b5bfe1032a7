"""Monitoring step: is the model still looking at the kind of data it was trained on?

After the day's pairs are scored (their links kept in anomaly_links), the drift of each feature
and of the score distribution is measured as PSI against the model's training sample
(recon/anomaly/monitor.py). A model with any PSI above the threshold (the AnomalyModel block's
drift_threshold, 0.25 by default) gets one P2 "model drift" incident per day through the incident
outbox (delivered with the run's other incidents; a rerun adds none) and a Prefect artifact with
the table. A day-fit (no registered model) is its own training sample: nothing to compare.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime

import numpy as np
from prefect import task
from prefect.cache_policies import NO_CACHE

from blocks.anomaly_model import AnomalyModel, get_anomaly_model
from blocks.warehouse import SqlStatements, Warehouse, get_warehouse
from recon import clock
from recon.anomaly.features import FEATURE_NAMES
from recon.anomaly.monitor import drift
from recon.logs import step_logger
from tasks.incidents import ensure_outbox

MIN_LINKS = 50  # below this a day's PSI is noise
DRIFT_PRIORITY = "P2"
SQL = SqlStatements("76_anomaly_steps.sql")


def day_links(wh: Warehouse, trade_date: date, model: str) -> tuple[np.ndarray, np.ndarray]:
    """The features and raw scores of the day's links a model scored (both pairs)."""
    wh.ensure_schema("72_anomaly_links.sql")
    rows = wh.fetch_rows(SQL.day_links, {"d": trade_date, "m": model})
    X = np.array([json.loads(r["features"]) for r in rows], dtype=np.float64).reshape(len(rows), -1)
    return X, np.array([r["raw_score"] for r in rows], dtype=np.float64)


def incident_payload(version: str, trade_date: date, table: list[dict], threshold: float, correlation_id: str,
                     run_id: str, training: dict) -> dict:
    """A break-shaped snapshot the outbox delivers like any incident (break_type MODEL_DRIFT)."""
    worst = [r for r in table if r["drifted"]]
    text = "; ".join(f"{r['name']} PSI {r['psi']:.3f}" for r in worst)
    window = training.get("trade_dates") or []
    brk = {
        "break_id": correlation_id, "break_type": "MODEL_DRIFT", "recon": "model", "status": "open",
        "priority": DRIFT_PRIORITY, "instrument_id": f"model {version}", "trade_date": trade_date.isoformat(),
        "anomaly_explanation": (f"PSI above {threshold} against the training sample of {version}"
                                f" ({window[0]}..{window[-1]}): " if window else f"PSI above {threshold}: ") + text,
        "first_seen": trade_date.isoformat(), "last_seen": trade_date.isoformat(),
    }
    return {"break": brk, "run_id": run_id, "event": "opened"}


def monitor_model(wh: Warehouse, trade_date: date, block: AnomalyModel | None = None,
                  threshold: float | None = None, now: datetime | None = None) -> dict:
    """PSI per feature and of the score for the day; one drift incident when any is above threshold."""
    block = block or AnomalyModel()
    threshold = block.drift_threshold if threshold is None else threshold
    model, _refused = block.scoring_model()
    if model is None or not model.monitor:
        return {"model": None, "note": "no registered model with a training sample: nothing to compare"}
    version = model.meta.get("version")
    X, raw = day_links(wh, trade_date, version)
    out: dict = {"model": version, "links": len(X), "threshold": threshold}
    if len(X) < MIN_LINKS:
        return {**out, "note": f"{len(X)} links scored by {version} on {trade_date}: too few to measure drift"}
    table = drift(model.monitor, model.explainer, X, raw, FEATURE_NAMES, threshold)
    drifted = [r["name"] for r in table if r["drifted"]]
    correlation_id = f"model-drift:{version}:{trade_date.isoformat()}"
    run_id = f"drift:{trade_date.isoformat()}"
    payload = incident_payload(version, trade_date, table, threshold, correlation_id, run_id,
                               model.meta.get("training") or {})
    ensure_outbox(wh)
    wh.run_file("74_model_drift_incident.sql", {
        "trade_date": trade_date, "model": version, "links": len(X), "max_psi": table[0]["psi"],
        "drifted": ",".join(drifted) or None, "threshold": threshold, "details": json.dumps(table),
        "now": now or clock.utcnow(), "raise": bool(drifted),
        "outbox_id": hashlib.md5(f"{correlation_id}|{run_id}|upsert".encode()).hexdigest(),
        "correlation_id": correlation_id, "run_id": run_id, "payload": json.dumps(payload, sort_keys=True),
    })
    out.update({"max_psi": table[0]["psi"], "drifted": drifted, "incident": correlation_id if drifted else None,
                "table": table})
    if drifted:
        step_logger().warning("model %s drifted on %s: %s", version, trade_date, ", ".join(drifted))
    return out


def _artifact(result: dict, trade_date: date) -> None:
    from prefect.artifacts import create_table_artifact
    from prefect.context import TaskRunContext

    if TaskRunContext.get() is None or not result.get("table"):
        return
    create_table_artifact(
        key=f"model-drift-{trade_date.isoformat()}",
        table=[{k: str(v) for k, v in r.items()} for r in result["table"]],
        description=(f"Drift of {result['model']} on {trade_date} (PSI vs its training sample; above "
                     f"{result['threshold']}: {', '.join(result['drifted']) or 'none'})"),
    )


@task(name="monitor-anomaly-model", cache_policy=NO_CACHE)
def monitor_model_task(trade_date: date, model_ref: str | None = None, warehouse_ref: str | None = None) -> dict:
    result = monitor_model(get_warehouse(warehouse_ref), trade_date, get_anomaly_model(model_ref))
    _artifact(result, trade_date)
    return {k: v for k, v in result.items() if k != "table"}
