"""Analysts' feedback: the ANOMALY breaks of one day resolved as false positives (a desk that
routinely books just after the close) or confirmed (the real errors), through the break store's
resolution codes, become labels; the model trained with them flags fewer false positives on the
next, similar day and still flags every kind it confirmed."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pytest

from blocks.anomaly_model import AnomalyModel
from blocks.warehouse import Warehouse
from recon.anomaly import registry
from recon.anomaly.feedback import CONFIRMED, FALSE_POSITIVE, calibrate, label_of
from tasks.anomaly import score_pair
from tasks.anomaly_train import day_features, fit_and_register, land_day
from tasks.break_lifecycle import ensure_lifecycle, resolve
from tasks.break_store import publish_breaks
from tasks.match import match_day
from tests.anomaly.independent import write_day

pytestmark = pytest.mark.slow
DESK = "FERN-QNT"
SHARE = 0.04  # of the desk's trades: ~12 a day, too few for a retrain to take them for normal
DAY0, DAY1, DAY2 = date(2026, 12, 4), date(2026, 12, 7), date(2026, 12, 8)


def test_codes_map_to_labels_and_calibration_keeps_confirmed():
    assert label_of("False_Positive") == FALSE_POSITIVE and label_of("confirmed") == CONFIRMED
    assert label_of("broker corrected") is None and label_of("Solution provided") is None
    assert label_of("Booking error") == CONFIRMED and label_of(" not-an-error ") == FALSE_POSITIVE  # ServiceNow style
    raw = np.array([0.5, 0.9, 1.2, 2.0, 0.2])
    top = ["minutes_outside_session"] * 4 + ["price_dev"]
    labels = [FALSE_POSITIVE, FALSE_POSITIVE, CONFIRMED, CONFIRMED, None]
    cut = calibrate(raw, top, labels, threshold=0.3)
    assert cut["minutes_outside_session"] == pytest.approx((0.9 + 1.2) / 2) and "price_dev" not in cut
    # a false positive scored above a confirmed one: the confirmed one stays flagged
    cut = calibrate(raw, top, [CONFIRMED, FALSE_POSITIVE, None, None, None], threshold=0.3)
    assert 0.3 < cut["minutes_outside_session"] < 0.5
    # no confirmed one of the kind: as far again above the model's threshold
    assert calibrate(raw, top, [FALSE_POSITIVE, None, None, None, None], 0.3)["minutes_outside_session"] == 0.7


def test_false_positive_labels_lower_false_positives_next_day(tmp_path, pin_clock):
    pin_clock(datetime(2026, 12, 8, 22, 0))
    root = str(tmp_path / "models")
    wh = Warehouse(duckdb_path=str(tmp_path / "wh.duckdb"))
    ensure_lifecycle(wh)
    # day 0: before the desk's new routine; the model trained on it flags day 1
    write_day(tmp_path / "d0", DAY0, 300, trades=3000, rate=0.008)
    day0 = land_day(wh, tmp_path / "d0")
    base = fit_and_register(wh, [day0], registry_dir=root)
    d1 = write_day(tmp_path / "d1", DAY1, 301, trades=3000, rate=0.008, after_close_desk=DESK, after_close_share=SHARE)
    day1 = land_day(wh, tmp_path / "d1")
    match_day(wh, DAY1, "broker")
    score_pair(wh, DAY1, "broker", AnomalyModel(registry_dir=root, model_version=base["version"]))
    publish_breaks(wh, DAY1, "broker", "run-day1")
    truth_ids = {i for a in d1["anomalies"] for i in a["internal"]}
    flagged = wh.fetch_rows("SELECT break_id, internal_ids FROM breaks WHERE break_type = 'ANOMALY'")
    fp = [b for b in flagged if not set(b["internal_ids"].split(";")) & truth_ids]
    assert len(fp) >= 5, "the after-close desk should look unusual to an unlabelled model"
    # retrained on both days before the analysts answer (no labels), and after
    untaught = fit_and_register(wh, [day0, day1], registry_dir=root)
    assert untaught["training"]["labels"] == {"confirmed": 0, "false_positive": 0}
    for b in flagged:
        code = "false_positive" if b in fp else "confirmed"
        resolve(wh, b["break_id"], code, "checked with the desk", "jane.analyst")
    taught = fit_and_register(wh, [day0, day1], registry_dir=root)
    assert taught["training"]["labels"]["false_positive"] == len(fp)
    assert taught["thresholds"], "false positives should raise some kind's threshold"

    # day 2: a similar day (same desks, same routine), other trades
    d2 = write_day(tmp_path / "d2", DAY2, 302, trades=3000, rate=0.008, after_close_desk=DESK, after_close_share=SHARE)
    land_day(wh, tmp_path / "d2")
    frame, labels = day_features(wh, DAY2, str(tmp_path / "d2" / "truth.json"))
    kinds = np.array([a["kind"] if a else "" for a in labels])
    results = {}
    for name, version in (("before", untaught["version"]), ("after", taught["version"])):
        s = registry.load(version, root).score(frame.X)
        results[name] = {"fp": int((s.is_anomaly & (kinds == "")).sum()),
                         "found": {k: int((s.is_anomaly & (kinds == k)).sum()) for k in set(kinds) - {""}}}
    assert results["after"]["fp"] < results["before"]["fp"], results
    assert results["after"]["fp"] <= 0.5 * results["before"]["fp"], results
    for kind, n in results["before"]["found"].items():
        assert results["after"]["found"][kind] >= n, (kind, results)  # no confirmed kind lost
    assert sum(results["after"]["found"].values()) >= 0.8 * len(d2["anomalies"]), results

    # champion/challenger with no labelled landing days: compared on the analysts' verdicts
    from tasks.anomaly_train import champion_challenger

    registry.promote(base["version"], "test", "first model", root=root)
    out = champion_challenger(taught, None, tmp_path / "work", registry_dir=root, promoted_by="test", wh=wh)
    d = out["decision"]
    assert d["labelled_links"] == {"confirmed": len(flagged) - len(fp), "false_positive": len(fp)}, d
    assert "analysts' labels" in d["reason"] and set(d["challenger_metrics"]) >= {"average_precision", "precision"}
    assert d["challenger_metrics"]["precision"] > d["champion_metrics"]["precision"], d
    wh.close()
