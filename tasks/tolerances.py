"""The matching rules (recon.matching_rules, the one reader of matching_rules.yaml) as the rows of
the w_tolerances table the matching SQL joins on (exact decimals)."""

from __future__ import annotations

from decimal import Decimal

import pyarrow as pa

from recon.matching_rules import MatchingRules, load_matching_rules

# rule field -> (w_tolerances column, decimal precision and scale)
_COLUMNS = {
    "price_abs": ("price_abs", (38, 10)),
    "price_bps": ("price_bps", (38, 6)),
    "quantity": ("qty_tol", (38, 8)),
    "net_abs": ("net_abs", (38, 6)),
    "commission_abs": ("commission_abs", (38, 6)),
}


def tolerances_table(rules: MatchingRules | None = None) -> pa.Table:
    """One row per asset class: its resolved tolerances (`default` merged in)."""
    resolved = (rules or load_matching_rules()).by_class()
    classes = list(resolved)
    table = {"asset_class": classes}
    for field, (column, (precision, scale)) in _COLUMNS.items():
        quantum = Decimal(1).scaleb(-scale)
        values = [getattr(resolved[c], field).quantize(quantum) for c in classes]
        table[column] = pa.array(values, pa.decimal128(precision, scale))
    table["settle_days"] = pa.array([resolved[c].settle_days for c in classes], pa.int32())
    return pa.table(table)
