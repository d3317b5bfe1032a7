"""What every command shares: the console, tables, and errors that say what to fix."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

# Piped output (CI logs, `| less`) gets a wide console so tables are not truncated to 80 columns.
_WIDTH = None if sys.stdout.isatty() else 160
console = Console(width=_WIDTH)
err_console = Console(stderr=True, width=_WIDTH)

# Exit codes: 0 ok, 1 the work ran and found something (e.g. breaks with --fail-on-breaks),
# 2 bad usage or input the user must fix, 3 an external system failed.
EXIT_USAGE = 2
EXIT_EXTERNAL = 3


def fail(message: str, hint: str | None = None, code: int = EXIT_USAGE) -> None:
    """Print the error (and a hint) and exit. Messages are plain text: a path or value holding
    [brackets] is printed as it is, never read as rich markup."""
    err_console.print(f"[bold red]error:[/] {escape(message)}")
    if hint:
        err_console.print(f"[dim]hint:[/] {escape(hint)}")
    raise typer.Exit(code)


def table(title: str, rows: Iterable[Mapping], columns: list[str] | None = None) -> Table:
    rows = list(rows)
    columns = columns or (list(rows[0].keys()) if rows else [])
    t = Table(title=title, show_lines=False)
    for c in columns:
        t.add_column(c, justify="right" if rows and isinstance(rows[0].get(c), int | float) else "left")
    for r in rows:
        t.add_row(*["" if r.get(c) is None else str(r.get(c)) for c in columns])
    return t
