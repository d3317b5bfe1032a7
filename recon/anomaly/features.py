"""The feature schema: names, meaning, direction of "unusual", and how to read them from SQL.

sql/70_features.sql computes one row per link; this module fixes the column order the models see
and hashes it, so a model trained on one schema is never scored on another.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import date

import numpy as np

SCHEMA_VERSION = 1
DEFAULT_HISTORY_DAYS = 30


@dataclass(frozen=True, slots=True)
class Feature:
    name: str
    unit: str
    direction: str  # "high" or "low": which way is unusual
    neutral: float  # the value used when the feature cannot be computed (reported, never hidden)
    min_scale: float  # explanation scale floor: the smallest deviation that counts as one unit
    cap: float | None  # explanation strength ceiling (see explain.py)
    meaning: str
    log: bool = False  # compared on a log scale (ratios, durations)


FEATURES: tuple[Feature, ...] = (
    Feature("price_vs_vwap", "half-ranges", "high", 0.0, 0.05, None,
            "distance of the price from the instrument's day VWAP, in half day-ranges"),
    Feature("price_outside_day_range", "ranges", "high", 0.0, 0.005, 10.0,
            "how far the price lies beyond the day's low/high, as a share of the range"),
    Feature("commission_rate", "x schedule", "high", 1.0, 0.05, None,
            "commission over the broker's schedule for the asset class (1 = as scheduled)", log=True),
    Feature("account_asset_class", "-ln share", "high", 0.0, 0.25, None,
            "rarity of the asset class in the account's trades over the history window"),
    Feature("counterparty_rarity", "-ln share", "high", 0.0, 0.25, None,
            "rarity of the broker in the account's trades of this asset class over the history window"),
    Feature("duplicate_key", "extra bookings", "high", 0.0, 0.1, None,
            "other records with the same account, instrument, side, quantity and price on BOTH sides"),
    Feature("offsetting_trade_minutes", "minutes", "low", 390.0, 1.0, None,
            "minutes to the nearest opposite order of the same account, instrument and total quantity (390 = none)",
            log=True),
    Feature("notional_z", "robust z", "high", 0.0, 1.0, None,
            "|log notional - account's median for the asset class| / (1.4826 MAD)"),
    Feature("fill_count", "records", "high", 1.0, 2.0, None,
            "records booked against the same order"),
    Feature("settle_lag_days", "days", "high", 0.0, 1.0, None,
            "settlement lag minus the instrument's usual lag on the day"),
)
FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)


def schema_hash(features: tuple[Feature, ...] = FEATURES) -> str:
    """A model is valid only for the schema it was trained on: names, order, units, directions."""
    doc = {"version": SCHEMA_VERSION, "features": [[f.name, f.unit, f.direction, f.log] for f in features]}
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:16]


def describe() -> list[dict]:
    return [asdict(f) for f in FEATURES]


@dataclass
class FeatureFrame:
    """Features of one pair's links: X[i] describes link_ids[i]. missing counts NULLs imputed."""

    link_ids: list[int]
    X: np.ndarray
    missing: dict[str, int]

    def __len__(self) -> int:
        return len(self.link_ids)


def compute_features(wh, trade_date: date, history_days: int = DEFAULT_HISTORY_DAYS) -> FeatureFrame:
    """Run sql/70_features.sql on the pair in the work tables and read w_features in schema order."""
    wh.run_file("70_features.sql", {"trade_date": trade_date, "history_days": history_days})
    cols = ", ".join(f"f.{name}" for name in FEATURE_NAMES)
    # In the links' business order (their record ids), not by link_id: uids depend on the order the
    # day's files landed in (concurrently), and a detector that subsamples (IForest) would then
    # fit a different model on the same day from run to run.
    table = wh.fetch_arrow(
        f"SELECT f.link_id, {cols} FROM w_features f LEFT JOIN w_results r ON r.link_id = f.link_id "
        "ORDER BY r.internal_ids, r.broker_ids, f.link_id"
    )
    return frame_from_table(table)


def frame_from_table(table) -> FeatureFrame:
    import pyarrow as pa
    import pyarrow.compute as pc

    X = np.empty((table.num_rows, len(FEATURES)), dtype=np.float64)
    missing: dict[str, int] = {}
    for j, f in enumerate(FEATURES):
        col = table.column(f.name).cast(pa.float64())
        if col.null_count:
            missing[f.name] = col.null_count
        X[:, j] = pc.fill_null(col, f.neutral).to_numpy()
    return FeatureFrame(link_ids=table.column("link_id").to_pylist(), X=X, missing=missing)
