"""Drift of a model's inputs and scores: the population stability index (PSI) of each feature and
of the score distribution on a day, against the model's training sample.

Features are binned in the explainer's units: the signed robust z-score (value - training median)
/ scale, cut at fixed points from -3 to +10 sigma. Fixed cuts in sigma, not the training deciles:
many features take a handful of values (an account's share of the day, its asset-class rarity), and
a decile edge sitting on such a value sends a whole account to the next bin when its share moves
by a hair. The score is cut at its training deciles. The share of training rows per bin is kept
with the model (registry model.json, "monitor"). On a day, PSI = sum over bins of
(q - p) * ln(q / p), p the training share, q the day's (both floored at 1e-4 so an empty bin is
finite). Rule of thumb: < 0.1 stable, 0.1-0.25 moving, > 0.25 shifted (DRIFT_THRESHOLD).
"""

from __future__ import annotations

import numpy as np

DRIFT_THRESHOLD = 0.25
BINS = 10
FLOOR = 1e-4
SCORE = "anomaly_score"  # the row name of the score distribution in a drift table
Z_EDGES = [-3.0, -2.0, -1.0, -0.5, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0]


def bins_of(values: np.ndarray) -> dict:
    """Decile cut points of training values and the share of rows in each bin."""
    v = np.asarray(values, dtype=np.float64)
    edges = np.unique(np.quantile(v, np.linspace(0, 1, BINS + 1)[1:-1])) if v.size else np.array([])
    return {"edges": edges.tolist(), "expected": _shares(v, edges).tolist()}


def _shares(v: np.ndarray, edges: np.ndarray) -> np.ndarray:
    counts = np.bincount(np.searchsorted(edges, v, side="left"), minlength=len(edges) + 1)
    return counts / max(1, v.size)


def psi(binning: dict, values: np.ndarray) -> float:
    edges = np.asarray(binning["edges"], dtype=np.float64)
    p = np.maximum(np.asarray(binning["expected"], dtype=np.float64), FLOOR)
    q = np.maximum(_shares(np.asarray(values, dtype=np.float64), edges), FLOOR)
    return float(np.sum((q - p) * np.log(q / p)))


def fixed_bins(values: np.ndarray, edges: list[float]) -> dict:
    v = np.asarray(values, dtype=np.float64)
    return {"edges": list(edges), "expected": _shares(v, np.asarray(edges)).tolist()}


def reference(explainer, X: np.ndarray, raw: np.ndarray, names: tuple[str, ...]) -> dict:
    """What a model keeps to be monitored: the bins of each feature (in sigma) and of its scores."""
    Z = explainer.signed_z(X)
    out = {name: fixed_bins(Z[:, j], Z_EDGES) for j, name in enumerate(names)}
    out[SCORE] = bins_of(raw)
    out["_units"] = "signed robust z"
    return out


def drift(ref: dict, explainer, X: np.ndarray, raw: np.ndarray, names: tuple[str, ...],
          threshold: float = DRIFT_THRESHOLD) -> list[dict]:
    """One row per feature and one for the score: {name, psi, drifted}; worst first."""
    Z = explainer.signed_z(X)
    rows = [{"name": name, "psi": psi(ref[name], Z[:, j])} for j, name in enumerate(names) if name in ref]
    if SCORE in ref:
        rows.append({"name": SCORE, "psi": psi(ref[SCORE], raw)})
    for r in rows:
        r["psi"] = round(r["psi"], 4)
        r["drifted"] = r["psi"] > threshold
    return sorted(rows, key=lambda r: -r["psi"])
