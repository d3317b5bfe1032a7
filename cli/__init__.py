"""`recon`: the command line, the top layer (it may import flows, tasks, blocks, asl_export and the
core; nothing imports it). Each command group lives in its own module in this package.

Modules import heavy dependencies (prefect, duckdb, boto3) inside their commands so that
`recon --help` stays fast.
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="recon",
    help="fix-recon: FIX trade reconciliation for prime brokerage, with anomaly detection.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)

# (module in cli/, name of the command group or None when the module adds plain commands). A module
# listed here that cannot be imported is an error: `recon` must not start with a command missing.
GROUPS: list[tuple[str, str | None]] = [
    ("generate", None),
    ("fix", "fix"),
    ("ingest", None),
    ("run", None),
    ("breaks", "breaks"),
    ("rerun", None),
    ("asl", "asl"),
    ("model", "model"),
    ("dropcopy", None),
    ("stream", None),
    ("ui", None),
]



def register(app: typer.Typer, groups: list[tuple[str, str | None]]) -> None:
    """Add each module's commands; a module that cannot be imported raises (never skipped)."""
    for module, group in groups:
        mod = importlib.import_module(f"cli.{module}")
        if group:
            app.add_typer(mod.app, name=group)
        else:
            mod.register(app)


register(app, GROUPS)


def main() -> None:
    app()


@app.command()
def version() -> None:
    """Print the fix-recon version."""
    from recon import __version__

    typer.echo(__version__)
