"""Per-feature explanations: which features make a record unusual, and by how much.

Each feature's strength is a one-sided robust z-score against the training data,
    (t - median) / scale   in the feature's unusual direction, clipped at 0,
    scale = max(1.4826 * MAD, |q90 - median| / 1.2816, min_scale)
where t is the value (or its log, for ratios and durations) and q90 the training quantile on the
unusual side (so a feature whose normal values have a long tail is not over-read); features with
a cap are clipped at the cap for the explanation. A ticket can then say
"price_vs_vwap 5.80 half-ranges (+25.4 sigma)". The floor keeps features that are almost always
one value (duplicate_key is 0 for nearly every trade) from dividing by zero; the cap of
price_outside_day_range lets the VWAP distance take over once a print is far outside the range:
a print just past the day's high is off-market, one several ranges away is a fat finger.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recon.anomaly.features import FEATURES, Feature

DEAD_ZONE = 3.0
# ... or less: the training data's q99.5 on the unusual side, when that is nearer. A feature whose
# normal values are bounded (a trade size drawn up to a desk's limit) has no 3-sigma tail, and a
# 3-sigma dead zone would swallow the first values past its bound.
DEAD_Q = 0.995
# The training quantile on the unusual side that counts as TAIL_Z sigma. q90, not q99: with 1-2%
# anomalies in unlabelled training data, q99 would sit among the anomalies themselves.
TAIL_Q, TAIL_Z = 0.90, 1.2816
MIN_EXPLAINED = 2.0  # an explanation names only features at least this many sigma out


@dataclass
class Explainer:
    names: list[str]
    units: list[str]
    sign: np.ndarray  # +1 unusual when high, -1 when low
    median: np.ndarray
    scale: np.ndarray
    cap: np.ndarray  # +inf when uncapped
    log: np.ndarray  # bool: compared on a log scale
    dead: np.ndarray | None = None  # per-feature dead zone in sigma (DEAD_ZONE when None)

    @classmethod
    def fit(cls, X: np.ndarray, features: tuple[Feature, ...] = FEATURES) -> Explainer:
        log = np.array([f.log for f in features], dtype=bool)
        sign = np.array([1.0 if f.direction == "high" else -1.0 for f in features])
        T = _log_where(X, log)
        median = np.median(T, axis=0)
        mad = np.median(np.abs(T - median), axis=0)
        q_hi, q_lo = np.quantile(T, TAIL_Q, axis=0), np.quantile(T, 1 - TAIL_Q, axis=0)
        tail = np.abs(np.where(sign > 0, q_hi, q_lo) - median)
        floor = np.array([f.min_scale for f in features])
        out = cls(
            names=[f.name for f in features],
            units=[f.unit for f in features],
            sign=sign,
            median=median,
            scale=np.maximum(np.maximum(1.4826 * mad, tail / TAIL_Z), floor),
            cap=np.array([np.inf if f.cap is None else f.cap for f in features]),
            log=log,
        )
        out.dead = np.minimum(DEAD_ZONE, np.quantile(out.standardize(X), DEAD_Q, axis=0))
        return out

    def signed_z(self, X: np.ndarray) -> np.ndarray:
        """(value - training median) / scale, signed so that positive is the unusual direction."""
        return (_log_where(X, self.log) - self.median) * self.sign / self.scale

    def standardize(self, X: np.ndarray) -> np.ndarray:
        """One-sided robust z per feature, uncapped: what the detectors are fitted on."""
        z = (_log_where(X, self.log) - self.median) * self.sign / self.scale
        return np.clip(z, 0.0, None)

    def detector_input(self, X: np.ndarray) -> np.ndarray:
        """What detectors see: log1p of the z-score beyond a dead zone (DEAD_ZONE sigma or nearer).

        Inside the dead zone a record is as usual as any other (so normal rows collapse to zeros
        and a detector is not distracted by ordinary spread); beyond it, log1p keeps a 300-sigma
        fat finger from flattening every other deviation onto one side of a split.
        """
        dead = DEAD_ZONE if self.dead is None else self.dead
        return np.log1p(np.clip(self.standardize(X) - dead, 0.0, None))

    def strengths(self, X: np.ndarray) -> np.ndarray:
        return np.minimum(self.standardize(X), self.cap)

    def top_features(self, X: np.ndarray) -> list[str]:
        s = self.strengths(X)
        return [self.names[j] if s[i, j] > 0 else "" for i, j in enumerate(np.argmax(s, axis=1))]

    def explain(self, X: np.ndarray, top: int = 2) -> list[str]:
        """The `top` strongest features of each row, strongest first; '' when nothing is unusual."""
        s = self.strengths(X)
        order = np.argsort(-s, axis=1, kind="stable")[:, :top]
        out = []
        for i in range(len(X)):
            parts = [
                f"{self.names[j]} {X[i, j]:.4g} {self.units[j]} ({'+' if self.sign[j] > 0 else '-'}{s[i, j]:.1f} sigma)"
                for j in order[i]
                if s[i, j] >= MIN_EXPLAINED
            ]
            out.append("; ".join(parts))
        return out

    def to_dict(self) -> dict:
        return {
            "names": self.names,
            "units": self.units,
            "sign": self.sign.tolist(),
            "median": self.median.tolist(),
            "scale": self.scale.tolist(),
            "cap": [None if np.isinf(c) else float(c) for c in self.cap],
            "log": self.log.tolist(),
            "dead": None if self.dead is None else self.dead.tolist(),
        }

    @classmethod
    def from_dict(cls, d: dict) -> Explainer:
        return cls(
            names=list(d["names"]),
            units=list(d["units"]),
            sign=np.array(d["sign"], dtype=float),
            median=np.array(d["median"], dtype=float),
            scale=np.array(d["scale"], dtype=float),
            cap=np.array([np.inf if c is None else c for c in d["cap"]], dtype=float),
            log=np.array(d["log"], dtype=bool),
            dead=None if d.get("dead") is None else np.array(d["dead"], dtype=float),
        )


def _log_where(X: np.ndarray, log: np.ndarray) -> np.ndarray:
    """Log of the flagged columns (values floored at 1e-6: a zero ratio or duration stays finite)."""
    if not log.any():
        return X
    T = np.array(X, dtype=np.float64, copy=True)
    T[:, log] = np.log(np.maximum(T[:, log], 1e-6))
    return T
