"""How well the anomaly model works against a generated day's truth.json.

Labels are per link: a link is an anomaly of kind k when it holds a record truth.json lists under
an anomaly of kind k (internal ids, or broker ids for a link with no internal side). Reported:
  overall   ROC AUC and average precision (every labelled anomaly against the unlabelled links);
            recall and precision at an alert budget (each day's top 1% of links by score); recall
            and precision of the model's own flags (its threshold); explanation hit rate
  per kind  ROC AUC and average precision (that kind against the unlabelled links), recall at the
            budget, recall of the flags, explanation hit rate: the share of detected anomalies
            whose top explanation names the feature truth.json expects
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np


def truth_anomalies(truth: str | Path | dict) -> list[dict]:
    doc = truth if isinstance(truth, dict) else json.loads(Path(truth).read_text())
    return doc.get("anomalies", [])


def link_labels(anomalies: list[dict], internal_ids: list[str], broker_ids: list[str]) -> list[dict | None]:
    """The truth anomaly entry each link belongs to (None for an unlabelled link)."""
    by_internal = {i: a for a in anomalies for i in a["internal"]}
    by_broker = {b: a for a in anomalies for b in a["broker"]}
    out = []
    for li, bi in zip(internal_ids, broker_ids, strict=True):
        ids_l = [x for x in (li or "").split(";") if x]
        ids_b = [x for x in (bi or "").split(";") if x]
        hit = next((by_internal[x] for x in ids_l if x in by_internal), None)
        if hit is None and not ids_l:
            hit = next((by_broker[x] for x in ids_b if x in by_broker), None)
        out.append(hit)
    return out


def _auc_ap(y: np.ndarray, s: np.ndarray) -> tuple[float | None, float | None]:
    from sklearn.metrics import average_precision_score, roc_auc_score

    if y.all() or not y.any():
        return None, None
    return float(roc_auc_score(y, s)), float(average_precision_score(y, s))


ALERT_BUDGET = 0.01  # share of a day's links an analyst team can look at


def in_budget(raw: np.ndarray, days: np.ndarray | None = None, budget: float = ALERT_BUDGET) -> np.ndarray:
    """The alerts an alert budget allows: each day's top ceil(budget x links) scores."""
    raw = np.asarray(raw, dtype=float)
    days = np.zeros(len(raw), dtype=int) if days is None else np.asarray(days)
    out = np.zeros(len(raw), dtype=bool)
    for day in np.unique(days):
        idx = np.flatnonzero(days == day)
        k = max(1, math.ceil(budget * len(idx)))
        out[idx[np.argsort(-raw[idx], kind="stable")[:k]]] = True
    return out


def evaluate_scores(raw: np.ndarray, is_anomaly: np.ndarray, top_feature: list[str],
                    labels: list[dict | None], days: np.ndarray | None = None,
                    budget: float = ALERT_BUDGET) -> dict:
    """Overall and per-kind figures; `days` groups links into days for the alert budget."""
    raw = np.asarray(raw, dtype=float)
    is_anomaly = np.asarray(is_anomaly, dtype=bool)
    kinds = np.array([a["kind"] if a else "" for a in labels], dtype=object)
    expected = np.array([a["feature"] if a else "" for a in labels], dtype=object)
    top = np.array(top_feature, dtype=object)
    y = kinds != ""
    n = len(raw)
    alert = in_budget(raw, days, budget)
    auc, ap = _auc_ap(y, raw)
    detected = y & is_anomaly
    overall = {
        "links": n, "anomalies": int(y.sum()), "flagged": int(is_anomaly.sum()), "detected": int(detected.sum()),
        "roc_auc": auc, "average_precision": ap,
        "recall_at_budget": float(y[alert].sum() / y.sum()) if y.any() else None,
        "precision_at_budget": float(y[alert].mean()) if alert.any() else None,
        "precision": float(detected.sum() / is_anomaly.sum()) if is_anomaly.any() else None,
        "recall": float(detected.sum() / y.sum()) if y.any() else None,
        "explanation_hit_rate": float((top[detected] == expected[detected]).mean()) if detected.any() else None,
    }
    per_kind = {}
    for kind in sorted(set(kinds[y])):
        pos = kinds == kind
        subset = pos | ~y
        auc_k, ap_k = _auc_ap(pos[subset], raw[subset])
        det_k = pos & is_anomaly
        per_kind[kind] = {
            "count": int(pos.sum()), "roc_auc": auc_k, "average_precision": ap_k,
            "recall_at_budget": float(alert[pos].mean()),
            "recall": float(det_k.sum() / pos.sum()),
            "detected": int(det_k.sum()),
            "explanation_hit_rate": float((top[det_k] == expected[det_k]).mean()) if det_k.any() else None,
        }
    return {"overall": overall, "per_kind": per_kind, "budget": budget}
