"""The lifecycle's statements (sql/35_break_lifecycle.sql: bound NULL filters, list binds, bound LIMIT)
give the same answers on Snowflake (the real connector against fakesnow) as on DuckDB."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from tasks.break_lifecycle import approvals, ensure_lifecycle, list_breaks, request_approval
from tests.servicenow.sn_builders import DAY, T0, break_id, make_break, open_breaks

pytestmark = pytest.mark.slow
NOW = T0 + timedelta(days=2, hours=1)


def _answers(wh) -> dict:
    wh.run_file("20_break_store.sql")
    ensure_lifecycle(wh)
    rows = [make_break(i) for i in range(6)]
    rows[4]["first_seen"] = T0 - timedelta(days=9)
    open_breaks(wh, rows, "run-1")
    request_approval(wh, break_id(3), "write_off", "WO", "below threshold", "maker", now=NOW)

    def ids(**filters):
        return [r["break_id"] for r in list_breaks(wh, now=NOW, **filters)]

    return {
        "all": ids(),
        "meridian": ids(broker="meridian"),
        "big": ids(min_notional=Decimal("1000000")),
        "day": ids(trade_date=DAY, statuses=["open", "assigned"]),
        "awaiting": ids(awaiting_approval=True),
        "two": ids(limit=2),
        "approvals": [(a["break_id"], a["status"]) for a in approvals(wh)],
        "approvals_of": [a["action"] for a in approvals(wh, break_id(3), None)],
    }


def test_lifecycle_queries_agree_on_both_engines(wh, snowflake_warehouse):
    duck = _answers(wh)
    snow = _answers(snowflake_warehouse("RECON_LIFECYCLE"))
    assert duck == snow
    assert duck["awaiting"] == [break_id(3)] and len(duck["two"]) == 2 and len(duck["all"]) == 6
    assert duck["meridian"] and duck["big"] and duck["day"]
