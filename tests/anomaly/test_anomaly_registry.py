"""The registry: versioned artifacts with metrics, schema hash and training window; a schema
mismatch or a tampered detector file is refused, never scored."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from recon.anomaly import registry
from recon.anomaly.features import FEATURE_NAMES, schema_hash
from recon.anomaly.models import fit_model


def test_registered_model_round_trips(trained, eval_day, registry_dir):
    meta = registry.read_meta(trained["version"], registry_dir)
    assert meta["schema_hash"] == schema_hash() and meta["feature_names"] == list(FEATURE_NAMES)
    assert meta["training"]["trade_dates"] == ["2026-11-23", "2026-11-24"] and meta["training"]["rows"] > 3000
    assert meta["metrics"]["in_sample"]["overall"]["roc_auc"] > 0.9
    assert meta["detector"] == "robust" and meta["contamination"] == 0.01
    assert meta["lineage"]["data_window"] == ["2026-11-23", "2026-11-24"] and meta["lineage"]["trained_by"]
    assert set(meta["monitor"]) >= set(FEATURE_NAMES) | {"anomaly_score"}
    X = eval_day["frame"].X[:300]
    a = registry.load(trained["version"], registry_dir).score(X)
    b = registry.load("latest", registry_dir).score(X)
    assert np.array_equal(a.raw, b.raw) and a.explanation == b.explanation


def _copy_registry(src: str, dst: Path) -> str:
    shutil.copytree(src, dst)
    return str(dst)


def test_schema_mismatch_is_refused(trained, registry_dir, tmp_path):
    root = _copy_registry(registry_dir, tmp_path / "models")
    path = Path(root) / trained["version"] / "model.json"
    doc = json.loads(path.read_text())
    doc["schema_hash"] = "0123456789abcdef"
    path.write_text(json.dumps(doc))
    with pytest.raises(registry.SchemaMismatch, match="retrain"):
        registry.load(trained["version"], root)


def test_tampered_detector_is_refused(trained, registry_dir, tmp_path):
    root = _copy_registry(registry_dir, tmp_path / "models")
    det = Path(root) / trained["version"] / "detector.joblib"
    det.write_bytes(det.read_bytes() + b"\0")
    with pytest.raises(ValueError, match="sha256"):
        registry.load(trained["version"], root)


def test_versions_increase_and_unknown_is_an_error(eval_day, tmp_path):
    root = str(tmp_path / "models")
    model = fit_model(eval_day["frame"].X, "hbos")
    assert registry.save(model, {"trade_dates": ["2026-11-25"]}, root=root) == "v0001"
    assert registry.save(model, {"trade_dates": ["2026-11-25"]}, root=root) == "v0002"
    assert registry.versions(root) == ["v0001", "v0002"]
    with pytest.raises(registry.ModelNotFound):
        registry.load("v0009", root)
    with pytest.raises(registry.ModelNotFound):
        registry.load("../etc", root)


def test_champion_pointer_and_lineage(eval_day, tmp_path, pin_clock):
    from datetime import datetime

    pin_clock(datetime(2026, 11, 30, 18, 0))
    root = str(tmp_path / "models")
    model = fit_model(eval_day["frame"].X, "robust")
    v1 = registry.save(model, {"trade_dates": ["2026-11-25"]}, root=root)
    v2 = registry.save(model, {"trade_dates": ["2026-11-26"]}, root=root)
    assert registry.champion(root) is None and registry.resolve_for_scoring("champion", root) == v2
    registry.promote(v1, "ops", "first model", {"average_precision": 0.9}, root)
    assert registry.champion(root) == v1 and registry.resolve_for_scoring(None, root) == v1
    assert registry.load("champion", root).meta["version"] == v1  # recon model serve --model champion
    assert registry.resolve_for_scoring("latest", root) == v2
    doc = registry.promote(v2, "train deployment", "not worse", root=root)
    assert doc["previous"] == v1 and [h["version"] for h in doc["history"]] == [v1, v2]
    assert doc["promoted_at"].startswith("2026-11-30T18:00:00") and doc["promoted_by"] == "train deployment"
