"""The scoring step on a matched day: every link scored, anomalous matches become ANOMALY breaks
with explanations that publish and feed priority; the embedded default fits the day itself."""

from __future__ import annotations

import json
from datetime import date

import pytest

from blocks.anomaly_model import AnomalyModel
from recon.evaluate import score
from recon.generator import DayConfig, generate_day
from tasks.anomaly import score_pair
from tasks.anomaly_train import land_day
from tasks.break_store import publish_breaks
from tasks.match import match_day


def test_score_pair_with_registered_model(landed_day_wh, eval_day, trained, registry_dir):
    wh, d = landed_day_wh, eval_day["trade_date"]
    before = match_day(wh, d, "broker")
    out = score_pair(wh, d, "broker", AnomalyModel(registry_dir=registry_dir, model_version=trained["version"]))
    assert out["model"] == trained["version"] and out["backend"] == "local"
    links = wh.scalar("SELECT COUNT(*) FROM w_results")
    assert wh.scalar("SELECT COUNT(*) FROM w_scores") == links == out["scored"]
    assert wh.scalar("SELECT COUNT(*) FROM w_scores WHERE anomaly_score IS NULL") == 0
    assert out["anomalies"] > 0 and out["matches"] == before["matches"] - out["anomalies"]
    rows = wh.fetch_rows("SELECT * FROM w_breaks WHERE break_type = 'ANOMALY'")
    assert len(rows) == out["anomalies"]
    assert all(r["anomaly_explanation"] and 0.5 < r["anomaly_score"] <= 1 for r in rows), rows[:3]
    # breaks carry scores too (priority input), not only the flagged matches
    assert wh.scalar("SELECT COUNT(*) FROM w_breaks WHERE break_type <> 'ANOMALY' AND anomaly_score IS NOT NULL") > 0

    truth = json.loads(open(eval_day["truth"]).read())
    labelled = {i for a in truth["anomalies"] for i in a["internal"]}
    real = [r for r in rows if set(r["internal_ids"].split(";")) & labelled]
    assert len(real) >= 0.7 * len(rows), [r["anomaly_explanation"] for r in rows if r not in real]

    # a flagged labelled anomaly still counts as a found match
    s = score(eval_day["truth"], wh.fetch_rows("SELECT * FROM w_matches"), wh.fetch_rows("SELECT * FROM w_breaks"))
    assert s.match_recall >= 0.99 and s.match_precision >= 0.999, s

    publish_breaks(wh, d, "broker", "run-anomaly-1")
    stored = wh.fetch_rows("SELECT break_type, anomaly_score, anomaly_explanation, priority FROM breaks "
                           "WHERE break_type = 'ANOMALY'")
    assert len(stored) == out["anomalies"] and all(r["anomaly_explanation"] for r in stored)


def test_day_fit_when_no_model_is_registered(landed_day_wh, eval_day, tmp_path):
    wh, d = landed_day_wh, eval_day["trade_date"]
    match_day(wh, d, "broker")
    out = score_pair(wh, d, "broker", AnomalyModel(registry_dir=str(tmp_path / "empty")))
    assert out["model"] == "day-fit:iforest" and "fitted on the day" in out["note"]
    assert out["anomalies"] > 0
    assert wh.scalar("SELECT COUNT(*) FROM w_scores") == wh.scalar("SELECT COUNT(*) FROM w_results")


def test_named_model_with_other_schema_fails_clearly(landed_day_wh, eval_day, tmp_path):
    from recon.anomaly import registry

    wh, d = landed_day_wh, eval_day["trade_date"]
    match_day(wh, d, "broker")
    with pytest.raises(registry.ModelNotFound):
        score_pair(wh, d, "broker", AnomalyModel(registry_dir=str(tmp_path / "none"), model_version="v0001"))


def test_too_few_links_are_marked_not_scored(tmp_path):
    from blocks.warehouse import Warehouse

    day = tmp_path / "tiny"
    generate_day(DayConfig(trade_date=date(2026, 11, 25), trades=6, seed=5, break_rate=0, anomaly_rate=0), day)
    wh = Warehouse(duckdb_path=str(tmp_path / "wh.duckdb"))
    land_day(wh, day)
    match_day(wh, date(2026, 11, 25), "broker")
    out = score_pair(wh, date(2026, 11, 25), "broker", AnomalyModel(registry_dir=str(tmp_path / "none")))
    assert out["model"] is None and "too few" in out["note"]
    rows = wh.fetch_rows("SELECT * FROM w_scores")
    assert rows and all(r["anomaly_score"] is None and "not scored" in r["anomaly_explanation"] for r in rows)
    wh.close()
