"""The one retry helper: bounded attempts (tenacity), exponential backoff with one jitter.

Every client that retries a call on its own - the ServiceNow block (429/5xx/connection errors), the
Kinesis producer (throttled records), the FIX session's reconnects - uses `Backoff` for its waits
and, where the attempts are bounded, `retry()` to run them:

    retry(attempt, attempts=5, backoff=Backoff(0.5, 30), sleep=time.sleep)

`attempt()` returns its result, or raises `RetryLater(reason, wait=None)` to be called again
(after `wait` seconds when the server said how long, e.g. a Retry-After, capped at backoff.max_s;
else the backoff's next delay). Any other exception goes straight to the caller. When the attempts
are spent, `RetriesExhausted` carries the last RetryLater and the number of attempts made.

The jitter: the n-th wait is drawn from [step/2, step] with step = min(max_s, base_s * 2**(n-1)),
so waits grow, are capped, and many clients do not retry in lockstep. `sleep` is injectable:
tests record the waits instead of spending them.

Not for the incident outbox's persistent schedule (tasks/incidents.py): that one lives in the
warehouse (next_attempt_at) and spans runs, not calls.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import tenacity

T = TypeVar("T")


@dataclass
class Backoff:
    """Waits of base_s, 2 x base_s, 4 x base_s ... capped at max_s, each jittered to 50-100 %."""

    base_s: float
    max_s: float
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, retry: int) -> float:
        """The wait before retry number `retry` (1 = the first retry)."""
        step = min(self.max_s, self.base_s * 2 ** max(0, retry - 1))
        return step * (0.5 + self.rng.random() / 2)


class RetryLater(Exception):
    """Raised by an attempt that may succeed if made again; `wait` overrides the backoff."""

    def __init__(self, reason: str, wait: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


class RetriesExhausted(Exception):
    """Every attempt asked to be retried; `last` is the final RetryLater."""

    def __init__(self, last: RetryLater, attempts: int):
        super().__init__(f"{last.reason} after {attempts} attempt(s)")
        self.last = last
        self.attempts = attempts


def retry(
    attempt: Callable[[], T],
    *,
    attempts: int,
    backoff: Backoff,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[RetryLater, int, float], None] | None = None,
) -> T:
    """attempt() until it returns, at most `attempts` calls; on_retry(reason, retry number, wait)
    runs before each wait (for logging and counters)."""
    if attempts < 1:
        raise ValueError(f"attempts must be >= 1, got {attempts}")

    def wait(state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception()
        if isinstance(exc, RetryLater) and exc.wait is not None:
            return min(max(0.0, exc.wait), backoff.max_s)
        return backoff.delay(state.attempt_number)

    def before_sleep(state: tenacity.RetryCallState) -> None:
        if on_retry is not None:
            on_retry(state.outcome.exception(), state.attempt_number, state.next_action.sleep)

    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(attempts),
        wait=wait,
        retry=tenacity.retry_if_exception_type(RetryLater),
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
    try:
        return retrying(attempt)
    except RetryLater as last:
        raise RetriesExhausted(last, attempts) from None
