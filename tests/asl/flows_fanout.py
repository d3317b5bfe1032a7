"""Map and Parallel: task.map over a parameter and over a task result; independent .submit()."""

from __future__ import annotations

from decimal import Decimal

from prefect import flow, task, unmapped


@task
def make_lots(count: int) -> list[dict]:
    return [{"id": i, "qty": Decimal(i) * Decimal("100.5")} for i in range(count)]


@task
def notional(lot: dict, price: Decimal, tag: str) -> dict:
    return {"id": lot["id"], "tag": tag, "notional": lot["qty"] * price}


@task
def square(x: int) -> int:
    return x * x


@task
def total(values: list) -> Decimal:
    return sum((v["notional"] if isinstance(v, dict) else Decimal(v) for v in values), Decimal(0))


@task
def labels(count: int) -> list[str]:
    return [f"lot-{i}" for i in range(count)]


@flow
def map_flow(xs: list[int], count: int = 4, price: Decimal = Decimal("2.25")) -> dict:
    squares = square.map(xs)
    lots = make_lots(count)
    names = labels(count)
    valued = notional.map(lots, unmapped(price), names)
    return {"squares": squares.result(), "valued": valued.result(), "sum_sq": total(squares), "sum_val": total(valued)}


@task
def fetch(source: str, n: int) -> list[str]:
    return [f"{source}:{i}" for i in range(n)]


@task
def merge(internal: list, broker: list, drop: list) -> dict:
    return {"internal": len(internal), "broker": len(broker), "drop": len(drop), "all": sorted(internal + broker + drop)}


@task
def enrich(rows: list) -> list:
    return [r.upper() for r in rows]


@flow
def parallel_flow(n: int = 3, m: int = 4) -> dict:
    internal = fetch.submit("oms", n)
    broker = fetch.submit("pb", m)
    enriched = enrich.submit(broker)  # depends on broker: same branch
    drop = fetch.submit("fix", 2)
    return merge(internal, enriched, drop.result())


@task
def big_rows(n: int) -> list[str]:
    return ["x" * 100 + str(i) for i in range(n)]


@task
def count_rows(rows: list) -> int:
    return len(rows)


@flow
def claim_check_flow(n: int = 3000) -> tuple:
    rows = big_rows(n)  # ~310 KB of JSON: travels through S3
    return (count_rows(rows), rows[1])


@task(tags={"asl:ecs"}, retries=1, retry_delay_seconds=0)
def heavy_sum(values: list, offset: int) -> int:
    """A long job: tagged asl:ecs, it runs as ecs:runTask.sync in Step Functions."""
    return sum(values) + offset


@flow
def ecs_flow(xs: list[int], offset: int = 10) -> dict:
    squares = square.map(xs)
    on_ecs = heavy_sum(squares, offset)
    each = heavy_sum.map([[1], [2, 3]], unmapped(offset))  # ECS inside a Map: one result key per item
    return {"sum": on_ecs, "each": each.result(), "again": square(on_ecs)}
