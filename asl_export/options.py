"""Prefect task/flow options -> ASL fields (Retry, TimeoutSeconds) and compile-time settings.

Retry mapping (Prefect retries on any exception, so ErrorEquals is ["States.ALL"]):
- retry_delay_seconds=int (or None -> 0)        -> IntervalSeconds=int, BackoffRate=1.0
- a list whose delays are geometric (d, d*r, ...) -> IntervalSeconds=d, BackoffRate=r
- exponential_backoff(backoff_factor=f)          -> a geometric list f*2**i: BackoffRate=2.0
- geometric then repeated (Prefect reuses the last delay when retries outnumber delays,
  e.g. [10, 30, 90] with 4 retries = 10, 30, 90, 90) -> BackoffRate=3, MaxDelaySeconds=90: exact
- any other list                                 -> the closest form ASL allows (ASL has one
  interval and one rate per error): IntervalSeconds=first delay, BackoffRate chosen so the last
  distinct delay matches, MaxDelaySeconds=the largest delay. Delays in between drift.
ASL requires IntervalSeconds >= 1: a zero delay becomes 1 second (documented in docs/asl-export.md).
retry_jitter_factor has no exact ASL equivalent; it is ignored.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

ECS_TAG = "asl:ecs"
DISTRIBUTED_TAG = "asl:distributed"
ITEMS_TAG = re.compile(r"^asl:items=(\d+)$")
MAX_ATTEMPTS = 99999999  # ASL's MaxAttempts ceiling


def task_tags(task: Any) -> set[str]:
    return set(getattr(task, "tags", None) or ())


@dataclass
class TracingOptions:
    """Settings of one compilation (see compile_flow)."""

    distributed_map_above: int = 1000  # expected items above this -> Distributed Map
    default_items_hint: int = 40  # expected Map size when the task gives no asl:items=N tag
    ecs_tag: str = ECS_TAG

    def is_ecs(self, task: Any) -> bool:
        return self.ecs_tag in task_tags(task)

    def items_hint(self, task: Any) -> int:
        tags = task_tags(task)
        if DISTRIBUTED_TAG in tags:
            return max(self.distributed_map_above + 1, self.default_items_hint)
        for tag in tags:
            match = ITEMS_TAG.match(tag)
            if match:
                return int(match.group(1))
        return self.default_items_hint


def _delays(retries: int, retry_delay_seconds: Any) -> list[float]:
    if retry_delay_seconds is None:
        return [0.0] * retries
    if callable(retry_delay_seconds):
        retry_delay_seconds = retry_delay_seconds(retries)
    if isinstance(retry_delay_seconds, int | float):
        return [float(retry_delay_seconds)] * retries
    delays = [float(d) for d in retry_delay_seconds]
    if not delays:
        return [0.0] * retries
    # Prefect reuses the last delay when there are more retries than delays.
    return (delays + [delays[-1]] * retries)[:retries]


def retry_fields(retries: int | None, retry_delay_seconds: Any) -> list[dict[str, Any]]:
    """The Retry array of a state for Prefect's retries/retry_delay_seconds (empty when no retries)."""
    if not retries:
        return []
    delays = _delays(int(retries), retry_delay_seconds)
    first = max(1, math.ceil(delays[0]))
    rate = _backoff_rate(delays)
    entry: dict[str, Any] = {
        "ErrorEquals": ["States.ALL"],
        "IntervalSeconds": first,
        "MaxAttempts": min(int(retries), MAX_ATTEMPTS),
        "BackoffRate": rate,
    }
    if rate > 1.0:
        entry["MaxDelaySeconds"] = max(first, math.ceil(max(delays)))
    return [entry]


def _backoff_rate(delays: list[float]) -> float:
    """Geometric delays (optionally capped: a repeated last value) -> their exact ratio, with
    MaxDelaySeconds doing the capping; otherwise the rate that makes the last delay match."""
    head = list(delays)
    while len(head) > 1 and head[-1] == head[-2]:
        head.pop()  # a capped tail: MaxDelaySeconds reproduces it
    if len(head) < 2 or head[0] <= 0:
        return 1.0
    ratios = {round(b / a, 6) for a, b in zip(head, head[1:], strict=False) if a > 0}
    if len(ratios) == 1:
        return max(1.0, next(iter(ratios)))
    return max(1.0, round((head[-1] / head[0]) ** (1 / (len(head) - 1)), 6))


def timeout_seconds(value: float | None) -> int | None:
    """Prefect timeout_seconds -> ASL TimeoutSeconds (a positive integer, rounded up)."""
    if value is None or value <= 0:
        return None
    return max(1, math.ceil(value))
