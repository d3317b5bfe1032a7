"""How well the anomaly model works against a generated day's truth.json.

Labels are per link: a link is an anomaly of kind k when it holds a record truth.json lists under
an anomaly of kind k (internal ids, or broker ids for a link with no internal side). Reported:
  overall   ROC AUC and average precision (every labelled anomaly against the unlabelled links),
            precision at the top 1% of scores, explanation hit rate
  per kind  ROC AUC and average precision (that kind against the unlabelled links), recall at the
            overall top 1%, precision at n (n = that kind's count; top-n of kind + unlabelled),
            explanation hit rate: the share of detected anomalies whose top explanation names the
            feature truth.json expects
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


def evaluate_scores(raw: np.ndarray, is_anomaly: np.ndarray, top_feature: list[str],
                    labels: list[dict | None]) -> dict:
    raw = np.asarray(raw, dtype=float)
    is_anomaly = np.asarray(is_anomaly, dtype=bool)
    kinds = np.array([a["kind"] if a else "" for a in labels], dtype=object)
    expected = np.array([a["feature"] if a else "" for a in labels], dtype=object)
    top = np.array(top_feature, dtype=object)
    y = kinds != ""
    n = len(raw)
    k = max(1, math.ceil(0.01 * n))
    top_idx = np.argsort(-raw, kind="stable")[:k]
    in_top = np.zeros(n, dtype=bool)
    in_top[top_idx] = True
    auc, ap = _auc_ap(y, raw)
    detected = y & is_anomaly
    overall = {
        "links": n, "anomalies": int(y.sum()), "flagged": int(is_anomaly.sum()), "detected": int(detected.sum()),
        "roc_auc": auc, "average_precision": ap,
        "precision_at_1pct": float(y[top_idx].mean()),
        "explanation_hit_rate": float((top[detected] == expected[detected]).mean()) if detected.any() else None,
    }
    per_kind = {}
    for kind in sorted(set(kinds[y])):
        pos = kinds == kind
        subset = pos | ~y
        auc_k, ap_k = _auc_ap(pos[subset], raw[subset])
        npos = int(pos.sum())
        order = np.argsort(-raw[subset], kind="stable")[:npos]
        det_k = pos & is_anomaly
        per_kind[kind] = {
            "count": npos, "roc_auc": auc_k, "average_precision": ap_k,
            "recall_at_1pct": float(in_top[pos].mean()),
            "precision_at_n": float(pos[subset][order].mean()),
            "detected": int(det_k.sum()),
            "explanation_hit_rate": float((top[det_k] == expected[det_k]).mean()) if det_k.any() else None,
        }
    return {"overall": overall, "per_kind": per_kind}
