"""The feature schema: names, meaning, direction of "unusual", and how to read them from SQL.

sql/71_features.sql computes one row per link; this module fixes the column order the models see
and hashes it, so a model trained on one schema is never scored on another.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import date

import numpy as np

SCHEMA_VERSION = 2
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
    Feature("price_dev", "sigma", "high", 0.0, 0.5, None,
            "|ln price - ln centre| / sigma: centre and sigma from the vendor's VWAP and range when landed, "
            "else the median and MAD of the day's prints of the instrument (both sides)"),
    Feature("price_outside_day_range", "ranges", "high", 0.0, 0.005, 10.0,
            "how far the price lies beyond the vendor's day low/high, as a share of the range (needs market data)"),
    Feature("commission_ratio", "x expected", "high", 1.0, 0.05, None,
            "commission over the expected: the broker's schedule when landed, else the broker/asset-class "
            "median per unit or in bps of notional (the basis with the smaller spread) over the window", log=True),
    Feature("notional_excess", "ln x q90", "high", 0.0, 0.25, None,
            "ln(notional / its usual 90th percentile) above 0: the smaller of the excess over the account's "
            "trades of the asset class (window) and over the day's trades of the instrument"),
    Feature("minutes_outside_session", "minutes", "high", 0.0, 5.0, None,
            "minutes before the open or after the close of the instrument's regular session (New York time)"),
    Feature("account_share", "share", "low", 0.2, 0.5, None,
            "the account's share of the internal records over the window, today included (a first trade: 1/N)",
            log=True),
    Feature("account_days_seen", "days", "low", 30.0, 1.0, None,
            "days since the account's first internal record (0 on its first day)"),
    Feature("account_asset_class", "-ln share", "high", 0.0, 0.25, None,
            "rarity of the asset class in the account's trades over the window"),
    Feature("counterparty_rarity", "-ln share", "high", 0.0, 0.25, None,
            "rarity of the broker in the account's trades of this asset class over the window"),
    Feature("duplicate_key", "extra bookings", "high", 0.0, 0.1, None,
            "other records with the same account, instrument, side, quantity and price on BOTH sides"),
    Feature("offsetting_trade_minutes", "minutes", "low", 390.0, 1.0, None,
            "minutes to the nearest opposite order of the same account, instrument and total quantity (390 = none)",
            log=True),
    Feature("fill_count", "records", "high", 1.0, 2.0, None,
            "records booked against the same order"),
    Feature("settle_lag_days", "days", "high", 0.0, 1.0, None,
            "settlement lag minus the instrument's usual lag on the day"),
)
# Features that only exist with a reference file: without it they are NULL (and counted).
REFERENCE_ONLY = {"price_outside_day_range": "market data"}
FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)


def schema_hash(features: tuple[Feature, ...] = FEATURES) -> str:
    """A model is valid only for the schema it was trained on: names, order, units, directions."""
    doc = {"version": SCHEMA_VERSION, "features": [[f.name, f.unit, f.direction, f.log] for f in features]}
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:16]


def describe() -> list[dict]:
    return [asdict(f) for f in FEATURES]


MOSTLY = 0.5  # a feature imputed for more than this share of links is "mostly imputed"


@dataclass
class FeatureFrame:
    """Features of one pair's links: X[i] describes link_ids[i]. missing counts NULLs imputed;
    reference says which reference tables the features could use on the day."""

    link_ids: list[int]
    X: np.ndarray
    missing: dict[str, int]
    reference: dict[str, int] = field(default_factory=dict)
    imputed_mask: np.ndarray | None = None  # [link, feature]: the value was NULL and imputed

    def __len__(self) -> int:
        return len(self.link_ids)

    def imputed(self) -> dict:
        """How much of what the detector sees was imputed, and a sentence when that is most of it."""
        return imputed_summary(self.missing, len(self))


def imputed_summary(missing: dict[str, int], rows: int) -> dict:
    cells = rows * len(FEATURES)
    share = sum(missing.values()) / cells if cells else 0.0
    mostly = sorted(name for name, n in missing.items() if rows and n / rows > MOSTLY)
    out: dict = {"imputed_share": round(share, 4), "mostly_imputed": mostly}
    if share > MOSTLY:
        out["imputed_note"] = (f"the detector sees mostly imputed values ({share:.0%} of all feature values): "
                               "its scores say little")
    elif mostly:
        why = [f"{m} ({'no ' + REFERENCE_ONLY[m] if m in REFERENCE_ONLY else 'not computable'})" for m in mostly]
        out["imputed_note"] = f"imputed for most links: {', '.join(why)}"
    return out


def compute_features(wh, trade_date: date, history_days: int = DEFAULT_HISTORY_DAYS) -> FeatureFrame:
    """Run sql/71_features.sql on the pair in the work tables and read w_features in schema order."""
    wh.run_file("70_anomaly_reference.sql")
    wh.run_file("71_features.sql", {"trade_date": trade_date, "history_days": history_days})
    cols = ", ".join(f"f.{name}" for name in FEATURE_NAMES)
    # In the links' business order (their record ids), not by link_id: uids depend on the order the
    # day's files landed in (concurrently), and a detector that subsamples (IForest) would then
    # fit a different model on the same day from run to run.
    table = wh.fetch_arrow(
        f"SELECT f.link_id, {cols} FROM w_features f LEFT JOIN w_results r ON r.link_id = f.link_id "
        "ORDER BY r.internal_ids, r.broker_ids, f.link_id"
    )
    frame = frame_from_table(table)
    frame.reference = {
        "market_data": int(wh.scalar("SELECT COUNT(*) FROM market_data WHERE trade_date = :d", {"d": trade_date}) or 0),
        "commission_schedules": int(wh.scalar("SELECT COUNT(*) FROM commission_schedules") or 0),
    }
    return frame


def frame_from_table(table) -> FeatureFrame:
    import pyarrow as pa
    import pyarrow.compute as pc

    X = np.empty((table.num_rows, len(FEATURES)), dtype=np.float64)
    mask = np.zeros((table.num_rows, len(FEATURES)), dtype=bool)
    missing: dict[str, int] = {}
    for j, f in enumerate(FEATURES):
        col = table.column(f.name).cast(pa.float64())
        if col.null_count:
            missing[f.name] = col.null_count
            mask[:, j] = pc.is_null(col).to_numpy(zero_copy_only=False)
        X[:, j] = pc.fill_null(col, f.neutral).to_numpy()
    return FeatureFrame(link_ids=table.column("link_id").to_pylist(), X=X, missing=missing, imputed_mask=mask)
