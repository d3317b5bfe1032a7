"""Training and evaluation of the anomaly model on landed days (used by flows/train.py and
`recon model train|evaluate`).

A day is landed like the daily flow lands it (instruments, files, market reference), matched
against the broker files, and its links' features computed; when the landing has a truth.json the
links are labelled for metrics only (the fit itself is unsupervised).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
from prefect import task
from prefect.cache_policies import NO_CACHE

from blocks.warehouse import Warehouse, get_warehouse
from recon.anomaly import registry
from recon.anomaly.evaluate import evaluate_scores, link_labels, truth_anomalies
from recon.anomaly.features import DEFAULT_HISTORY_DAYS, FeatureFrame, compute_features, schema_hash
from recon.anomaly.models import DEFAULT_CONTAMINATION, DEFAULT_DETECTOR, ScoringModel, fit_model
from tasks.anomaly import land_reference


def land_day(wh: Warehouse, landing_dir: str | Path, reference: bool = True) -> dict:
    """Land a generated/dropped day for training; -> {trade_date, landing_dir, truth}.

    reference=False leaves out the reference files the features could use (market data, commission
    schedules, FX rates): the day as a user without them would land it. The instrument master is
    landed either way (matching needs it to read the brokers' identifiers)."""
    from recon.inputs import discover
    from tasks.ingest import ingest_file, load_instruments

    root = Path(landing_dir)
    truth = root / "truth.json"
    if not truth.exists():
        raise FileNotFoundError(f"{root}: no truth.json to take the trade date from; pass trade dates explicitly")
    trade_date = date.fromisoformat(json.loads(truth.read_text())["meta"]["trade_date"])
    day = discover(root)
    if day.instruments:
        load_instruments(wh, day.instruments)
    for f in [*day.internal, *day.broker]:
        ingest_file(wh, f.path, f.mapping, f.name, trade_date)
    if reference:
        land_reference(wh, root / "reference", trade_date)
    return {"trade_date": trade_date.isoformat(), "landing_dir": str(root), "truth": str(truth)}


def day_features(wh: Warehouse, trade_date: date, truth: str | None = None,
                 history_days: int = DEFAULT_HISTORY_DAYS) -> tuple[FeatureFrame, list | None]:
    """Match the day (internal vs broker files) and compute its links' features (+ labels)."""
    from tasks.match import match_day

    match_day(wh, trade_date, "broker")
    frame = compute_features(wh, trade_date, history_days)
    labels = None
    if truth:
        rows = {r["link_id"]: r for r in wh.fetch_rows("SELECT link_id, internal_ids, broker_ids FROM w_results")}
        labels = link_labels(truth_anomalies(truth), [rows[k]["internal_ids"] for k in frame.link_ids],
                             [rows[k]["broker_ids"] for k in frame.link_ids])
    return frame, labels


def fit_and_register(wh: Warehouse, days: list[dict], detector: str = DEFAULT_DETECTOR,
                     contamination: float = DEFAULT_CONTAMINATION, history_days: int = DEFAULT_HISTORY_DAYS,
                     registry_dir: str | None = None) -> dict:
    """days: [{"trade_date", "truth"?}] already in the warehouse. -> {version, metrics, training}."""
    if not days:
        raise ValueError("no training days given")
    frames, labels = [], []
    for d in days:
        frame, lab = day_features(wh, date.fromisoformat(str(d["trade_date"])), d.get("truth"), history_days)
        frames.append(frame)
        labels.append(lab)
    X = np.vstack([f.X for f in frames])
    model = fit_model(X, detector, contamination)
    metrics = {}
    if all(lab is not None for lab in labels):
        s = model.score(X)
        metrics = evaluate_scores(s.raw, s.is_anomaly, s.top_feature, [x for lab in labels for x in lab])
    training = {"trade_dates": sorted(str(d["trade_date"]) for d in days), "rows": int(len(X)),
                "history_days": history_days, "feature_schema_hash": schema_hash(),
                "features_imputed": [f.missing for f in frames]}
    version = registry.save(model, training, {"in_sample": metrics} if metrics else {}, registry_dir)
    return {"version": version, "detector": detector, "contamination": contamination, "training": training,
            "metrics": metrics}


def evaluate_day(wh: Warehouse, model: ScoringModel, trade_date: date, truth: str) -> dict:
    frame, labels = day_features(wh, trade_date, truth)
    s = model.score(frame.X)
    return evaluate_scores(s.raw, s.is_anomaly, s.top_feature, labels)


def labelled_frames(landing_dirs: list[str | Path], workdir: str | Path, reference: bool,
                    history_days: int = DEFAULT_HISTORY_DAYS) -> list[tuple[FeatureFrame, list]]:
    """Each day landed alone (a fresh deployment: no history) in its own DuckDB under workdir,
    matched against the broker files, its links' features and truth labels computed."""
    out = []
    for n, d in enumerate(landing_dirs):
        path = Path(workdir) / f"day{n}-{'ref' if reference else 'noref'}.duckdb"
        path.unlink(missing_ok=True)
        wh = Warehouse(duckdb_path=str(path))
        try:
            day = land_day(wh, d, reference=reference)
            out.append(day_features(wh, date.fromisoformat(day["trade_date"]), day["truth"], history_days))
        finally:
            wh.close()
            path.unlink(missing_ok=True)
    return out


def evaluate_protocol(train_dirs: list[str | Path], eval_dirs: list[str | Path], workdir: str | Path,
                      detector: str = DEFAULT_DETECTOR, contamination: float = DEFAULT_CONTAMINATION,
                      leave_one_out: bool = True, references: tuple[bool, ...] = (True, False),
                      progress=None) -> list[dict]:
    """recon/anomaly/protocol.py on landed days: -> one row per configuration and kind."""
    from recon.anomaly.protocol import LabelledDays, run

    train, evaluation = {}, {}
    for ref in references:
        name = "with" if ref else "without"
        if progress:
            progress(f"landing and matching the days {name} reference files")
        train[name] = LabelledDays.of(labelled_frames(train_dirs, workdir, ref))
        evaluation[name] = LabelledDays.of(labelled_frames(eval_dirs, workdir, ref))
    if progress:
        progress("fitting and scoring")
    return run(train, evaluation, detector, contamination, leave_one_out)


def training_days(wh: Warehouse, landing_dirs: list[str] | None, trade_dates: list[date] | None) -> list[dict]:
    """Land the landing directories; add the dates already in the warehouse (unlabelled)."""
    days = [land_day(wh, d) for d in landing_dirs or []]
    days += [{"trade_date": date.fromisoformat(str(d)).isoformat()} for d in trade_dates or []]
    if not days:
        raise ValueError("give landing_dirs and/or trade_dates to train on")
    return days


@task(name="land-training-days", cache_policy=NO_CACHE, retries=1)
def training_days_task(landing_dirs: list[str] | None = None, trade_dates: list[date] | None = None,
                       warehouse_ref: str | None = None) -> list[dict]:
    return training_days(get_warehouse(warehouse_ref), landing_dirs, trade_dates)


@task(name="fit-register-anomaly-model", cache_policy=NO_CACHE)
def fit_register_task(days: list[dict], detector: str = DEFAULT_DETECTOR,
                      contamination: float = DEFAULT_CONTAMINATION, history_days: int = DEFAULT_HISTORY_DAYS,
                      registry_dir: str | None = None, warehouse_ref: str | None = None) -> dict:
    return fit_and_register(get_warehouse(warehouse_ref), days, detector, contamination, history_days, registry_dir)
