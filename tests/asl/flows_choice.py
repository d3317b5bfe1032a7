"""Branching with the documented helper asl_export.branch (a Choice state when compiled)."""

from __future__ import annotations

from prefect import flow, task

from asl_export import branch


@task
def is_large(amount: int, threshold: int) -> bool:
    return amount > threshold


@task
def escalate(amount: int) -> str:
    return f"escalated {amount}"


@task
def archive(amount: int) -> str:
    return f"archived {amount}"


@task
def wrap(outcome: str, amount: int) -> dict:
    return {"outcome": outcome, "amount": amount}


@task
def not_a_bool(amount: int) -> int:
    return amount


def _escalate_and_wrap(amount: int) -> dict:
    return wrap(escalate(amount), amount)


def _archive(amount: int) -> str:
    return archive(amount)


@flow
def choice_flow(amount: int, threshold: int = 100) -> dict:
    large = is_large(amount, threshold)
    outcome = branch(large, _escalate_and_wrap, lambda a: wrap(_archive(a), a), amount)
    return {"decision": outcome, "amount": amount}


@flow
def flag_choice_flow(urgent: bool = False, amount: int = 5):
    """Branch on a flow parameter directly."""
    return branch(urgent, if_true=lambda: escalate(amount), if_false=lambda: archive(amount))


@flow
def bad_condition_flow(amount: int = 3):
    """The condition is an int, not a bool: both runs fail with TypeError."""
    return branch(not_a_bool(amount), if_true=lambda: escalate(amount), if_false=lambda: archive(amount))
