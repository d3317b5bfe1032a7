"""The evaluation protocol behind `recon model evaluate`: train on the days of some seeds, score
the days of others, and never tune on what is reported.

Input: labelled feature frames of training days and of evaluation days (each a FeatureFrame and
its truth labels), computed once with the reference files and once without. Configurations, one
row each (and one row per kind under it):

    all kinds       the detector fitted (unsupervised) on every training row; thresholds per kind
                    calibrated from the training days' labels (anomalies confirmed, other flagged
                    links false positives), as analysts' feedback would
    without <kind>  the same, but the rows of <kind> are removed from the training days before
                    the fit and from the labels that calibrate thresholds: the kind scored was
                    never seen, labelled or not; the row reports that kind on the evaluation days

Figures: ROC AUC (a kind against the unlabelled links), recall and precision at the alert budget
(each evaluation day's top 1% of links), precision and recall of the model's flags.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recon.anomaly.evaluate import ALERT_BUDGET, evaluate_scores
from recon.anomaly.feedback import CONFIRMED, FALSE_POSITIVE
from recon.anomaly.models import DEFAULT_CONTAMINATION, DEFAULT_DETECTOR, ScoringModel, fit_model


@dataclass
class LabelledDays:
    """Feature rows of several days, their truth labels (dict or None) and the day of each row."""

    X: np.ndarray
    labels: list[dict | None]
    day: np.ndarray

    @classmethod
    def of(cls, frames: list[tuple]) -> LabelledDays:
        """frames: [(FeatureFrame, labels)], one per day."""
        return cls(
            X=np.vstack([f.X for f, _ in frames]),
            labels=[x for _, lab in frames for x in lab],
            day=np.concatenate([np.full(len(f), i) for i, (f, _) in enumerate(frames)]),
        )

    def kinds(self) -> list[str]:
        return sorted({a["kind"] for a in self.labels if a})

    def without(self, kind: str) -> LabelledDays:
        keep = np.array([not (a and a["kind"] == kind) for a in self.labels])
        return LabelledDays(self.X[keep], [a for a, k in zip(self.labels, keep, strict=True) if k], self.day[keep])


def feedback_labels(model: ScoringModel, days: LabelledDays) -> list[str | None]:
    """What analysts would have said on the training days: labelled anomalies confirmed, the other
    links the model flagged false positives, the rest unlabelled."""
    flagged = model.score(days.X).is_anomaly
    return [CONFIRMED if a else FALSE_POSITIVE if f else None for a, f in zip(days.labels, flagged, strict=True)]


def fit_with_feedback(train: LabelledDays, detector: str, contamination: float) -> ScoringModel:
    base = fit_model(train.X, detector, contamination)
    return fit_model(train.X, detector, contamination, labels=feedback_labels(base, train))


def _row(reference: str, config: str, kind: str, m: dict, n_links: int) -> dict:
    src = m["overall"] if kind == "all" else m["per_kind"].get(kind)
    if src is None:
        return {}
    overall = m["overall"]
    return {
        "reference": reference, "configuration": config, "kind": kind,
        "links": n_links, "anomalies": src.get("anomalies", src.get("count")),
        "roc_auc": src["roc_auc"], "recall_at_budget": src["recall_at_budget"],
        "precision_at_budget": overall["precision_at_budget"] if kind == "all" else None,
        "recall": src["recall"], "precision": overall["precision"] if kind == "all" else None,
    }


def run(train: dict[str, LabelledDays], evaluation: dict[str, LabelledDays], detector: str = DEFAULT_DETECTOR,
        contamination: float = DEFAULT_CONTAMINATION, leave_one_out: bool = True,
        budget: float = ALERT_BUDGET) -> list[dict]:
    """train / evaluation: {"with" | "without" (reference files): LabelledDays}. -> table rows."""
    rows: list[dict] = []
    for reference in train:
        tr, ev = train[reference], evaluation[reference]
        model = fit_with_feedback(tr, detector, contamination)
        s = model.score(ev.X)
        m = evaluate_scores(s.raw, s.is_anomaly, s.top_feature, ev.labels, ev.day, budget)
        rows += [r for r in (_row(reference, "all kinds", k, m, len(ev.X)) for k in ["all", *ev.kinds()]) if r]
        if not leave_one_out:
            continue
        for kind in ev.kinds():
            model_k = fit_with_feedback(tr.without(kind), detector, contamination)
            s = model_k.score(ev.X)
            m = evaluate_scores(s.raw, s.is_anomaly, s.top_feature, ev.labels, ev.day, budget)
            rows.append(_row(reference, f"without {kind}", kind, m, len(ev.X)))
    return rows
