"""Constructs together, as a flow author following docs/asl-export.md would combine them."""

from __future__ import annotations

import pathlib
from decimal import Decimal

from prefect import flow, task, unmapped

from asl_export import branch


@task
def list_accounts(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{i}" for i in range(count)]


@task
def position(account: str, scale: Decimal) -> dict:
    return {"account": account, "qty": Decimal(len(account)) * scale}


@task
def total_qty(rows: list[dict]) -> Decimal:
    return sum((r["qty"] for r in rows), Decimal(0))


@task
def over_limit(total: Decimal, limit: Decimal) -> bool:
    return total > limit


@task
def note(kind: str, total: Decimal) -> str:
    return f"{kind}:{total}"


@task
def bump_attempts(counter_path: str) -> int:
    path = pathlib.Path(counter_path)
    attempt = int(path.read_text()) + 1 if path.exists() else 1
    path.write_text(str(attempt))
    return attempt


@task
def require_second_attempt(attempt: int) -> int:
    if attempt < 2:
        raise RuntimeError(f"attempt {attempt}: not yet")
    return attempt


@flow(retries=1, retry_delay_seconds=0)
def checked_book(counter_path: str, rows: list, limit: Decimal) -> dict:
    """A subflow with retries: its first run fails, the retry re-runs all of its tasks."""
    attempt = require_second_attempt(bump_attempts(counter_path))
    total = total_qty(rows)
    verdict = branch(over_limit(total, limit), if_true=lambda: note("breach", total), if_false=lambda: note("ok", total))
    return {"attempt": attempt, "total": total, "verdict": verdict}


@flow
def combined_flow(counter_path: str, limit: Decimal = Decimal("10"), scale: Decimal = Decimal("0.5")) -> dict:
    equities = list_accounts.submit("EQ-", 3)
    futures = list_accounts.submit("FUT-", 2)
    eq_rows = position.map(equities, unmapped(scale))
    fut_rows = position.map(futures, unmapped(scale))
    book = checked_book(counter_path, eq_rows, limit)
    return {"book": book, "futures": total_qty(fut_rows), "accounts": equities.result()}
