"""Fixtures for the anomaly tests: generated days (training seeds and a fresh evaluation seed),
each landed and matched in its own DuckDB, and one model trained on the training days. The seeds
are none of those the benchmark figures (BENCHMARKS.md) were measured on."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from blocks.warehouse import Warehouse
from recon.generator import DayConfig, generate_day
from tasks.anomaly_train import day_features, fit_and_register, land_day

TRAIN_DAYS = ((date(2026, 11, 23), 4101), (date(2026, 11, 24), 4102))
EVAL_DAY = (date(2026, 11, 25), 4909)  # a seed never used for training
TRADES = 3000
ANOMALY_RATE = 0.006  # anomalous links ~0.7% of links: room for all of them in a 1% alert budget


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


@pytest.fixture()
def moto_update_endpoint(monkeypatch):
    """moto's SageMaker control plane has no UpdateEndpoint (NotImplementedError); this adds it the way
    the AWS API describes it: the endpoint moves to the named, existing endpoint config."""
    from moto.sagemaker.exceptions import ValidationError
    from moto.sagemaker.responses import ActionResult, SageMakerResponse

    def update_endpoint(self):
        backend = self.sagemaker_backend
        name, config_name = self._get_param("EndpointName"), self._get_param("EndpointConfigName")
        endpoint = backend.endpoints.get(name)
        if endpoint is None:
            raise ValidationError(message=f"Could not find endpoint '{name}'.")
        config = backend.describe_endpoint_config(config_name)
        endpoint.endpoint_config_name = config_name
        endpoint.production_variants = endpoint._process_production_variants(config["ProductionVariants"])
        return ActionResult({"EndpointArn": endpoint.arn})

    monkeypatch.setattr(SageMakerResponse, "update_endpoint", update_endpoint, raising=False)
