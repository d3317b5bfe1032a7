"""The matching rules (recon/matching_rules.yaml): one typed reader for the matcher and the generator.

    rules = load_matching_rules()             # or load_matching_rules(path)
    rules.for_class("option").price_abs       # Decimal("0.005"): the class's rule over `default`

The file has a `default` rule and one optional rule per asset class; a field an asset class does
not give comes from `default`, and a field neither gives is zero (settle_days 0). Values are exact
decimals (write them as strings). Unknown keys are errors that name the field, e.g.
`matching rules (recon/matching_rules.yaml): option.price_ab: Extra inputs are not permitted`.

To add a setting: a field on `Rule` (optional, None = not given) and on `Tolerances` (the resolved
value with its default); both are read with the same merge.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from recon.config import load_file
from recon.model import AssetClass

RULES_PATH = Path(__file__).resolve().parent / "matching_rules.yaml"


def _exact(value):
    """YAML numbers arrive as float: go through their text, never the binary value."""
    return Decimal(str(value)) if isinstance(value, int | float) and not isinstance(value, bool) else value


Amount = Annotated[Decimal, BeforeValidator(_exact), Field(ge=0)]


class Rule(BaseModel):
    """One asset class's tolerances as written; None = not given (falls back to `default`)."""

    model_config = ConfigDict(extra="forbid")

    price_abs: Amount | None = Field(None, description="per unit, in the instrument's price terms")
    price_bps: Amount | None = Field(None, description="relative, basis points of the broker price")
    quantity: Amount | None = Field(None, description="absolute units")
    net_abs: Amount | None = Field(None, description="net amount, currency units")
    commission_abs: Amount | None = Field(None, description="commission + fees, currency units")
    settle_days: int | None = Field(None, ge=0, description="settle dates agree within this many days")


class Tolerances(BaseModel):
    """One asset class's resolved tolerances (every field set)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    price_abs: Decimal = Decimal(0)
    price_bps: Decimal = Decimal(0)
    quantity: Decimal = Decimal(0)
    net_abs: Decimal = Decimal(0)
    commission_abs: Decimal = Decimal(0)
    settle_days: int = 0


class MatchingRules(BaseModel):
    """The whole file: `default` plus an optional rule per asset class."""

    model_config = ConfigDict(extra="forbid")

    default: Rule = Field(default_factory=Rule)
    equity: Rule | None = None
    etf: Rule | None = None
    option: Rule | None = None
    future: Rule | None = None
    fx: Rule | None = None
    bond: Rule | None = None
    swap: Rule | None = None

    def for_class(self, asset_class: str) -> Tolerances:
        own = getattr(self, AssetClass(asset_class).value) or Rule()
        given = {**self.default.model_dump(exclude_none=True), **own.model_dump(exclude_none=True)}
        return Tolerances(**given)

    def by_class(self) -> dict[str, Tolerances]:
        """Every asset class's resolved tolerances, in AssetClass order."""
        return {ac.value: self.for_class(ac) for ac in AssetClass}


if set(MatchingRules.model_fields) != {"default", *AssetClass}:  # a new asset class needs its field
    raise ImportError("recon.matching_rules.MatchingRules must have one field per recon.model.AssetClass")


def load_matching_rules(path: str | Path | None = None) -> MatchingRules:
    """The rules file (default recon/matching_rules.yaml); ConfigError names the file and field."""
    path = Path(path or RULES_PATH)
    return load_file(MatchingRules, path, f"matching rules ({path})")
