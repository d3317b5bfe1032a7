"""Flows the compiler must refuse, each with file and line in the error."""

from __future__ import annotations

from prefect import flow, task


@task
def value() -> int:
    return 3


@task
def use(x: int) -> int:
    return x


@flow
def if_on_result() -> int:
    v = value()
    if v:  # LINE_IF
        return use(v)
    return 0


@flow
def for_over_result() -> list:
    out = []
    for item in value():  # LINE_FOR
        out.append(use(item))
    return out


@flow
def open_in_body() -> int:
    with open("/tmp/asl-export-should-not-exist.txt") as fh:  # LINE_OPEN
        return use(len(fh.read()))


@flow
def compare_result() -> int:
    v = value()
    return use(1) if v > 2 else use(2)  # LINE_COMPARE


@flow
def fstring_result() -> str:
    v = value()
    return use(f"value={v}")  # LINE_FSTRING
