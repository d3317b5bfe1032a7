"""The scoring step on a matched day: every link scored, anomalous matches become ANOMALY breaks
with explanations that publish and feed priority; the embedded default fits the day itself."""

from __future__ import annotations

import json
from datetime import date

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
    # an unsupervised model (no analysts' labels yet): chance look-alikes of wash trades share the flags
    assert len(real) >= 0.5 * len(rows), [r["anomaly_explanation"] for r in rows if r not in real]

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
    assert out["model"] == "day-fit:robust" and "fitted on the day" in out["note"]
    assert out["anomalies"] > 0
    assert wh.scalar("SELECT COUNT(*) FROM w_scores") == wh.scalar("SELECT COUNT(*) FROM w_results")


def _flagged(wh) -> list[str]:
    return sorted(r["internal_ids"] for r in wh.fetch_rows("SELECT internal_ids FROM w_breaks WHERE break_type = 'ANOMALY'"))


def test_model_of_another_schema_is_refused_and_no_break_is_lost(landed_day_wh, eval_day, trained, registry_dir,
                                                                  tmp_path):
    import json
    import shutil
    from pathlib import Path

    from recon.anomaly import registry

    wh, d = landed_day_wh, eval_day["trade_date"]
    root = tmp_path / "models"
    shutil.copytree(registry_dir, root)
    stale = registry.save(registry.load(trained["version"], str(root)), {"trade_dates": ["2026-11-01"]}, root=str(root))
    meta = Path(root, stale, "model.json")
    doc = json.loads(meta.read_text())
    doc["schema_hash"] = "0123456789abcdef"  # trained on another feature schema
    meta.write_text(json.dumps(doc))
    before = match_day(wh, d, "broker")
    out = score_pair(wh, d, "broker", AnomalyModel(registry_dir=str(root), model_version=stale))
    assert f"model {stale} refused" in out["refused"] and "feature schema 0123456789abcdef" in out["refused"]
    assert out["model"] == trained["version"]  # the champion for this schema scored instead
    links = wh.scalar("SELECT COUNT(*) FROM w_results")
    assert out["matches"] + out["breaks"] == links and links == before["matches"] + before["breaks"]
    assert wh.scalar("SELECT COUNT(*) FROM w_scores WHERE anomaly_score IS NULL") == 0
    # a version that is not in the registry: the same
    out = score_pair(wh, d, "broker", AnomalyModel(registry_dir=str(tmp_path / "none"), model_version="v0001"))
    assert "v0001 refused" in out["refused"] and out["model"] == "day-fit:robust"


def test_endpoint_down_falls_back_to_the_local_champion(landed_day_wh, eval_day, trained, registry_dir):
    from tests.support.servers import free_port

    wh, d = landed_day_wh, eval_day["trade_date"]
    match_day(wh, d, "broker")
    local = score_pair(wh, d, "broker", AnomalyModel(registry_dir=registry_dir))
    flagged_local = _flagged(wh)
    match_day(wh, d, "broker")
    down = AnomalyModel.endpoint("recon-anomaly", f"http://127.0.0.1:{free_port()}", registry_dir=registry_dir,
                                 max_attempts=1, timeout_seconds=0.5)
    out = score_pair(wh, d, "broker", down)
    assert out["backend"] == "local" and "recon-anomaly" in out["fallback"] and out["model"] == trained["version"]
    assert _flagged(wh) == flagged_local and out["anomalies"] == local["anomalies"] > 0
    assert out["breaks"] == local["breaks"] and out["matches"] == local["matches"]


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
