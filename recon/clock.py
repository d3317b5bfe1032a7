"""The one clock for business time: break first/last seen, aging, T+1 cut-off triage, outbox
schedules and retries, stream windows, registry timestamps, the default trade date, lineage times.

Everything that asks "what time is it" for the business asks here, never `datetime.now()`,
`date.today()` or `time.time()` (a test greps for them). Monotonic timers for timeouts and latency
are not business time and stay with `time.monotonic()`.

The clock can be pinned:
- in process, `with pinned(datetime(2026, 11, 27, 18, tzinfo=UTC)): ...` (tests);
- for a whole process and its children, `RECON_NOW=2026-11-27T18:00:00Z` (a CLI run in a test, or
  an operator replaying a past day's triage).

A pinned clock stands still: code that needs time to pass takes an explicit `now=` argument.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

ENV = "RECON_NOW"
NEW_YORK = ZoneInfo("America/New_York")

_pinned: list[datetime] = []  # a stack: the innermost pin wins (process-wide, so task threads see it)


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _from_env(text: str) -> datetime:
    try:
        return _aware(datetime.fromisoformat(text.strip().replace("Z", "+00:00")))
    except ValueError as exc:
        raise ValueError(f"{ENV}={text!r} is not an ISO-8601 time, e.g. 2026-11-27T18:00:00Z") from exc


def now() -> datetime:
    """The current business time, UTC, timezone-aware."""
    if _pinned:
        return _pinned[-1]
    if env := os.environ.get(ENV):
        return _from_env(env)
    return datetime.now(UTC)


def utcnow() -> datetime:
    """now() as a naive UTC datetime: the warehouse stores TIMESTAMP_NTZ in UTC."""
    return now().replace(tzinfo=None)


def today(tz: ZoneInfo = NEW_YORK) -> date:
    """Today's date where the desk is (New York by default): the default trade date."""
    return now().astimezone(tz).date()


def timestamp() -> float:
    """now() as POSIX seconds (for comparing with an HTTP date, e.g. a Retry-After)."""
    return now().timestamp()


@contextmanager
def pinned(at: datetime) -> Iterator[datetime]:
    """Stop the clock at `at` (naive means UTC) inside the block, in every thread of the process."""
    at = _aware(at)
    _pinned.append(at)
    try:
        yield at
    finally:
        _pinned.remove(at)
