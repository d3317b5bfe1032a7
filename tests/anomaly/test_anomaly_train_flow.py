"""The training flow under a Prefect server: lands a generated day, trains a challenger, makes it
the champion when there is none; a deliberately worse challenger is not promoted and the registry
keeps why (lineage)."""

from __future__ import annotations

from datetime import date

import pytest

from recon.anomaly import registry
from recon.generator import DayConfig, generate_day


@pytest.mark.slow
def test_train_flow_registers_and_promotes_a_first_model(prefect_harness, tmp_path, monkeypatch):
    from blocks.warehouse import reset_warehouses
    from flows.train import train_anomaly_model

    monkeypatch.setenv("RECON_HOME", str(tmp_path / "home"))
    reset_warehouses()
    day = tmp_path / "day"
    generate_day(DayConfig(trade_date=date(2026, 11, 19), trades=800, seed=313, anomaly_rate=0.03), day)
    out = train_anomaly_model(landing_dirs=[str(day)], detector="hbos", contamination=0.03)
    reset_warehouses()
    assert out["version"] == "v0001" and out["training"]["trade_dates"] == ["2026-11-19"]
    assert out["decision"]["promoted"] and out["champion"] == "v0001"
    meta = registry.read_meta("v0001", str(tmp_path / "home" / "models"))
    assert meta["detector"] == "hbos" and meta["contamination"] == 0.03
    assert meta["decision"]["reason"] == "no champion yet" and meta["lineage"]["trained_by"] == "train flow"


@pytest.mark.slow
def test_a_worse_challenger_is_not_promoted(trained, registry_dir, anomaly_root, tmp_path, pin_clock):
    """The challenger is fitted on a day where a third of the trades are anomalies (it learns them
    as normal); on labelled days of other seeds it is worse, so the champion stays."""
    import shutil
    from datetime import datetime

    from blocks.warehouse import Warehouse
    from tasks.anomaly_train import champion_challenger, fit_and_register, land_day
    from tests.anomaly.conftest import _day

    pin_clock(datetime(2026, 11, 28, 6, 0))
    reg = str(tmp_path / "models")
    shutil.copytree(registry_dir, reg)
    registry.promote(trained["version"], "test", "first", root=reg)
    polluted = tmp_path / "polluted"
    generate_day(DayConfig(trade_date=date(2026, 11, 20), trades=1500, seed=5151, anomaly_rate=0.35), polluted)
    wh = Warehouse(duckdb_path=str(tmp_path / "wh.duckdb"))
    challenger = fit_and_register(wh, [land_day(wh, polluted)], registry_dir=reg, contamination=0.3)
    wh.close()
    labelled = [str(_day(anomaly_root, date(2026, 11, 26), 4921))]
    out = champion_challenger(challenger, labelled, tmp_path / "work", margin=0.01, registry_dir=reg,
                              promoted_by="test")
    d = out["decision"]
    assert not d["promoted"] and out["champion"] == trained["version"], d
    assert d["challenger_metrics"]["average_precision"] < d["champion_metrics"]["average_precision"] - 0.01
    assert "worse than" in d["reason"]
    assert registry.read_meta(challenger["version"], reg)["decision"] == d
    assert registry.champion_record(reg)["history"][-1]["version"] == trained["version"]

    # the same challenger with a margin wide enough is promoted, and the record says by whom
    out = champion_challenger(challenger, labelled, tmp_path / "work", margin=1.0, registry_dir=reg,
                              promoted_by="ops")
    assert out["decision"]["promoted"] and out["champion"] == challenger["version"]
    rec = registry.champion_record(reg)
    assert rec["promoted_by"] == "ops" and rec["previous"] == trained["version"]
    assert rec["promoted_at"].startswith("2026-11-28T06:00:00")  # business time (recon.clock)
