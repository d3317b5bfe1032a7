"""Versioned model artifacts under RECON_HOME/models: one directory per version.

    models/v0003/detector.joblib   the PyOD detector (pyod.utils.persistence envelope)
    models/v0003/model.json        detector, contamination, thresholds (per kind, from labels),
                                   feature schema + hash, explainer statistics, monitoring bins,
                                   training window, metrics, lineage, the champion/challenger
                                   decision, sha256 of the detector file
    models/champion.json           the version the daily flow scores with, who promoted it, why,
                                   with what metrics, and every earlier promotion

Pickles run code when loaded, so a detector is loaded only from inside the registry and only when
its sha256 matches model.json; a model whose feature schema hash differs from the running code's
is refused (SchemaMismatch), never scored.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from recon import clock
from recon.anomaly.explain import Explainer
from recon.anomaly.features import FEATURE_NAMES, schema_hash
from recon.anomaly.models import ScoringModel
from recon.paths import recon_home

_VERSION = re.compile(r"^v\d{4}$")


class SchemaMismatch(ValueError):
    """The model was trained on a different feature schema than the code computes."""


class ModelNotFound(LookupError):
    pass


def registry_root(root: str | Path | None = None) -> Path:
    path = Path(root) if root else recon_home() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve()


def versions(root: str | Path | None = None) -> list[str]:
    return sorted(p.name for p in registry_root(root).iterdir() if _VERSION.match(p.name) and (p / "model.json").exists())


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save(model: ScoringModel, training: dict, metrics: dict | None = None, root: str | Path | None = None,
         lineage: dict | None = None) -> str:
    """Register a fitted model; -> its version (v0001, v0002, ...). lineage: where it came from
    (data window, parent champion, who trained it)."""
    from pyod.utils.persistence import save as pyod_save

    base = registry_root(root)
    existing = versions(base)
    version = f"v{(int(existing[-1][1:]) + 1) if existing else 1:04d}"
    target = base / version
    target.mkdir()
    pyod_save(model.detector, target / "detector.joblib", metadata={"version": version, "schema_hash": model.schema})
    doc = {
        "version": version,
        "created_at": clock.now().isoformat(timespec="seconds"),
        "detector": model.detector_name,
        "contamination": model.contamination,
        "threshold": model.threshold,
        "train_mean": model.train_mean,
        "train_std": model.train_std,
        "feature_names": list(model.feature_names),
        "schema_hash": model.schema,
        "explainer": model.explainer.to_dict(),
        "thresholds": model.thresholds,
        "monitor": model.monitor,
        "training": training,
        "metrics": metrics or {},
        "lineage": lineage or {},
        "detector_sha256": _sha256(target / "detector.joblib"),
    }
    (target / "model.json").write_text(json.dumps(doc, indent=2, default=str))
    model.meta = {k: v for k, v in doc.items() if k not in ("explainer", "monitor")}
    return version


def resolve(ref: str | None = None, root: str | Path | None = None) -> str | None:
    """'latest' / None -> the newest version (None when the registry is empty); 'champion' -> the
    promoted version (else the newest); else the version."""
    have = versions(root)
    if ref == "champion":
        return champion(root) or (have[-1] if have else None)
    if ref in (None, "", "latest"):
        return have[-1] if have else None
    if ref not in have:
        raise ModelNotFound(f"model {ref!r} is not in the registry {registry_root(root)} (have: {', '.join(have) or 'none'})")
    return ref


def read_meta(version: str, root: str | Path | None = None) -> dict:
    if not _VERSION.match(version or ""):
        raise ModelNotFound(f"not a model version: {version!r} (expected v0001 ...)")
    path = registry_root(root) / version / "model.json"
    if not path.exists():
        raise ModelNotFound(f"model {version} is not in the registry {registry_root(root)}")
    return json.loads(path.read_text())


def load(ref: str | None = "latest", root: str | Path | None = None, expected_schema: str | None = None) -> ScoringModel:
    """Load a registered model; refuses a feature-schema mismatch and a tampered detector file."""
    from pyod.utils.persistence import load as pyod_load

    version = resolve(ref, root)
    if version is None:
        raise ModelNotFound(f"no model registered in {registry_root(root)}; run `recon model train`")
    meta = read_meta(version, root)
    want = expected_schema or schema_hash()
    if meta["schema_hash"] != want or meta["feature_names"] != list(FEATURE_NAMES):
        raise SchemaMismatch(
            f"model {version} was trained on feature schema {meta['schema_hash']} "
            f"({len(meta['feature_names'])} features); this code computes {want}: retrain it"
        )
    path = registry_root(root) / version / "detector.joblib"
    if _sha256(path) != meta["detector_sha256"]:
        raise ValueError(f"model {version}: detector.joblib does not match its recorded sha256; refusing to load it")
    detector = pyod_load(path, trusted=True)  # trusted: inside our registry and checksummed
    return ScoringModel(
        detector_name=meta["detector"],
        detector=detector,
        contamination=meta["contamination"],
        threshold=meta["threshold"],
        train_mean=meta["train_mean"],
        train_std=meta["train_std"],
        explainer=Explainer.from_dict(meta["explainer"]),
        schema=meta["schema_hash"],
        meta={k: v for k, v in meta.items() if k not in ("explainer", "monitor")},
        thresholds=meta.get("thresholds") or {},
        monitor=meta.get("monitor") or {},
    )


# ---- champion / challenger ----------------------------------------------------------------------
CHAMPION = "champion.json"


def champion(root: str | Path | None = None) -> str | None:
    """The version the daily flow scores with (None when none has been promoted)."""
    path = registry_root(root) / CHAMPION
    if not path.exists():
        return None
    version = json.loads(path.read_text()).get("version")
    return version if version in versions(root) else None


def champion_record(root: str | Path | None = None) -> dict:
    path = registry_root(root) / CHAMPION
    return json.loads(path.read_text()) if path.exists() else {"version": None, "history": []}


def promote(version: str, promoted_by: str, reason: str, metrics: dict | None = None,
            root: str | Path | None = None) -> dict:
    """Make `version` the champion; the record keeps every earlier promotion (lineage)."""
    read_meta(version, root)  # must exist
    record = champion_record(root)
    entry = {"version": version, "promoted_at": clock.now().isoformat(timespec="seconds"),
             "promoted_by": promoted_by, "reason": reason, "previous": record.get("version"),
             "metrics": metrics or {}}
    doc = {**entry, "history": [*record.get("history", []), entry]}
    tmp = registry_root(root) / (CHAMPION + ".tmp")
    tmp.write_text(json.dumps(doc, indent=2, default=str))
    tmp.replace(registry_root(root) / CHAMPION)
    return doc


def record_decision(version: str, decision: dict, root: str | Path | None = None) -> None:
    """Keep the champion/challenger verdict in the challenger's model.json (lineage)."""
    path = registry_root(root) / version / "model.json"
    doc = json.loads(path.read_text())
    doc["decision"] = decision
    path.write_text(json.dumps(doc, indent=2, default=str))


def resolve_for_scoring(ref: str | None, root: str | Path | None = None) -> str | None:
    """'champion' (or empty): the champion when its schema matches the code, else the newest
    version that matches; 'latest': the newest that matches; a version: itself (checked on load)."""
    want = schema_hash()
    if ref not in (None, "", "latest", "champion"):
        return ref
    if ref in (None, "", "champion"):
        champ = champion(root)
        if champ and read_meta(champ, root)["schema_hash"] == want:
            return champ
    for version in reversed(versions(root)):
        if read_meta(version, root)["schema_hash"] == want:
            return version
    return None
