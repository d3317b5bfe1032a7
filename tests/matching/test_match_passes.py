"""Each matching pass and break type on small, hand-built days (DuckDB)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from tasks.match import match_day
from tests.matching.builders import D, broker, internal, load


@pytest.fixture()
def wh(wh):
    """The shared warehouse (conftest) with the break store too."""
    wh.run_file("20_break_store.sql")
    return wh


def run(wh, rows, **kw):
    load(wh, rows)
    summary = match_day(wh, D, **kw)
    matches = {(m["match_type"], m["internal_ids"], m["broker_ids"]) for m in wh.fetch_rows("SELECT * FROM w_matches")}
    breaks = {(b["break_type"], b["internal_ids"], b["broker_ids"]) for b in wh.fetch_rows("SELECT * FROM w_breaks")}
    return summary, matches, breaks


def test_exact_and_tolerance_matches(wh):
    rows = [
        internal("I1"), broker("B1"),
        # tolerance: broker rounds the price to 4 dp (0.3 bps away)
        internal("I2", price="101.123449", quantity=500), broker("B2", price="101.1234", quantity=500),
    ]
    summary, matches, breaks = run(wh, rows)
    assert matches == {("exact", "I1", "B1"), ("tolerance", "I2", "B2")}
    assert breaks == set()
    assert summary["internal_matched"] == 2 and summary["broker_matched"] == 2


def test_aggregate_fills_to_allocation_and_split_allocations(wh):
    rows = [
        # three fills of one order against one allocation at the VWAP
        internal("F1", order_id="O1", quantity=300, price="50.10", commission="3.00", fees="0"),
        internal("F2", order_id="O1", quantity=500, price="50.20", commission="5.00", fees="0"),
        internal("F3", order_id="O1", quantity=200, price="50.40", commission="2.00", fees="0"),
        broker("A1", quantity=1000, price="50.2100", commission="10.00", fees="0", group_id="AL9"),
        # one internal trade split by the broker into two allocation rows
        internal("T1", instrument_id="US5949181045", quantity=1500, price="410.05"),
        broker("S1", instrument_id="US5949181045", quantity=1000, price="410.05", group_id="G7", commission="7.00", fees="0.50"),
        broker("S2", instrument_id="US5949181045", quantity=500, price="410.05", group_id="G7", commission="3.00", fees="0"),
    ]
    _, matches, breaks = run(wh, rows)
    assert ("aggregate", "F1;F2;F3", "A1") in matches
    assert ("aggregate", "T1", "S1;S2") in matches
    assert breaks == set()


def test_many_to_many_by_sums(wh):
    rows = [
        internal("N1", quantity=100, price="20.00", commission="1", fees="0"),
        internal("N2", quantity=300, price="20.40", commission="3", fees="0"),
        broker("M1", quantity=250, price="20.30", commission="2.5", fees="0"),
        broker("M2", quantity=150, price="20.30", commission="1.5", fees="0"),
    ]
    _, matches, breaks = run(wh, rows)
    assert matches == {("many_to_many", "N1;N2", "M1;M2")}
    assert breaks == set()


@pytest.mark.parametrize(
    "internal_kw, broker_kw, expected",
    [
        ({}, {"quantity": 900}, "QUANTITY_MISMATCH"),
        ({}, {"price": "189.3500"}, "PRICE_MISMATCH"),
        ({}, {"side": "sell"}, "SIDE_MISMATCH"),
        ({"side": "sell"}, {"side": "sell_short"}, "SIDE_MISMATCH"),
        ({}, {"account": "FUND-B"}, "ACCOUNT_MISMATCH"),
        ({}, {"settle_date": D}, "SETTLEMENT_DATE_MISMATCH"),
        ({}, {"commission": "25.00"}, "COMMISSION_MISMATCH"),
    ],
)
def test_one_attribute_disagreements_are_one_break(wh, internal_kw, broker_kw, expected):
    _, matches, breaks = run(wh, [internal("I1", **internal_kw), broker("B1", **broker_kw)])
    assert matches == set()
    assert breaks == {(expected, "I1", "B1")}


def test_missing_and_duplicates(wh):
    rows = [
        internal("I1"), broker("B1"), broker("B1-DUP"),  # broker reported one trade twice
        internal("I2", quantity=77, price="12.5"),  # nothing at the broker
        broker("B3", instrument_id="US88160R1014", quantity=40, price="250"),  # nothing internally
    ]
    _, matches, breaks = run(wh, rows)
    assert matches == {("exact", "I1", "B1")}
    assert breaks == {
        ("DUPLICATE", "", "B1-DUP"),
        ("MISSING_AT_BROKER", "I2", ""),
        ("MISSING_INTERNALLY", "", "B3"),
    }


def test_every_record_ends_in_exactly_one_link(wh):
    rows = [internal(f"I{i}", quantity=100 + i) for i in range(20)]
    rows += [broker(f"B{i}", quantity=100 + i) for i in range(0, 20, 2)]
    rows += [broker(f"X{i}", quantity=5000 + i, price="1") for i in range(5)]
    summary, _, _ = run(wh, rows)
    n_links = wh.scalar("SELECT COUNT(*) FROM w_links")
    assert n_links == wh.scalar("SELECT COUNT(DISTINCT uid) FROM w_links") == 35
    assert summary["internal_matched"] + summary["internal_in_breaks"] == 20
    assert summary["broker_matched"] + summary["broker_in_breaks"] == 15


def test_classification_refuses_links_that_lose_a_record(wh):
    from tasks.match import classify_links, link_records, select_candidates

    load(wh, [internal("I1"), broker("B1"), internal("I2", quantity=7), broker("B2", instrument_id="US5949181045")])
    params = select_candidates(wh, D, "broker")
    link_records(wh, params)
    wh.execute("DELETE FROM w_links WHERE pass = 'MISSING_INTERNALLY'")  # a pass that forgot a record
    with pytest.raises(RuntimeError, match="control totals: 4 candidate records but 3"):
        classify_links(wh, params)


def test_identical_prints_pair_in_time_order_and_the_extra_one_is_a_duplicate(wh):
    at = lambda h, m: datetime(2026, 11, 27, h, m)  # noqa: E731
    rows = [  # time order, not id order: I3 printed first
        internal("I1", transact_time=at(10, 0)), internal("I2", transact_time=at(10, 5)),
        internal("I3", transact_time=at(9, 0)),
        broker("B1", transact_time=at(9, 1)), broker("B2", transact_time=at(10, 1)),
    ]
    _, matches, breaks = run(wh, rows)
    assert matches == {("exact", "I3", "B1"), ("exact", "I1", "B2")}
    assert breaks == {("DUPLICATE", "I2", "")}


def test_scope_by_broker_and_account(wh):
    rows = [internal("I1"), broker("B1"), internal("I2", broker="castlerock"), broker("B2", broker="castlerock", quantity=5),
            internal("I3", broker=None)]  # no broker: outside any broker scope
    summary, matches, breaks = run(wh, rows, brokers=["northbridge"])
    assert matches == {("exact", "I1", "B1")} and breaks == set()
    assert summary["candidates_internal"] == 1


def test_difference_amount_is_exact(wh):
    _, _, _ = run(wh, [internal("I1", quantity=1000, price="10.0000"), broker("B1", quantity=1000, price="10.0300")])
    row = wh.fetch_rows("SELECT difference_amount, notional FROM w_breaks")[0]
    assert row["difference_amount"] == Decimal("30.000000")
