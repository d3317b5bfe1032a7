"""One feature SQL, two engines: sql/71_features.sql and the scoring step give the same features,
scores and ANOMALY breaks on DuckDB and on Snowflake (fakesnow server, the real connector)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pytest

from blocks.anomaly_model import AnomalyModel
from blocks.warehouse import Warehouse
from recon.anomaly.features import FEATURE_NAMES, compute_features
from recon.model import executions_to_arrow
from tasks.anomaly import score_pair
from tasks.match import match_day
from tests.matching.builders import D, broker, internal

pytestmark = pytest.mark.slow
T0 = datetime(2026, 11, 27, 9, 35)  # normal trades 09:35-15:55 New York


def _pair(n: int, qty: int, px: str, minutes: float, account: str = "FUND-A", side: str = "buy", spike: int = 1,
          **kw) -> list:
    commission = (Decimal("0.0035") * qty * spike).quantize(Decimal("0.01"))
    common = dict(account=account, side=side, quantity=qty, price=px, commission=commission, fees="0",
                  transact_time=T0 + timedelta(minutes=minutes), **kw)
    return [internal(f"I{n}", **common), broker(f"B{n}", **common)]


def day_rows() -> pa.Table:
    rng = np.random.default_rng(3)
    rows = []
    for n in range(40):  # ordinary trades around a 189.25 VWAP, day range 187.00-191.50
        px = f"{189.25 + rng.normal(0, 0.6):.2f}"
        rows += _pair(n, int(rng.integers(1, 40)) * 100, px, float(rng.uniform(0, 380)), order_id=f"O{n}")
    rows += _pair(100, 700, "189.30", 50, spike=10, order_id="O100")               # commission 10x
    rows += _pair(101, 500, "201.00", 70, order_id="O101")                         # fat finger
    rows += _pair(102, 1300, "189.10", 90, order_id="O102")                        # wash trade ...
    rows += _pair(103, 1300, "189.12", 92, side="sell", order_id="O103")           # ... 2 minutes later
    rows += _pair(104, 800, "189.40", 120, order_id="O104") + _pair(105, 800, "189.40", 120, order_id="O104")
    rows.append(internal("I106", quantity=300, price="189.00", transact_time=T0, order_id="O106"))  # missing at broker
    rows += _pair(107, 400, "189.20", 535, order_id="O107")                        # 18:30 New York: off hours
    rows += _pair(108, 600, "189.35", 200, account="GHOST-9", order_id="O108")     # a never-seen account
    return executions_to_arrow(rows)


def _land(wh: Warehouse) -> None:
    wh.run_file("01_tables.sql")
    wh.run_file("20_break_store.sql")
    wh.load_arrow("executions", day_rows())
    from tasks.anomaly import _reference_ddl

    wh.execute(_reference_ddl())
    px = pa.decimal128(38, 10)
    wh.load_arrow("market_data", pa.table({"trade_date": [D], "instrument_id": ["US0378331005"],
                                           "vwap": pa.array([Decimal("189.25")], px), "low": pa.array([Decimal("187")], px),
                                           "high": pa.array([Decimal("191.5")], px)}))
    wh.load_arrow("commission_schedules", pa.table({"broker": ["northbridge"], "asset_class": ["equity"],
                                                    "basis": ["per_unit"], "rate": pa.array([Decimal("0.0035")], px)}))


def _run(wh: Warehouse, registry: str):
    _land(wh)
    match_day(wh, D)
    frame = compute_features(wh, D)
    # link ids are engine-specific; the records a link holds are not
    keys = {r["link_id"]: (r["internal_ids"], r["broker_ids"])
            for r in wh.fetch_rows("SELECT link_id, internal_ids, broker_ids FROM w_results")}
    features = {keys[k]: x for k, x in zip(frame.link_ids, frame.X, strict=True)}
    out = score_pair(wh, D, "broker", AnomalyModel(registry_dir=registry, contamination=0.15))
    scores = {keys[r["link_id"]]: (r["anomaly_score"], r["anomaly_explanation"], r["is_anomaly"])
              for r in wh.fetch_rows("SELECT * FROM w_scores")}
    flagged = sorted(r["internal_ids"] for r in wh.fetch_rows("SELECT internal_ids FROM w_breaks WHERE break_type = 'ANOMALY'"))
    return features, out, scores, flagged


def test_features_and_scores_agree_on_both_engines(tmp_path, anomaly_snowflake_wh):
    duck = Warehouse(duckdb_path=str(tmp_path / "wh.duckdb"))
    registry = str(tmp_path / "no-models")  # day-fit on each engine: same features -> same model
    f_duck, out_duck, s_duck, flagged_duck = _run(duck, registry)
    f_snow, out_snow, s_snow, flagged_snow = _run(anomaly_snowflake_wh, registry)
    duck.close()

    assert sorted(f_duck) == sorted(f_snow) and len(f_duck) == 49
    keys = sorted(f_duck)
    np.testing.assert_allclose([f_duck[k] for k in keys], [f_snow[k] for k in keys], rtol=1e-9, atol=1e-12)
    X = f_duck
    col = {n: i for i, n in enumerate(FEATURE_NAMES)}
    assert max(x[col["commission_ratio"]] for x in X.values()) > 5  # (24.50 + 1) / (2.45 + 1)
    assert max(x[col["minutes_outside_session"]] for x in X.values()) == pytest.approx(150, abs=1)
    assert min(x[col["account_share"]] for x in X.values()) == pytest.approx(1 / 49)
    assert max(x[col["price_outside_day_range"]] for x in X.values()) > 2
    assert sorted(x[col["offsetting_trade_minutes"]] for x in X.values())[:2] == [2.0, 2.0]
    assert sum(x[col["duplicate_key"]] == 1 for x in X.values()) == 2

    assert out_duck["model"] == out_snow["model"] == "day-fit:robust"
    assert s_duck.keys() == s_snow.keys() and flagged_duck == flagged_snow
    for k in keys:
        assert s_duck[k][1:] == s_snow[k][1:] and s_duck[k][0] == pytest.approx(s_snow[k][0], abs=1e-12)
    flagged = {i for ids in flagged_duck for i in ids.split(";")}
    assert {"I100", "I101", "I107", "I108"} <= flagged, flagged_duck


def test_the_day_fit_does_not_depend_on_the_order_records_landed_in(tmp_path):
    """Uids follow landing order (files land concurrently in the flow); the features a detector is
    fitted on come in the links' record-id order, so the same day gives the same model and the
    same ANOMALY breaks however it landed."""
    runs = []
    for name, reverse in (("a", False), ("b", True)):
        wh = Warehouse(duckdb_path=str(tmp_path / f"{name}.duckdb"))
        rows = day_rows()
        if reverse:
            rows = rows.take(list(range(rows.num_rows - 1, -1, -1)))
        wh.run_file("01_tables.sql")
        wh.load_arrow("executions", rows)
        match_day(wh, D)
        frame = compute_features(wh, D)
        uids = [r["uid"] for r in wh.fetch_rows("SELECT uid FROM executions WHERE record_id = 'I0'")]
        score_pair(wh, D, "broker", AnomalyModel(registry_dir=str(tmp_path / "none"), detector="iforest",
                                                  contamination=0.1))
        flagged = sorted(r["internal_ids"] for r in wh.fetch_rows(
            "SELECT internal_ids FROM w_breaks WHERE break_type = 'ANOMALY'"))  # fmt: skip
        runs.append((frame.X, uids, flagged))
        wh.close()
    (xa, uid_a, flagged_a), (xb, uid_b, flagged_b) = runs
    assert uid_a != uid_b  # the records did get other uids
    assert np.array_equal(xa, xb) and flagged_a == flagged_b and flagged_a
