"""The CLI's command modules: each one in cli/ is registered, and a registered one that is missing
stops `recon` with an import error instead of a command silently left out."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

import cli

SHARED = {"__init__", "common", "deployments"}  # helpers, not command modules


def test_every_command_module_is_registered():
    modules = {p.stem for p in Path(cli.__file__).parent.glob("*.py")} - SHARED
    assert {m for m, _ in cli.GROUPS} == modules
    names = {c.name or c.callback.__name__ for c in cli.app.registered_commands}
    assert {"run", "demo", "ingest", "rerun", "version"} <= names
    assert {g.name for g in cli.app.registered_groups} == {g for _, g in cli.GROUPS if g}


def test_a_missing_command_module_is_an_error():
    app = typer.Typer()
    with pytest.raises(ModuleNotFoundError, match="No module named 'cli.reports'"):
        cli.register(app, [("generate", None), ("reports", "reports")])
