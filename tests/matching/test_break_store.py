"""The break store: idempotent reruns, events that record them, corrections that close breaks."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tasks.break_store import cutoff_utc, publish_breaks
from tasks.match import match_day
from tests.matching.builders import D, broker, internal, load

DAY = [
    internal("I1"), broker("B1"),
    internal("I2", quantity=500), broker("B2", quantity=400),
    internal("I3", quantity=70, price="33.10"),
    broker("B4", instrument_id="US88160R1014", quantity=40, price="250"),
]


def reconcile(wh, run_id, now):
    match_day(wh, D)
    return publish_breaks(wh, D, "broker", run_id, now=now)


def snapshot(wh):
    return wh.fetch_rows(
        "SELECT break_id, break_type, status, first_seen, internal_ids, broker_ids FROM breaks ORDER BY break_id"
    )


def test_rerun_is_idempotent_and_recorded(wh):
    load(wh, DAY)
    first = reconcile(wh, "run-1", datetime(2026, 11, 27, 22, 0))
    assert first == {"opened": 3}
    before = snapshot(wh)
    again = reconcile(wh, "run-1", datetime(2026, 11, 27, 22, 5))  # same run retried: nothing new
    assert again == {"opened": 3}
    second = reconcile(wh, "run-2", datetime(2026, 11, 27, 23, 0))
    assert second == {"seen": 3}
    assert snapshot(wh) == before
    assert wh.scalar("SELECT COUNT(*) FROM breaks") == 3
    assert wh.scalar("SELECT COUNT(*) FROM break_events") == 6


def test_correction_closes_the_break_it_fixed(wh):
    load(wh, DAY)
    reconcile(wh, "run-1", datetime(2026, 11, 27, 22, 0))
    qty_break = wh.scalar("SELECT break_id FROM breaks WHERE break_type = 'QUANTITY_MISMATCH'")
    # the broker corrects B2's quantity in its next file
    wh.execute("UPDATE executions SET quantity = 500 WHERE record_id = 'B2'")
    events = reconcile(wh, "run-2", datetime(2026, 11, 28, 1, 0))
    assert events == {"closed": 1, "seen": 2}
    row = wh.fetch_rows("SELECT status, closed_at FROM breaks WHERE break_id = :b", {"b": qty_break})[0]
    assert row["status"] == "closed" and row["closed_at"] is not None
    # and if the correction is undone, the same break reopens with the same id
    wh.execute("UPDATE executions SET quantity = 400 WHERE record_id = 'B2'")
    events = reconcile(wh, "run-3", datetime(2026, 11, 28, 2, 0))
    assert events == {"reopened": 1, "seen": 2}
    assert wh.scalar("SELECT status FROM breaks WHERE break_id = :b", {"b": qty_break}) == "open"


def test_priority_from_cutoff_and_money(wh):
    load(wh, [internal("I1", quantity=100000, price="250"), internal("I2", quantity=10, price="5")])
    reconcile(wh, "run-1", cutoff_utc(D) - timedelta(hours=1))
    rows = {r["internal_ids"]: r["priority"] for r in wh.fetch_rows("SELECT internal_ids, priority FROM breaks")}
    assert rows == {"I1": "P2", "I2": "P3"}  # 25m notional an hour before the cut-off vs 50 USD


def test_cutoff_is_new_york_time():
    assert cutoff_utc(D) == datetime(2026, 11, 28, 0, 0)  # 19:00 EST = 00:00 UTC next day


def test_new_values_on_the_same_records_are_a_change(wh):
    load(wh, DAY)
    reconcile(wh, "run-1", datetime(2026, 11, 27, 22, 0))
    qty_break = wh.scalar("SELECT break_id FROM breaks WHERE break_type = 'QUANTITY_MISMATCH'")
    wh.execute("UPDATE executions SET quantity = 450 WHERE record_id = 'B2'")  # corrected, still off
    events = reconcile(wh, "run-2", datetime(2026, 11, 28, 1, 0))
    assert events == {"changed": 1, "seen": 2}
    row = wh.fetch_rows("SELECT status, broker_quantity FROM breaks WHERE break_id = :b", {"b": qty_break})[0]
    assert row == {"status": "open", "broker_quantity": 450}


def test_a_table_from_an_older_version_is_named_with_the_fix(wh):
    """IF NOT EXISTS keeps a table an older version made; the store says which and what to do,
    before any task trips over the missing column."""
    from blocks.warehouse import SchemaMismatch
    from tasks.break_store import ensure_store

    wh.execute("CREATE TABLE break_events (event_id VARCHAR, break_id VARCHAR, event VARCHAR)")
    with pytest.raises(SchemaMismatch, match=r"table break_events .* no column\(s\) event_at, actor.*older fix-recon.*delete"):
        ensure_store(wh)
    wh.execute("DROP TABLE break_events")
    ensure_store(wh)  # re-created: the check passes and is not repeated on this connection
    assert "20_break_store.sql" in wh._schema_checked
