"""Money at risk in USD: the day's FX rates from the generator's reference data rank breaks and
sum them in the report; a currency without a rate is ranked by its own amount and shown apart."""

from __future__ import annotations

import csv
from datetime import datetime
from decimal import Decimal

from recon.generator import DayConfig, generate_day
from tasks.anomaly import land_reference
from tasks.break_store import publish_breaks
from tasks.match import match_day
from tasks.report import render_report
from tasks.results import run_breaks
from tests.matching.builders import D, internal, load

NOW = datetime(2026, 11, 27, 15, 0)  # 10:00 New York: 9 hours to the cut-off


def yen_break(wh, with_rate: bool) -> dict:
    """One internal USD/JPY trade the broker never reported: 15,000,000 JPY at risk (~99,000 USD)."""
    load(wh, [internal("FX1", instrument_id="FX-USDJPY", asset_class="fx", quantity=100000, price="150.00",
                       currency="JPY", commission=0, fees=0)])
    match_day(wh, D)
    if with_rate:
        wh.run_file("20_break_store.sql")
        wh.execute("INSERT INTO fx_rates VALUES (:d, 'JPY', 0.006600000000)", {"d": D})
    publish_breaks(wh, D, "broker", "run-1", now=NOW)
    return run_breaks(wh, D, "run-1")[0]


def test_a_yen_break_is_ranked_by_its_usd_amount(wh):
    b = yen_break(wh, with_rate=True)
    assert b["difference_amount"] == Decimal("15000000") and b["currency"] == "JPY"
    assert b["difference_usd"] == Decimal("99000.000000")
    assert b["priority_score"] == 20 + 10  # 10,000-100,000 USD tier + more than 6 hours to the cut-off


def test_without_a_rate_the_trade_currency_amount_ranks_and_usd_is_unknown(wh):
    b = yen_break(wh, with_rate=False)
    assert b["difference_usd"] is None
    assert b["priority_score"] == 40 + 10  # 15,000,000 taken as is: ranked high, not lost


def test_report_sums_usd_and_lists_currencies_without_a_rate():
    breaks = [
        {"break_type": "MISSING_AT_BROKER", "broker": "nb", "difference_amount": Decimal("15000000"),
         "currency": "JPY", "difference_usd": Decimal("99000"), "priority": "P3", "priority_score": 30},
        {"break_type": "PRICE_MISMATCH", "broker": "nb", "difference_amount": Decimal("1000"),
         "currency": "USD", "difference_usd": Decimal("1000"), "priority": "P4", "priority_score": 20},
        {"break_type": "PRICE_MISMATCH", "broker": "cr", "difference_amount": Decimal("500"),
         "currency": "SEK", "difference_usd": None, "priority": "P4", "priority_score": 20},
    ]
    html = render_report({"trade_date": D, "matches": 1}, breaks, NOW)
    assert "money at risk (USD)<b class=''>100,000</b>" in html
    assert "no USD rate: SEK<b class='bad'>500</b>" in html


def test_generated_days_carry_usd_rates_that_land_for_the_day(tmp_path, wh):
    generate_day(DayConfig(trade_date=D, trades=300, seed=5), tmp_path / "day")
    with open(tmp_path / "day" / "reference" / "fx_rates.csv", newline="") as fh:
        rates = {r["currency"]: Decimal(r["usd_per_unit"]) for r in csv.DictReader(fh)}
    assert rates["USD"] == 1 and Decimal("0.005") < rates["JPY"] < Decimal("0.01") and rates["EUR"] > 1
    landed = land_reference(wh, tmp_path / "day" / "reference", D)
    assert landed["fx_rates"] == len(rates)
    stored = {r["currency"]: r["usd_per_unit"] for r in wh.fetch_rows("SELECT * FROM fx_rates WHERE trade_date = :d", {"d": D})}
    assert stored == rates
    land_reference(wh, tmp_path / "day" / "reference", D)  # again: replaced, not doubled
    assert wh.scalar("SELECT COUNT(*) FROM fx_rates") == len(rates)
