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

from blocks.warehouse import SqlStatements, Warehouse, get_warehouse
from recon.anomaly import registry
from recon.anomaly.evaluate import evaluate_scores, link_labels, truth_anomalies
from recon.anomaly.features import DEFAULT_HISTORY_DAYS, FeatureFrame, compute_features, schema_hash
from recon.anomaly.models import DEFAULT_CONTAMINATION, DEFAULT_DETECTOR, ScoringModel, fit_model
from tasks.anomaly import land_reference

SQL = SqlStatements("76_anomaly_steps.sql")


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
        rows = {r["link_id"]: r for r in wh.fetch_rows(SQL.link_records)}
        labels = link_labels(truth_anomalies(truth), [rows[k]["internal_ids"] for k in frame.link_ids],
                             [rows[k]["broker_ids"] for k in frame.link_ids])
    return frame, labels


def analyst_labels(wh: Warehouse, trade_date: date, recon: str = "broker") -> dict[tuple[str, str], str]:
    """Analysts' verdicts on the day's ANOMALY breaks (resolution codes) as labels, by the link's
    (internal_ids, broker_ids)."""
    from recon.anomaly.feedback import label_of

    wh.ensure_schema("20_break_store.sql")
    wh.ensure_schema("72_anomaly_links.sql")
    rows = wh.fetch_rows(SQL.resolved_anomaly_breaks, {"d": trade_date, "r": recon})
    out = {}
    for r in rows:
        label = label_of(r["resolution_code"])
        if label:
            out[(r["internal_ids"] or "", r["broker_ids"] or "")] = label
    return out


def _frame_feedback(wh: Warehouse, trade_date: date, frame: FeatureFrame) -> list[str | None]:
    from recon.anomaly.feedback import link_feedback

    labels = analyst_labels(wh, trade_date)
    if not labels:
        return [None] * len(frame)
    rows = {r["link_id"]: r for r in wh.fetch_rows(SQL.link_records)}
    return link_feedback(labels, [rows[k]["internal_ids"] for k in frame.link_ids],
                         [rows[k]["broker_ids"] for k in frame.link_ids])


def fit_and_register(wh: Warehouse, days: list[dict], detector: str = DEFAULT_DETECTOR,
                     contamination: float = DEFAULT_CONTAMINATION, history_days: int = DEFAULT_HISTORY_DAYS,
                     registry_dir: str | None = None, trained_by: str = "recon model train") -> dict:
    """days: [{"trade_date", "truth"?}] already in the warehouse. -> {version, metrics, training}.

    The detector is fitted unsupervised; analysts' labels on the days' ANOMALY breaks (resolution
    codes) set the alert threshold per kind. truth.json labels only measure (in-sample metrics)."""
    if not days:
        raise ValueError("no training days given")
    frames, labels, feedback = [], [], []
    for d in days:
        day = date.fromisoformat(str(d["trade_date"]))
        frame, lab = day_features(wh, day, d.get("truth"), history_days)
        frames.append(frame)
        labels.append(lab)
        feedback += _frame_feedback(wh, day, frame)
    X = np.vstack([f.X for f in frames])
    model = fit_model(X, detector, contamination, labels=feedback)
    metrics = {}
    if all(lab is not None for lab in labels):
        s = model.score(X)
        metrics = evaluate_scores(s.raw, s.is_anomaly, s.top_feature, [x for lab in labels for x in lab])
    dates = sorted(str(d["trade_date"]) for d in days)
    training = {"trade_dates": dates, "rows": int(len(X)),
                "history_days": history_days, "feature_schema_hash": schema_hash(),
                "features_imputed": [f.missing for f in frames],
                "labels": {k: feedback.count(k) for k in ("confirmed", "false_positive")}}
    lineage = {"data_window": [dates[0], dates[-1]], "parent": registry.champion(registry_dir),
               "trained_by": trained_by}
    version = registry.save(model, training, {"in_sample": metrics} if metrics else {}, registry_dir, lineage)
    return {"version": version, "detector": detector, "contamination": contamination, "training": training,
            "metrics": metrics, "thresholds": model.thresholds}


def _comparison_metrics(model: ScoringModel, frames: list[tuple[FeatureFrame, list]]) -> dict:
    from recon.anomaly.protocol import LabelledDays

    days = LabelledDays.of(frames)
    s = model.score(days.X)
    m = evaluate_scores(s.raw, s.is_anomaly, s.top_feature, days.labels, days.day)["overall"]
    return {k: m[k] for k in ("average_precision", "recall_at_budget", "precision", "recall", "roc_auc")}


def analyst_labelled(wh: Warehouse, dates: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Feature rows of the ANOMALY breaks analysts resolved on `dates`, and 1 = confirmed, 0 = false
    positive (other codes left out)."""
    import json as _json

    from blocks.warehouse import sql_file
    from recon.anomaly.feedback import CONFIRMED, FALSE_POSITIVE, label_of

    wh.ensure_schema("20_break_store.sql")
    wh.ensure_schema("72_anomaly_links.sql")
    rows = wh.fetch_rows(sql_file("75_anomaly_labelled_links.sql"),
                         {"first": date.fromisoformat(min(dates)), "last": date.fromisoformat(max(dates)),
                          "schema_hash": schema_hash()})
    kept = [(r, label_of(r["resolution_code"])) for r in rows]
    kept = [(r, lab) for r, lab in kept if lab in (CONFIRMED, FALSE_POSITIVE)]
    X = np.array([_json.loads(r["features"]) for r, _ in kept], dtype=np.float64).reshape(len(kept), -1)
    return X, np.array([lab == CONFIRMED for _, lab in kept], dtype=bool)


def _labelled_metrics(model: ScoringModel, X: np.ndarray, y: np.ndarray) -> dict:
    from sklearn.metrics import average_precision_score

    s = model.score(X)
    flagged = s.is_anomaly
    return {"average_precision": float(average_precision_score(y, s.raw)),
            "recall_at_budget": float((flagged & y).sum() / y.sum()),  # confirmed ones it flags
            "precision": float((flagged & y).sum() / flagged.sum()) if flagged.any() else None}


def champion_challenger(challenger: dict, eval_dirs: list[str] | None, workdir: str | Path,
                        margin: float = 0.01, registry_dir: str | None = None,
                        promoted_by: str = "train deployment", wh: Warehouse | None = None) -> dict:
    """Score the champion and the challenger on labelled days and promote the challenger unless it
    is worse than the champion by more than `margin` in average precision or in recall at the alert
    budget. Labelled days: landing directories with truth.json (never training days); without them,
    the ANOMALY breaks analysts resolved on the training days (the champion's alerts, confirmed or
    false positive; "recall" is then the share of confirmed ones flagged). No champion: promote."""
    version = challenger["version"]
    champ = registry.champion(registry_dir)
    labelled = None
    if champ is not None and not eval_dirs and wh is not None:
        labelled = analyst_labelled(wh, challenger["training"]["trade_dates"])
    if champ is None:
        decision = {"promoted": True, "reason": "no champion yet", "champion": None}
    elif not eval_dirs and (labelled is None or labelled[1].all() or not labelled[1].any()):
        decision = {"promoted": False, "champion": champ,
                    "reason": "no labelled days and too few analysts' labels (confirmed and false positive) "
                              "to compare on: the champion stays"}
    elif not eval_dirs:
        X, y = labelled
        mine = _labelled_metrics(registry.load(version, registry_dir), X, y)
        theirs = _labelled_metrics(registry.load(champ, registry_dir), X, y)
        worse = [k for k in ("average_precision", "recall_at_budget") if mine[k] < theirs[k] - margin]
        decision = {"promoted": not worse, "champion": champ, "challenger_metrics": mine,
                    "champion_metrics": theirs, "margin": margin,
                    "labelled_links": {"confirmed": int(y.sum()), "false_positive": int((~y).sum())},
                    "reason": (f"worse than {champ} by more than {margin} in {', '.join(worse)} on analysts' labels"
                               if worse else f"not worse than {champ} on analysts' labels (margin {margin})")}
    else:
        overlap = set(challenger["training"]["trade_dates"])
        frames = labelled_frames(eval_dirs, workdir, reference=True)
        mine = _comparison_metrics(registry.load(version, registry_dir), frames)
        theirs = _comparison_metrics(registry.load(champ, registry_dir), frames)
        worse = [k for k in ("average_precision", "recall_at_budget")
                 if (mine[k] or 0) < (theirs[k] or 0) - margin]
        decision = {"promoted": not worse, "champion": champ, "challenger_metrics": mine,
                    "champion_metrics": theirs, "margin": margin, "labelled_days": [str(d) for d in eval_dirs],
                    "reason": (f"worse than {champ} by more than {margin} in {', '.join(worse)}" if worse
                               else f"not worse than {champ} (margin {margin})")}
        if overlap & {json.loads((Path(d) / "truth.json").read_text())["meta"]["trade_date"] for d in eval_dirs}:
            decision["warning"] = "a labelled day has a training day's date"
    registry.record_decision(version, decision, registry_dir)
    if decision["promoted"]:
        registry.promote(version, promoted_by, decision["reason"], decision.get("challenger_metrics"), registry_dir)
    return {**challenger, "decision": decision, "champion": registry.champion(registry_dir)}


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


def training_days(wh: Warehouse, landing_dirs: list[str] | None, trade_dates: list[date] | None,
                  last_days: int | None = None) -> list[dict]:
    """Land the landing directories; add the dates already in the warehouse (unlabelled); with
    neither, the last `last_days` trade dates the warehouse holds up to today (the scheduled run)."""
    from recon import clock

    days = [land_day(wh, d) for d in landing_dirs or []]
    days += [{"trade_date": date.fromisoformat(str(d)).isoformat()} for d in trade_dates or []]
    if not days and last_days:
        wh.ensure_schema("01_tables.sql")
        rows = wh.fetch_rows(SQL.recent_trade_dates, {"today": clock.today()})[: int(last_days)]
        days = [{"trade_date": r["trade_date"].isoformat()} for r in reversed(rows)]
    if not days:
        raise ValueError("give landing_dirs and/or trade_dates to train on (or a warehouse with reconciled days)")
    return days


@task(name="land-training-days", cache_policy=NO_CACHE, retries=1)
def training_days_task(landing_dirs: list[str] | None = None, trade_dates: list[date] | None = None,
                       warehouse_ref: str | None = None, last_days: int | None = None) -> list[dict]:
    return training_days(get_warehouse(warehouse_ref), landing_dirs, trade_dates, last_days)


@task(name="fit-register-anomaly-model", cache_policy=NO_CACHE)
def fit_register_task(days: list[dict], detector: str = DEFAULT_DETECTOR,
                      contamination: float = DEFAULT_CONTAMINATION, history_days: int = DEFAULT_HISTORY_DAYS,
                      registry_dir: str | None = None, warehouse_ref: str | None = None) -> dict:
    return fit_and_register(get_warehouse(warehouse_ref), days, detector, contamination, history_days, registry_dir,
                            trained_by="train flow")


@task(name="champion-challenger", cache_policy=NO_CACHE)
def champion_challenger_task(challenger: dict, eval_dirs: list[str] | None = None, margin: float = 0.01,
                             registry_dir: str | None = None, promoted_by: str = "train deployment",
                             warehouse_ref: str | None = None) -> dict:
    import tempfile

    with tempfile.TemporaryDirectory(prefix="recon-champion-") as tmp:
        out = champion_challenger(challenger, eval_dirs, tmp, margin, registry_dir, promoted_by,
                                  get_warehouse(warehouse_ref))
    return {k: v for k, v in out.items() if k != "metrics"}
