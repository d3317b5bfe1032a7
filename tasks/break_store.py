"""Publish a run's breaks into the break store: triage, events, MERGE by break_id, close the fixed.

The store is idempotent by construction: break_id is a hash of the break's identifying keys, and
event ids hash (break_id, run_id, event). Running the same date again changes no break; it adds
one 'seen' event per break for the new run. A corrected input closes the break it fixed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from prefect import task
from prefect.cache_policies import NO_CACHE

from blocks.warehouse import Warehouse, get_warehouse
from recon import clock
from tasks.match import COUNTS, NEW_YORK
from tasks.results import persist_results

ALLOCATION_CUTOFF = time(19, 0)  # ET, on trade date (T+1 allocations)
AFFIRMATION_CUTOFF = time(21, 0)  # ET, on trade date (T+1 affirmation)


def cutoff_utc(trade_date: date, at: time = ALLOCATION_CUTOFF) -> datetime:
    """The ET cut-off on trade_date as a naive UTC timestamp (DST handled by zoneinfo)."""
    local = datetime.combine(trade_date, at, tzinfo=NEW_YORK)
    return local.astimezone(UTC).replace(tzinfo=None)


def hours_to_cutoff(trade_date: date, now: datetime) -> float:
    return (cutoff_utc(trade_date) - now).total_seconds() / 3600


def ensure_store(wh: Warehouse) -> None:
    wh.ensure_schema("20_break_store.sql")


def publish_breaks(wh: Warehouse, trade_date: date, recon: str, run_id: str, now: datetime | None = None) -> dict:
    """Triage w_breaks and merge them into the store; -> counts of opened/seen/reopened/closed."""
    now = now or clock.utcnow()
    ensure_store(wh)
    params = {
        "trade_date": trade_date,
        "recon": recon,
        "run_id": run_id,
        "now": now,
        "hours_to_cutoff": round(hours_to_cutoff(trade_date, now), 3),
    }
    wh.run_file("62_triage.sql", params)
    wh.run_file("60_publish_breaks.sql", params)
    return {e["event"]: e["n"] for e in wh.fetch_rows(COUNTS.run_events, {"run_id": run_id})}


@task(name="publish-breaks", cache_policy=NO_CACHE)
def publish_breaks_task(trade_date: date, run: dict, matched: dict, warehouse_ref: str | None = None) -> dict:
    """Merge a matched pair's breaks into the store and keep its matches and record outcomes.

    `matched` is match_task's summary; a skipped pair (no broker-side records) publishes nothing.
    """
    if matched.get("skipped"):
        return {**matched, "events": {}}
    wh = get_warehouse(warehouse_ref)
    events = publish_breaks(wh, trade_date, matched["recon"], run["run_id"])
    persist_results(wh, trade_date, matched["recon"], run["run_id"])
    return {**matched, "events": events}
