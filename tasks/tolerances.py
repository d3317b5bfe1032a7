"""Matching tolerances per asset class, from recon/matching_rules.yaml (exact decimals)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import yaml

from recon.model import AssetClass

RULES_PATH = Path(__file__).resolve().parent.parent / "recon" / "matching_rules.yaml"
_FIELDS = {
    "price_abs": (38, 10),
    "price_bps": (38, 6),
    "quantity": (38, 8),
    "net_abs": (38, 6),
    "commission_abs": (38, 6),
}


def load_rules(path: str | Path | None = None) -> dict[str, dict]:
    """-> {asset_class: {field: Decimal | int}} with `default` merged into every class."""
    raw = yaml.safe_load(Path(path or RULES_PATH).read_text()) or {}
    unknown = set(raw) - {"default", *AssetClass}
    if unknown:
        raise ValueError(f"matching rules: unknown asset class(es) {sorted(unknown)} in {path or RULES_PATH}")
    default = raw.get("default") or {}
    rules = {}
    for ac in AssetClass:
        merged = {**default, **(raw.get(ac.value) or {})}
        bad = set(merged) - {*_FIELDS, "settle_days"}
        if bad:
            raise ValueError(f"matching rules for {ac.value}: unknown field(s) {sorted(bad)}")
        rules[ac.value] = {
            **{k: Decimal(str(merged.get(k, "0"))) for k in _FIELDS},
            "settle_days": int(merged.get("settle_days", 0)),
        }
    return rules


def tolerances_table(rules: dict[str, dict]) -> pa.Table:
    """The rules as rows of the w_tolerances table the matching SQL joins on."""
    acs = list(rules)

    def col(field, scale):
        return pa.array(
            [rules[a][field].quantize(Decimal(1).scaleb(-scale[1])) for a in acs], pa.decimal128(*scale)
        )

    return pa.table(
        {
            "asset_class": acs,
            "price_abs": col("price_abs", _FIELDS["price_abs"]),
            "price_bps": col("price_bps", _FIELDS["price_bps"]),
            "qty_tol": col("quantity", _FIELDS["quantity"]),
            "net_abs": col("net_abs", _FIELDS["net_abs"]),
            "commission_abs": col("commission_abs", _FIELDS["commission_abs"]),
            "settle_days": pa.array([rules[a]["settle_days"] for a in acs], pa.int32()),
        }
    )
