"""Scoring step: features for the pair just matched, anomaly scores for every link, anomalous
matches turned into ANOMALY breaks, outputs re-derived.

Runs between match_task and publish_breaks_task for each pair (flows/daily.py). Every link gets a
row in w_scores, matches and breaks alike: a break's score adds to its priority (62_triage.sql).
With no registered model for the running feature schema, the configured detector is fitted on
the day's own features (unsupervised), and the returned summary says so.
"""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
from prefect import task
from prefect.cache_policies import NO_CACHE

from blocks.anomaly_model import AnomalyModel, get_anomaly_model
from blocks.warehouse import SqlStatements, Warehouse, get_warehouse
from recon.anomaly.features import compute_features
from recon.anomaly.models import fit_model
from recon.logs import step_logger
from tasks.break_store import ensure_store

MIN_ROWS_TO_FIT = 20
SQL = SqlStatements("76_anomaly_steps.sql")
_PX = pa.decimal128(38, 10)


def land_reference(wh: Warehouse, reference_dir: str | Path, trade_date: date) -> dict:
    """The day's market data (VWAP, low, high), broker commission schedules and USD rates, if the
    landing has them.

    Idempotent: the date's market data and rates, and the schedules, are replaced.
    """
    ref = Path(reference_dir)
    wh.execute(_reference_ddl())
    landed = {"market_data": 0, "commission_schedules": 0, "fx_rates": 0}
    market = ref / "market_data.csv"
    if market.exists():
        rows = list(csv.DictReader(market.open(newline="")))
        wh.execute(SQL.clear_market_data, {"d": trade_date})
        landed["market_data"] = wh.load_arrow("market_data", pa.table({
            "trade_date": [trade_date] * len(rows),
            "instrument_id": [r["instrument_id"] for r in rows],
            **{k: pa.array([Decimal(r[k]) for r in rows], _PX) for k in ("vwap", "low", "high")},
        }))
    schedules = ref / "brokers.csv"
    if schedules.exists():
        rows = list(csv.DictReader(schedules.open(newline="")))
        landed["commission_schedules"] = wh.load_arrow("commission_schedules", pa.table({
            "broker": [r["broker"] for r in rows],
            "asset_class": [r["asset_class"] for r in rows],
            "basis": [r["commission_basis"] for r in rows],
            "rate": pa.array([Decimal(r["rate"]) for r in rows], _PX),
        }), replace=True)
    rates = ref / "fx_rates.csv"
    if rates.exists():
        ensure_store(wh)  # fx_rates lives with the break store, whose triage reads it
        rows = list(csv.DictReader(rates.open(newline="")))
        wh.execute(SQL.clear_fx_rates, {"d": trade_date})
        landed["fx_rates"] = wh.load_arrow("fx_rates", pa.table({
            "trade_date": [trade_date] * len(rows),
            "currency": [r["currency"].strip().upper() for r in rows],
            "usd_per_unit": pa.array([Decimal(r["usd_per_unit"]) for r in rows], pa.decimal128(38, 12)),
        }))
    return landed


def _reference_ddl() -> str:
    from blocks.warehouse import sql_file

    return sql_file("70_anomaly_reference.sql")


def score_pair(wh: Warehouse, trade_date: date, recon: str, model: AnomalyModel | None = None) -> dict:
    """Score every link of the pair in the work tables; -> a small summary."""
    block = model or AnomalyModel()
    frame = compute_features(wh, trade_date)
    summary: dict = {"scored": len(frame), "features_imputed": frame.missing, **frame.imputed(),
                     "reference": frame.reference}
    scoring, refused = block.scoring_model()
    if refused:
        summary["refused"] = refused
        step_logger().warning(refused)
    if scoring is not None:
        summary["model"] = scoring.meta.get("version", block.model_version)
    elif len(frame) >= MIN_ROWS_TO_FIT:
        scoring = fit_model(frame.X, block.detector, block.contamination)
        summary["model"] = f"day-fit:{block.detector}"
        summary["note"] = (f"no registered model for this feature schema: {block.detector} fitted on the day's "
                           f"{len(frame)} links (contamination {block.contamination})")
    else:
        summary["model"] = None
        summary["note"] = f"not scored: no registered model and {len(frame)} links are too few to fit one"
    wh.execute(SQL.clear_scores)
    if scoring is None:
        _write_scores(wh, frame.link_ids, [None] * len(frame), ["not scored: too few links to fit a model"] * len(frame),
                      [False] * len(frame))
    else:
        scores, info = block.score(frame.X, scoring)
        summary.update(info)
        if info.get("fallback"):
            step_logger().warning("anomaly endpoint failed, scored with the local %s: %s", summary["model"],
                                  info["fallback"])
        _write_scores(wh, frame.link_ids, scores.anomaly_score.tolist(), scores.explanation, scores.is_anomaly.tolist())
    wh.execute(SQL.flag_anomalous_matches)
    wh.run_file("59_outputs.sql", {"recon": recon})
    if scoring is not None:
        _keep_links(wh, trade_date, recon, frame, scores, summary["model"])
    summary["anomalies"] = wh.scalar(SQL.count_anomalies)
    summary["breaks_scored_anomalous"] = wh.scalar(SQL.count_breaks_scored_anomalous)
    summary["matches"] = wh.scalar(SQL.count_matches)
    summary["breaks"] = wh.scalar(SQL.count_breaks)
    return summary


def _keep_links(wh: Warehouse, trade_date: date, recon: str, frame, scores, model: str) -> None:
    """The scored links with their features into anomaly_links (monitoring, retraining, feedback)."""
    import json

    from recon.anomaly.features import FEATURE_NAMES, schema_hash

    wh.ensure_schema("72_anomaly_links.sql")
    wh.execute(SQL.clear_stage)
    wh.load_arrow("w_anomaly_stage", pa.table({
        "link_id": pa.array(frame.link_ids, pa.int64()),
        "model": [model] * len(frame),
        "schema_hash": [schema_hash()] * len(frame),
        "raw_score": pa.array(scores.raw, pa.float64()),
        "anomaly_score": pa.array(scores.anomaly_score, pa.float64()),
        "is_anomaly": pa.array(scores.is_anomaly, pa.bool_()),
        "top_feature": [t or None for t in scores.top_feature],
        "features": [json.dumps([float(v) for v in row]) for row in frame.X],
        "imputed": [json.dumps([FEATURE_NAMES[j] for j in np.flatnonzero(row)]) if row.any() else None
                    for row in frame.imputed_mask],
    }))
    wh.run_file("73_anomaly_links_publish.sql", {"trade_date": trade_date, "recon": recon})


def _write_scores(wh: Warehouse, link_ids: list[int], score: list, explanation: list[str], flag: list) -> None:
    wh.load_arrow("w_scores", pa.table({
        "link_id": pa.array(link_ids, pa.int64()),
        "anomaly_score": pa.array(score, pa.float64()),
        "anomaly_explanation": pa.array([e or None for e in explanation], pa.string()),
        "is_anomaly": pa.array(flag, pa.bool_()),
    }))


@task(name="score-anomalies", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=5)
def score_anomalies_task(trade_date: date, matched: dict, model_ref: str | None = None,
                         warehouse_ref: str | None = None) -> dict:
    if matched.get("skipped"):
        return matched
    result = score_pair(get_warehouse(warehouse_ref), trade_date, matched["recon"], get_anomaly_model(model_ref))
    return {**matched, **{k: v for k, v in result.items() if k not in ("scored",)}, "scored_links": result["scored"]}


@task(name="land-market-reference", cache_policy=NO_CACHE, retries=1)
def land_market_reference_task(day: dict, trade_date: date, warehouse_ref: str | None = None) -> dict:
    """Market data and commission schedules from the landing's reference/ directory (if there)."""
    wh = get_warehouse(warehouse_ref)
    if not day.get("instruments"):
        wh.execute(_reference_ddl())
        return {"market_data": 0, "commission_schedules": 0, "fx_rates": 0}
    return land_reference(wh, Path(day["instruments"]).parent, trade_date)


def scores_equal(a, b) -> bool:
    """Identical scores, bit for bit (used by tests and `recon model serve --check`)."""
    return bool(np.array_equal(a.raw, b.raw) and np.array_equal(a.anomaly_score, b.anomaly_score)
                and np.array_equal(a.is_anomaly, b.is_anomaly) and a.explanation == b.explanation)
