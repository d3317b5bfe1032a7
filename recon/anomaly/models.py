"""PyOD detectors and the scoring model: detector + explainer + threshold, one feature schema.

Detectors see the explainer's one-sided robust z-scores beyond a dead zone (explain.py), not raw
values: every feature on one scale, ordinary spread folded to 0, so a long but normal tail
(notional) does not look like news.

IForest is the served model (fast to score, small); HBOS, ECOD and COPOD are for batch
screening (ECOD/COPOD keep the training set and score slowly: wrong for an endpoint).

Threshold: contamination is explicit (default 1.5%: the generator's default 1% anomalous trades
are ~1.3% of links, as a duplicate booking or a wash trade is two); PyOD turns it into a raw-score
threshold on the training data, and a record is anomalous when its raw score exceeds it. anomaly_score in [0, 1] is PyOD's
"unify" scaling: erf of the raw score standardised by the training scores, 0 below the mean.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import erf

from recon.anomaly.explain import Explainer
from recon.anomaly.features import FEATURE_NAMES, schema_hash

DETECTORS = ("robust", "iforest", "hbos", "ecod", "copod")
DEFAULT_DETECTOR = "robust"
DEFAULT_CONTAMINATION = 0.01


def make_detector(name: str, contamination: float = DEFAULT_CONTAMINATION, random_state: int = 0):
    if not 0 < contamination <= 0.5:
        raise ValueError(f"contamination must be in (0, 0.5], got {contamination}")
    if name == "robust":
        return RobustDeviation(contamination=contamination)
    if name == "iforest":
        from pyod.models.iforest import IForest

        # 1024-row subsamples: each kind is ~0.2% of links, so a 256-row tree rarely sees one
        return IForest(n_estimators=200, max_samples=1024, contamination=contamination,
                       random_state=random_state, n_jobs=1)
    if name == "hbos":
        from pyod.models.hbos import HBOS

        return HBOS(contamination=contamination)
    if name == "ecod":
        from pyod.models.ecod import ECOD

        return ECOD(contamination=contamination)
    if name == "copod":
        from pyod.models.copod import COPOD

        return COPOD(contamination=contamination)
    raise ValueError(f"unknown detector {name!r}; choose from {', '.join(DETECTORS)}")


def _robust_base():
    from pyod.models.base import BaseDetector

    return BaseDetector


class RobustDeviation(_robust_base()):
    """A PyOD detector for the explainer's output: the score of a row is its largest deviation
    beyond a feature's dead zone (log1p sigma), plus a tenth of the others.

    On these inputs (every feature already a one-sided robust z-score, normal rows all zeros) the
    largest deviation ranks anomalies better than isolation depth: IForest isolates a row by how
    rarely a feature is non-zero in training, so a duplicate booking two sigma out (a feature that
    is zero for 99.9% of rows) and a trade size just past a desk's usual range tie, and the kinds
    whose feature is often slightly non-zero sink (figures: BENCHMARKS.md)."""

    def __init__(self, contamination: float = DEFAULT_CONTAMINATION):
        super().__init__(contamination=contamination)

    def fit(self, X, y=None):
        X = np.asarray(X, dtype=np.float64)
        self._set_n_classes(y)
        self.decision_scores_ = self.decision_function(X)
        self._process_decision_scores()
        return self

    def decision_function(self, X):
        X = np.asarray(X, dtype=np.float64)
        return X.max(axis=1) + 0.1 * X.sum(axis=1)


@dataclass
class Scores:
    raw: np.ndarray
    anomaly_score: np.ndarray
    is_anomaly: np.ndarray
    explanation: list[str]
    top_feature: list[str]

    def __len__(self) -> int:
        return len(self.raw)

    def as_json(self) -> dict:
        return {
            "raw": self.raw.tolist(),
            "anomaly_score": self.anomaly_score.tolist(),
            "is_anomaly": self.is_anomaly.tolist(),
            "explanation": self.explanation,
            "top_feature": self.top_feature,
        }

    @classmethod
    def from_json(cls, d: dict) -> Scores:
        return cls(
            raw=np.array(d["raw"], dtype=float),
            anomaly_score=np.array(d["anomaly_score"], dtype=float),
            is_anomaly=np.array(d["is_anomaly"], dtype=bool),
            explanation=list(d["explanation"]),
            top_feature=list(d["top_feature"]),
        )

    @classmethod
    def concat(cls, parts: list[Scores]) -> Scores:
        if not parts:
            return cls(np.empty(0), np.empty(0), np.empty(0, dtype=bool), [], [])
        return cls(
            raw=np.concatenate([p.raw for p in parts]),
            anomaly_score=np.concatenate([p.anomaly_score for p in parts]),
            is_anomaly=np.concatenate([p.is_anomaly for p in parts]),
            explanation=[e for p in parts for e in p.explanation],
            top_feature=[t for p in parts for t in p.top_feature],
        )


@dataclass
class ScoringModel:
    detector_name: str
    detector: object
    contamination: float
    threshold: float
    train_mean: float
    train_std: float
    explainer: Explainer
    feature_names: tuple[str, ...] = FEATURE_NAMES
    schema: str = field(default_factory=schema_hash)
    meta: dict = field(default_factory=dict)  # version, training window, metrics (registry)
    # alert thresholds per kind (the explanation's top feature), from analysts' labels; a kind
    # without one uses `threshold` (feedback.py)
    thresholds: dict[str, float] = field(default_factory=dict)
    monitor: dict = field(default_factory=dict)  # training bins per feature and of the score (monitor.py)

    def flags(self, raw: np.ndarray, top_feature: list[str]) -> np.ndarray:
        if not self.thresholds:
            return raw > self.threshold
        cut = np.array([self.thresholds.get(t, self.threshold) for t in top_feature], dtype=np.float64)
        return raw > cut

    def check(self, X: np.ndarray) -> None:
        if X.ndim != 2 or X.shape[1] != len(self.feature_names):
            raise ValueError(f"expected rows of {len(self.feature_names)} features ({', '.join(self.feature_names)}), "
                             f"got shape {X.shape}")
        if not np.isfinite(X).all():
            raise ValueError("feature values must be finite numbers")

    def score(self, X: np.ndarray) -> Scores:
        X = np.asarray(X, dtype=np.float64)
        self.check(X)
        if len(X) == 0:
            return Scores.concat([])
        raw = self.raw_scores(X)
        unified = erf((raw - self.train_mean) / (self.train_std * np.sqrt(2))) if self.train_std > 0 else raw * 0
        top = self.explainer.top_features(X)
        return Scores(
            raw=raw,
            anomaly_score=np.clip(unified, 0.0, 1.0),
            is_anomaly=self.flags(raw, top),
            explanation=self.explainer.explain(X),
            top_feature=top,
        )

    def raw_scores(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(self.detector.decision_function(self.explainer.detector_input(X)), dtype=np.float64)

    def describe(self) -> dict:
        return {"detector": self.detector_name, "contamination": self.contamination, "schema_hash": self.schema,
                "threshold": self.threshold, "thresholds": self.thresholds,
                **{k: v for k, v in self.meta.items() if k != "explainer"}}


def fit_model(X: np.ndarray, detector: str = DEFAULT_DETECTOR, contamination: float = DEFAULT_CONTAMINATION,
              random_state: int = 0, labels: list[str | None] | None = None) -> ScoringModel:
    """Fit on feature rows: the detector unsupervised; analysts' labels (per row: 'confirmed',
    'false_positive' or None), when given, set the alert threshold per kind (feedback.py)."""
    X = np.asarray(X, dtype=np.float64)
    if len(X) < 20:
        raise ValueError(f"need at least 20 rows to fit an anomaly model, got {len(X)}")
    explainer = Explainer.fit(X)
    det = make_detector(detector, contamination, random_state)
    det.fit(explainer.detector_input(X))
    train = np.asarray(det.decision_scores_, dtype=np.float64)
    model = ScoringModel(
        detector_name=detector,
        detector=det,
        contamination=contamination,
        threshold=float(det.threshold_),
        train_mean=float(train.mean()),
        train_std=float(train.std()),
        explainer=explainer,
    )
    from recon.anomaly.monitor import reference

    model.monitor = reference(explainer, X, train, FEATURE_NAMES)
    if labels is not None and any(label is not None for label in labels):
        from recon.anomaly.feedback import calibrate

        model.thresholds = calibrate(train, explainer.top_features(X), labels, model.threshold)
    return model
