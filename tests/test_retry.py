"""recon.retry: bounded attempts, the one jitter, server-given waits, an injectable sleep."""

from __future__ import annotations

import random

import pytest

from recon.retry import Backoff, RetriesExhausted, RetryLater, retry


def test_backoff_doubles_is_capped_and_jitters_within_half_to_full_step():
    backoff = Backoff(0.1, 1.0, random.Random(3))
    for n, step in [(1, 0.1), (2, 0.2), (3, 0.4), (4, 0.8), (5, 1.0), (9, 1.0)]:
        waits = [backoff.delay(n) for _ in range(200)]
        assert all(step / 2 <= w <= step for w in waits), n
        assert max(waits) - min(waits) > step / 4  # really jittered, not a constant


def test_retry_until_success_with_recorded_waits():
    sleeps, calls = [], []

    def attempt():
        calls.append(1)
        if len(calls) < 3:
            raise RetryLater("busy")
        return "done"

    retried = []
    assert retry(attempt, attempts=5, backoff=Backoff(1.0, 10.0), sleep=sleeps.append,
                 on_retry=lambda exc, n, wait: retried.append((exc.reason, n, wait))) == "done"  # fmt: skip
    assert len(calls) == 3 and len(sleeps) == 2
    assert 0.5 <= sleeps[0] <= 1.0 and 1.0 <= sleeps[1] <= 2.0
    assert [(r, n) for r, n, _ in retried] == [("busy", 1), ("busy", 2)] and [w for *_, w in retried] == sleeps


def test_server_given_wait_is_used_and_capped():
    sleeps = []
    waits = iter([3.0, 60.0, 0.0])

    def attempt():
        wait = next(waits, None)
        if wait is not None:
            raise RetryLater("429", wait=wait)
        return 1

    retry(attempt, attempts=4, backoff=Backoff(1.0, 5.0), sleep=sleeps.append)
    assert sleeps == [3.0, 5.0, 0.0]


def test_attempts_are_bounded_and_other_errors_pass_through():
    sleeps = []
    with pytest.raises(RetriesExhausted, match="still down after 4 attempt") as info:
        retry(lambda: (_ for _ in ()).throw(RetryLater("still down")), attempts=4, backoff=Backoff(0.1, 1),
              sleep=sleeps.append)  # fmt: skip
    assert info.value.attempts == 4 and len(sleeps) == 3
    with pytest.raises(KeyError):
        retry(lambda: {}["x"], attempts=4, backoff=Backoff(0.1, 1), sleep=sleeps.append)
    assert len(sleeps) == 3  # not retried
