"""One logger call for steps that run under Prefect and outside it (Step Functions tasks, CLI)."""

from __future__ import annotations

import logging


def step_logger(name: str = "recon") -> logging.Logger | logging.LoggerAdapter:
    """Prefect's run logger inside a flow or task run (it reaches the UI), else a plain logger."""
    from prefect import get_run_logger
    from prefect.exceptions import MissingContextError

    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger(name)
