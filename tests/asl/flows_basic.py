"""Purpose-written flows for the ASL compiler tests: sequence, keyword args, fan-in."""

from __future__ import annotations

from decimal import Decimal

from prefect import flow, task


@task
def add(x: int, y: int = 1) -> int:
    return x + y


@task
def scale(value: int, factor: Decimal) -> Decimal:
    return Decimal(value) * factor


@task
def describe(total: Decimal, label: str, parts: list) -> dict:
    return {"label": label, "total": total, "parts": tuple(parts)}


@flow
def sequence_flow(start: int = 2, factor: Decimal = Decimal("1.5"), label: str = "seq") -> dict:
    a = add(start)
    b = add(x=a, y=10)
    c = scale(b, factor=factor)
    return describe(total=c, label=label, parts=[a, b])


# --- subflows --------------------------------------------------------------------------------
@task
def concat(parts: list, sep: str = "-") -> str:
    return sep.join(str(p) for p in parts)


@flow
def child_flow(base: int, bump: int = 3) -> int:
    return add(base, y=bump)


@flow
def parent_flow(seed: int = 1) -> str:
    first = add(seed)
    via_child = child_flow(first)
    again = child_flow(base=via_child, bump=100)  # same subflow twice: prefixed, unique states
    return concat([first, via_child, again])
