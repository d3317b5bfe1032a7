"""Flows for bench/bench_asl_export.py (module level, so the runtime can import their tasks)."""

from __future__ import annotations

from prefect import flow, task


@task
def inc(value: int) -> int:
    return value + 1


@task
def square(x: int) -> int:
    return x * x


@task
def payload(n_bytes: int) -> str:
    return "x" * n_bytes


@task
def size(text: str) -> int:
    return len(text)


@flow
def chain_flow(start: int = 0, length: int = 20) -> int:
    value = start
    for _ in range(20):  # a constant range: 20 Task states in sequence
        value = inc(value)
    return value


@flow
def fanout_flow(xs: list[int]) -> list[int]:
    return square.map(xs).result()


@flow
def payload_flow(n_bytes: int) -> int:
    return size(payload(n_bytes))
