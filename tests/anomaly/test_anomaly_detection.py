"""On generated days of fresh seeds, without reference files, the served detector (trained on other
seeds' days) meets the issue's floors per kind; on days from an independent source (its own
instruments, accounts, sizes and magnitudes) it still finds the kinds both sources share. Never
tuned on these seeds (the benchmark seeds are others)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from recon.anomaly import registry
from recon.anomaly.evaluate import evaluate_scores
from recon.generator.anomalies import ANOMALY_KINDS
from tasks.anomaly_train import labelled_frames
from tests.anomaly.conftest import TRAIN_DAYS, _day
from tests.anomaly.independent import KINDS as INDEPENDENT_KINDS
from tests.anomaly.independent import write_day

pytestmark = pytest.mark.slow  # builds, lands and trains on several days (shared fixtures)


@pytest.fixture(scope="session")
def no_reference(anomaly_root):
    """Training days and two evaluation days of fresh seeds, landed WITHOUT reference files."""
    from recon.anomaly.protocol import LabelledDays

    train = [anomaly_root / f"day-{seed}" for _, seed in TRAIN_DAYS]
    evals = [_day(anomaly_root, date(2026, 11, 26), 4911), _day(anomaly_root, date(2026, 11, 27), 4912)]
    work = anomaly_root / "noref"
    work.mkdir(exist_ok=True)
    return (LabelledDays.of(labelled_frames(train, work, reference=False)),
            LabelledDays.of(labelled_frames(evals, work, reference=False)))


def test_without_reference_files_the_targets_hold(trained, no_reference):
    from recon.anomaly.protocol import fit_with_feedback

    train, ev = no_reference
    model = fit_with_feedback(train, "robust", 0.01)
    s = model.score(ev.X)
    m = evaluate_scores(s.raw, s.is_anomaly, s.top_feature, ev.labels, ev.day)
    overall, per_kind = m["overall"], m["per_kind"]
    assert set(per_kind) == set(ANOMALY_KINDS), per_kind.keys()
    assert overall["roc_auc"] >= 0.95, overall
    for kind, k in per_kind.items():
        if kind != "off_market":
            assert k["roc_auc"] >= 0.90, (kind, k)
    # off_market without market data is bounded, not a floor: the smallest third (2-6% of the range
    # beyond it) sits inside the spread of the day's own prints (docs/anomaly.md)
    assert per_kind["off_market"]["roc_auc"] >= 0.5
    assert overall["recall_at_budget"] >= 0.8, overall
    assert overall["precision"] >= 0.5, overall
    assert overall["explanation_hit_rate"] >= 0.8, overall


def test_leaving_a_kind_out_of_training_still_finds_it(no_reference):
    """The kind scored is in no training row and no label: found by its deviation alone."""
    from recon.anomaly.protocol import fit_with_feedback

    train, ev = no_reference
    for kind in ("commission_spike", "off_hours", "new_account", "notional_outlier"):
        model = fit_with_feedback(train.without(kind), "robust", 0.01)
        s = model.score(ev.X)
        k = evaluate_scores(s.raw, s.is_anomaly, s.top_feature, ev.labels, ev.day)["per_kind"][kind]
        assert k["roc_auc"] >= 0.95 and k["recall_at_budget"] >= 0.75, (kind, k)


def test_independent_source(trained, registry_dir, anomaly_root):
    """Days this code base did not generate: the kinds are found (ranking), though its size and
    price distributions differ from the training days' (its flags' precision is lower: see the
    drift test and BENCHMARKS.md)."""
    days = []
    for n, seed in enumerate((71, 72)):
        out = anomaly_root / f"independent-{seed}"
        if not (out / "truth.json").exists():
            write_day(out, date(2026, 12, 1 + n), seed, trades=3000, rate=0.008)
        days.append(out)
    from recon.anomaly.protocol import LabelledDays

    ev = LabelledDays.of(labelled_frames(days, anomaly_root / "noref", reference=False))
    model = registry.load(trained["version"], registry_dir)
    s = model.score(ev.X)
    m = evaluate_scores(s.raw, s.is_anomaly, s.top_feature, ev.labels, ev.day)
    assert set(m["per_kind"]) == set(INDEPENDENT_KINDS)
    assert m["overall"]["roc_auc"] >= 0.9, m["overall"]
    assert m["overall"]["recall_at_budget"] >= 0.7, m["overall"]
    for kind, k in m["per_kind"].items():
        assert k["roc_auc"] >= 0.85, (kind, k)


def test_with_market_data_off_market_is_found(trained, eval_day, registry_dir):
    model = registry.load(trained["version"], registry_dir)
    s = model.score(eval_day["frame"].X)
    m = evaluate_scores(s.raw, s.is_anomaly, s.top_feature, eval_day["labels"])
    assert m["per_kind"]["off_market"]["roc_auc"] >= 0.95, m["per_kind"]["off_market"]
    assert m["overall"]["roc_auc"] >= 0.95, m["overall"]


def test_explanations_read_like_a_ticket(trained, eval_day, registry_dir):
    model = registry.load(trained["version"], registry_dir)
    scores = model.score(eval_day["frame"].X)
    fat = [i for i, lab in enumerate(eval_day["labels"]) if lab and lab["kind"] == "fat_finger_price"]
    assert fat
    text = scores.explanation[fat[0]]
    assert text.startswith("price_dev ") and "sigma" in text, text
    # a usual trade has nothing worth saying
    normal = [i for i, lab in enumerate(eval_day["labels"]) if lab is None]
    assert np.mean([scores.explanation[i] == "" for i in normal]) > 0.5


def test_batch_detectors_also_rank_anomalies(eval_day):
    from recon.anomaly.models import fit_model

    X = eval_day["frame"].X
    for detector in ("iforest", "hbos", "ecod", "copod"):
        model = fit_model(X, detector, 0.01)
        s = model.score(X)
        m = evaluate_scores(s.raw, s.is_anomaly, s.top_feature, eval_day["labels"])
        assert m["overall"]["roc_auc"] >= 0.85, (detector, m["overall"])
        assert 0 <= s.anomaly_score.min() and s.anomaly_score.max() <= 1
