"""Fixtures for the anomaly tests: generated days (training seeds and a fresh evaluation seed),
each landed and matched in its own DuckDB, and one model trained on the training days."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from blocks.warehouse import Warehouse
from recon.generator import DayConfig, generate_day
from tasks.anomaly_train import day_features, fit_and_register, land_day

TRAIN_DAYS = ((date(2026, 11, 23), 4101), (date(2026, 11, 24), 4102))
EVAL_DAY = (date(2026, 11, 25), 4909)  # a seed never used for training
TRADES = 2000
ANOMALY_RATE = 0.02


def _day(root: Path, d: date, seed: int) -> Path:
    out = root / f"day-{seed}"
    generate_day(DayConfig(trade_date=d, trades=TRADES, seed=seed, anomaly_rate=ANOMALY_RATE), out)
    return out


@pytest.fixture(scope="session")
def anomaly_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("anomaly")


@pytest.fixture(scope="session")
def registry_dir(anomaly_root) -> str:
    path = anomaly_root / "models"
    path.mkdir()
    return str(path)


@pytest.fixture(scope="session")
def trained(anomaly_root, registry_dir) -> dict:
    """A model trained on two generated days; -> fit_and_register's result."""
    wh = Warehouse(duckdb_path=str(anomaly_root / "train.duckdb"))
    days = [land_day(wh, _day(anomaly_root, d, seed)) for d, seed in TRAIN_DAYS]
    result = fit_and_register(wh, days, registry_dir=registry_dir)
    wh.close()
    return result


@pytest.fixture(scope="session")
def eval_day(anomaly_root) -> dict:
    """The fresh-seed day, landed; its features and labels computed once."""
    d, seed = EVAL_DAY
    path = _day(anomaly_root, d, seed)
    wh = Warehouse(duckdb_path=str(anomaly_root / "eval.duckdb"))
    landed = land_day(wh, path)
    frame, labels = day_features(wh, d, landed["truth"])
    wh.close()
    return {"path": path, "trade_date": d, "frame": frame, "labels": labels, "truth": landed["truth"],
            "duckdb": anomaly_root / "eval.duckdb"}


@pytest.fixture()
def landed_day_wh(tmp_path, eval_day):
    """A private copy of the warehouse holding the evaluation day (for steps that change work tables)."""
    import shutil

    shutil.copy(eval_day["duckdb"], tmp_path / "wh.duckdb")
    wh = Warehouse(duckdb_path=str(tmp_path / "wh.duckdb"))
    yield wh
    wh.close()


@pytest.fixture()
def anomaly_snowflake_wh(snowflake_warehouse, request):
    """A Warehouse with engine=snowflake through prefect-snowflake's SnowflakeConnector."""
    wh = snowflake_warehouse(f"ANOM_{request.node.name[:40]}")
    return wh
