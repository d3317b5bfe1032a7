"""`recon`: the command line. Each command group lives in its own module in this package.

Modules import heavy dependencies (prefect, duckdb, boto3) inside their commands so that
`recon --help` stays fast.
"""

from __future__ import annotations

import importlib
import importlib.util

import typer

app = typer.Typer(
    name="recon",
    help="fix-recon: FIX trade reconciliation for prime brokerage, with anomaly detection.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)

# (module in recon.cli, name of the command group or None when the module adds plain commands)
_GROUPS: list[tuple[str, str | None]] = [
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

for _module, _group in _GROUPS:
    _name = f"recon.cli.{_module}"
    if importlib.util.find_spec(_name) is None:
        continue  # the group is not built yet
    _mod = importlib.import_module(_name)
    if _group:
        app.add_typer(_mod.app, name=_group)
    else:
        _mod.register(app)


def main() -> None:
    app()


@app.command()
def version() -> None:
    """Print the fix-recon version."""
    from recon import __version__

    typer.echo(__version__)
