"""recon/matching_rules.yaml through its one reader: defaults merged, exact decimals, bad keys named."""

from __future__ import annotations

from decimal import Decimal

import pytest

from recon.config import ConfigError
from recon.matching_rules import load_matching_rules
from recon.model import AssetClass
from tasks.tolerances import tolerances_table


def test_the_shipped_rules_resolve_for_every_asset_class():
    rules = load_matching_rules().by_class()
    assert list(rules) == [ac.value for ac in AssetClass]
    assert rules["option"].price_abs == Decimal("0.005") and rules["option"].net_abs == Decimal("0.05")
    assert rules["equity"].price_bps == Decimal("0.5")
    table = tolerances_table()
    assert table.column("asset_class").to_pylist() == list(rules)
    assert table.column("price_abs").to_pylist()[2] == Decimal("0.0050000000")


def test_class_rules_override_default_and_numbers_stay_exact(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("default: {price_abs: 0.1, settle_days: 2}\nfx: {price_abs: '0.00001', price_bps: 0.3}\n")
    rules = load_matching_rules(path)
    assert rules.for_class("fx").price_abs == Decimal("0.00001") and rules.for_class("fx").settle_days == 2
    assert rules.for_class("fx").price_bps == Decimal("0.3")  # a YAML float, read through its text
    assert rules.for_class("bond").price_abs == Decimal("0.1") and rules.for_class("bond").quantity == 0


@pytest.mark.parametrize(
    "text, named",
    [
        ("default: {price_ab: '0.1'}\n", "default.price_ab: Extra inputs are not permitted"),
        ("crypto: {price_abs: '1'}\n", "crypto: Extra inputs are not permitted"),
        ("option: {price_abs: 'a lot'}\n", "option.price_abs: Input should be a valid decimal"),
        ("bond: {net_abs: '-1'}\n", "bond.net_abs: Input should be greater than or equal to 0"),
        ("- equity\n", "expected a mapping of settings, got list"),
        ("default: {price_abs: [}\n", "is not valid YAML"),
    ],
)
def test_a_bad_rules_file_is_one_line_naming_the_field(tmp_path, text, named):
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_matching_rules(path)
    message = str(info.value)
    assert named in message and str(path) in message and "\n" not in message


def test_recon_run_refuses_a_bad_rules_file_with_exit_2_and_one_line(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    import recon.matching_rules
    from cli import app

    bad = tmp_path / "matching_rules.yaml"
    bad.write_text("default: {price_abs: '0.0001'}\noption: {price_abs: '0.005', tolerance: '1'}\n")
    monkeypatch.setattr(recon.matching_rules, "RULES_PATH", bad)
    result = CliRunner().invoke(app, ["run", "--date", "2026-11-27", "--landing", str(tmp_path), "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "option.tolerance: Extra inputs are not permitted" in " ".join(result.output.split())
    assert "Traceback" not in result.output
