"""One SQL, two engines: the whole matching gives identical matches and breaks on DuckDB and on
Snowflake (fakesnow server, the real connector over HTTP)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from recon.model import executions_to_arrow
from tasks.break_store import publish_breaks
from tasks.match import match_day
from tests.matching.builders import D, broker, internal

pytestmark = pytest.mark.slow


def busy_day():
    """Every pass and break type, across brokers, accounts and asset classes."""
    rows = [
        internal("I1"), broker("B1"), broker("B1-DUP"),
        internal("I2", price="101.123449", quantity=500), broker("B2", price="101.1234", quantity=500),
        internal("F1", order_id="O1", quantity=300, price="50.10", commission="3.00", fees="0"),
        internal("F2", order_id="O1", quantity=500, price="50.20", commission="5.00", fees="0"),
        internal("F3", order_id="O1", quantity=200, price="50.40", commission="2.00", fees="0"),
        broker("A1", quantity=1000, price="50.2100", commission="10.00", fees="0", group_id="AL9"),
        internal("T1", instrument_id="US5949181045", quantity=1500, price="410.05"),
        broker("S1", instrument_id="US5949181045", quantity=1000, price="410.05", group_id="G7", commission="7", fees="0.5"),
        broker("S2", instrument_id="US5949181045", quantity=500, price="410.05", group_id="G7", commission="3", fees="0"),
        internal("N1", instrument_id="ESZ6", asset_class="future", quantity=10, price="6010.25", broker="castlerock", multiplier=50),
        internal("N2", instrument_id="ESZ6", asset_class="future", quantity=30, price="6010.75", broker="castlerock", multiplier=50),
        broker("M1", instrument_id="ESZ6", asset_class="future", quantity=25, price="6010.625", broker="castlerock", multiplier=50),
        broker("M2", instrument_id="ESZ6", asset_class="future", quantity=15, price="6010.625", broker="castlerock", multiplier=50),
        internal("Q1", quantity=700, price="12.50"), broker("Q1B", quantity=600, price="12.50"),
        internal("P1", instrument_id="US912810TM00", asset_class="bond", quantity=1000000, price="98.515625",
                 multiplier=Decimal("0.01"), broker="castlerock"),
        broker("P1B", instrument_id="US912810TM00", asset_class="bond", quantity=1000000, price="98.53125",
               multiplier=Decimal("0.01"), broker="castlerock"),
        internal("S9", account="FUND-B", side="sell", quantity=900, price="77.7"),
        broker("S9B", account="FUND-B", side="sell_short", quantity=900, price="77.7"),
        internal("C1", account="FUND-C", quantity=50, price="3.3"), broker("C1B", account="FUND-C", quantity=50, price="3.3", commission="99"),
        internal("D1", account="FUND-C", quantity=51, price="3.3"), broker("D1B", account="FUND-C", quantity=51, price="3.3", settle_date=D),
        internal("X1", account="FUND-D", quantity=5, price="1"), broker("X1B", account="FUND-E", quantity=5, price="1"),
        internal("L1", quantity=123, price="45.6"),
        broker("R1", instrument_id="EURUSD-SPOT", asset_class="fx", quantity=1000000, price="1.08345", broker="castlerock"),
    ]
    return executions_to_arrow(rows)


BUSY_DAY = busy_day()


def reconcile(wh):
    wh.run_file("01_tables.sql")
    wh.run_file("20_break_store.sql")
    wh.load_arrow("executions", BUSY_DAY)
    match_day(wh, D)
    publish_breaks(wh, D, "broker", "parity-run", now=datetime(2026, 11, 27, 22, 0))
    matches = wh.fetch_rows("SELECT match_id, match_type, internal_ids, broker_ids FROM w_matches")
    breaks = wh.fetch_rows(
        "SELECT break_id, break_type, internal_ids, broker_ids, internal_quantity, broker_quantity, "
        "difference_amount, priority, status FROM breaks"
    )
    return (
        sorted(tuple(m.values()) for m in matches),
        sorted(tuple(str(v) if isinstance(v, Decimal) else v for v in b.values()) for b in breaks),
    )


def test_duckdb_and_snowflake_agree(duck_wh, snowflake_wh):
    duck_matches, duck_breaks = reconcile(duck_wh)
    snow_matches, snow_breaks = reconcile(snowflake_wh)
    assert {m[1] for m in duck_matches} == {"exact", "tolerance", "aggregate", "many_to_many"}
    assert {b[1] for b in duck_breaks} == {
        "DUPLICATE", "QUANTITY_MISMATCH", "PRICE_MISMATCH", "SIDE_MISMATCH", "COMMISSION_MISMATCH",
        "SETTLEMENT_DATE_MISMATCH", "ACCOUNT_MISMATCH", "MISSING_AT_BROKER", "MISSING_INTERNALLY",
    }
    assert snow_matches == duck_matches
    assert snow_breaks == duck_breaks
