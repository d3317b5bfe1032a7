"""The training flow under a Prefect server: lands a generated day, trains and registers a model;
and it compiles to ASL like every flow in flows/."""

from __future__ import annotations

from datetime import date

import pytest

from recon.anomaly import registry
from recon.generator import DayConfig, generate_day


@pytest.mark.slow
def test_train_flow_registers_a_model(prefect_harness, tmp_path, monkeypatch):
    from blocks.warehouse import reset_warehouses
    from flows.train import train_anomaly_model

    monkeypatch.setenv("RECON_HOME", str(tmp_path / "home"))
    reset_warehouses()
    day = tmp_path / "day"
    generate_day(DayConfig(trade_date=date(2026, 11, 19), trades=800, seed=313, anomaly_rate=0.03), day)
    out = train_anomaly_model(landing_dirs=[str(day)], detector="hbos", contamination=0.03)
    reset_warehouses()
    assert out["version"] == "v0001" and out["training"]["trade_dates"] == ["2026-11-19"]
    assert out["metrics"]["overall"]["roc_auc"] > 0.9
    meta = registry.read_meta("v0001", str(tmp_path / "home" / "models"))
    assert meta["detector"] == "hbos" and meta["contamination"] == 0.03
