"""Features without reference files: a day landed with the instrument master only still shows its
commission spikes (against the broker's peers), off-hours bookings (against the session) and
never-seen accounts (with no history); what cannot be computed is imputed, counted and said, in the
step's summary and in the report."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np

from blocks.anomaly_model import AnomalyModel
from blocks.warehouse import Warehouse
from recon.anomaly.features import FEATURE_NAMES, FEATURES, imputed_summary
from recon.generator import DayConfig, generate_day
from tasks.anomaly import score_pair
from tasks.anomaly_train import day_features, land_day
from tasks.match import match_day
from tasks.report import render_report

D = date(2026, 11, 18)


def test_without_reference_files_the_kinds_still_show(tmp_path):
    day = tmp_path / "day"
    generate_day(DayConfig(trade_date=D, trades=1500, seed=808, anomaly_rate=0.03), day)
    wh = Warehouse(duckdb_path=str(tmp_path / "wh.duckdb"))
    land_day(wh, day, reference=False)
    frame, labels = day_features(wh, D, str(day / "truth.json"))
    assert frame.reference == {"market_data": 0, "commission_schedules": 0}
    assert frame.missing.get("price_outside_day_range") == len(frame)  # only market data knows the range
    assert frame.missing.get("commission_ratio", 0) < 0.01 * len(frame)  # peers stand in for the schedule
    col = {n: j for j, n in enumerate(FEATURE_NAMES)}
    kinds = np.array([a["kind"] if a else "" for a in labels])
    normal = kinds == ""
    spikes = frame.X[kinds == "commission_spike", col["commission_ratio"]]
    # (a spike on a commission of a few cents stays near 1 on purpose: +1.00 on both sides)
    assert spikes.size and np.mean(spikes >= 1.5) >= 0.8
    assert np.quantile(frame.X[normal, col["commission_ratio"]], 0.99) < 1.5
    late = frame.X[kinds == "off_hours", col["minutes_outside_session"]]
    assert late.size and late.min() >= 14 and np.quantile(frame.X[normal, col["minutes_outside_session"]], 0.99) == 0
    new = frame.X[kinds == "new_account", col["account_share"]]
    assert new.size and new.max() < 0.2 * frame.X[normal, col["account_share"]].min()
    fat = frame.X[kinds == "fat_finger_price", col["price_dev"]]
    assert fat.size and np.median(fat) > np.quantile(frame.X[normal, col["price_dev"]], 0.99)

    match_day(wh, D, "broker")
    out = score_pair(wh, D, "broker", AnomalyModel(registry_dir=str(tmp_path / "none")))
    assert out["mostly_imputed"] == ["price_outside_day_range"]
    assert "price_outside_day_range (no market data)" in out["imputed_note"]
    assert out["imputed_share"] < 0.1
    wh.close()


def test_a_detector_that_sees_mostly_imputed_values_says_so():
    rows = 100
    out = imputed_summary({f.name: 80 for f in FEATURES[:9]}, rows)
    assert out["imputed_share"] > 0.5 and "mostly imputed values" in out["imputed_note"]
    assert imputed_summary({}, rows) == {"imputed_share": 0.0, "mostly_imputed": []}
    summary = {"trade_date": D, "matches": 1, "recons": {"broker": {"model": "day-fit:robust", **out}}}
    html = render_report(summary, [], datetime(2026, 11, 18, 22, 0))
    assert "Anomaly model" in html and "mostly imputed values" in html
