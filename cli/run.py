"""`recon run` (reconcile a day through the daily flow) and `recon demo` (generate + run)."""

from __future__ import annotations

import logging
import os
from datetime import date
from pathlib import Path

import typer

from cli.common import EXIT_USAGE, console, fail, table


def register(app: typer.Typer) -> None:
    app.command("run")(run)
    app.command("demo")(demo)


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"--date {value!r} is not a date", hint="use YYYY-MM-DD, e.g. 2026-11-27")


def run(
    trade_date: str = typer.Option(..., "--date", help="Trade date, YYYY-MM-DD."),
    internal: list[str] = typer.Option(None, "--internal", help="OMS export: PATH[:MAPPING] (mapping default oms)."),
    broker: list[str] = typer.Option(None, "--broker", help="Broker file: NAME=PATH[:MAPPING] (mapping default NAME)."),
    dropcopy: list[str] = typer.Option(None, "--dropcopy", help="Broker drop copy (FIX log): NAME=PATH."),
    instruments: Path = typer.Option(None, "--instruments", help="Instrument master CSV."),
    landing: Path = typer.Option(None, "--landing", help="A landing directory laid out as `recon generate` writes."),
    out: Path = typer.Option(..., "--out", help="Directory for matches.csv, breaks.csv, summary.json, report.html."),
    account: list[str] = typer.Option(None, "--account", help="Only this account (repeatable)."),
    only_broker: list[str] = typer.Option(None, "--only-broker", help="Only this broker (repeatable)."),
    warehouse: str = typer.Option(None, "--warehouse", help="Saved Warehouse block name (default: embedded DuckDB)."),
    fail_on_breaks: bool = typer.Option(False, "--fail-on-breaks", help="Exit 1 when open breaks remain."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show Prefect's task logs."),
) -> None:
    """Reconcile a trade date: internal bookings against each broker's file and drop copy."""
    from recon.inputs import from_args

    d = _date(trade_date)
    _check_rules()
    if landing and (internal or broker or dropcopy):
        fail("give either --landing or --internal/--broker/--dropcopy, not both")
    inputs = None
    if not landing:
        try:
            inputs = from_args(None, instruments, internal or [], broker or [], dropcopy or []).check()
        except (FileNotFoundError, ValueError) as exc:
            fail(str(exc))
    summary = _run_flow(d, landing, inputs, out, account, only_broker, warehouse, verbose)
    _print_summary(summary)
    if fail_on_breaks and summary["breaks"]:
        raise typer.Exit(1)


def _check_rules() -> None:
    """A bad recon/matching_rules.yaml is one line naming the field, before any flow starts."""
    from recon.config import ConfigError
    from recon.matching_rules import load_matching_rules

    try:
        load_matching_rules()
    except ConfigError as exc:
        fail(str(exc))


def _quiet_console() -> None:
    """The CLI prints its own tables: keep Prefect's INFO lines (run progress, the temporary
    server's start and stop) off the terminal. Only the console handler's level is raised, never a
    logger's: a logger at WARNING would also keep the run's INFO logs from the Prefect API and UI."""
    from prefect.logging.handlers import PrefectConsoleHandler

    for h in logging.getLogger().handlers:
        if isinstance(h, PrefectConsoleHandler):
            h.setLevel(max(h.level, logging.WARNING))


def _run_flow(d, landing, inputs, out, accounts, brokers, warehouse, verbose) -> dict:
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    from flows.daily import daily_reconciliation

    if not verbose:
        _quiet_console()
    with console.status(f"reconciling {d} (Prefect flow daily-reconciliation)..."):
        try:
            return daily_reconciliation(
                trade_date=d,
                accounts=accounts or None,
                brokers=brokers or None,
                landing_dir=str(landing) if landing else None,
                inputs=inputs.model_dump() if inputs else None,
                out_dir=str(out),
                warehouse_ref=warehouse,
            )
        except (FileNotFoundError, ValueError) as exc:
            fail(str(exc), code=EXIT_USAGE)


def _print_summary(s: dict) -> None:
    files = [
        {k: f[k] for k in ("source", "broker", "file", "read", "canonical", "rejected", "lifecycle_removed", "balanced")}
        for f in s["files"]
    ]
    console.print(table("inputs (control totals per file)", files))
    console.print(table("reconciliation (every canonical record matched or in a break)", s["sources"],
                        ["recon", "source", "broker", "canonical", "matched", "in_breaks", "balanced"]))
    console.print(table("open breaks by type", [{"break_type": k, "breaks": v} for k, v in sorted(s["breaks_by_type"].items())]))
    rate = s["match_rate"]
    console.print(
        f"[bold]match rate[/] {rate:.2%}  [bold]matches[/] {s['matches']:,}  [bold]open breaks[/] {s['breaks']:,}  "
        f"[bold]control totals[/] {'[green]balanced[/]' if s['balanced'] else '[red]NOT balanced[/]'}"
        if rate is not None else "nothing reconciled"
    )
    out = Path(s["out_dir"])
    console.print(f"wrote {out / 'matches.csv'}, {out / 'breaks.csv'}, {out / 'summary.json'}, {out / 'report.html'}")


def demo(
    trade_date: str = typer.Option("2026-11-27", "--date", help="Trade date to simulate (a weekday)."),
    trades: int = typer.Option(5000, "--trades", "-n", help="Trades in the generated day."),
    seed: int = typer.Option(7, "--seed", help="Random seed."),
    out: Path = typer.Option(Path("demo-out"), "--out", help="Where the day and the results go."),
) -> None:
    """A whole trading day on the embedded defaults: generate, ingest, match, report.

    The demo has its own warehouse, OUT/.recon/warehouse.duckdb (never the one RECON_HOME names),
    and starts it empty each time: a warehouse left by an older version cannot trip it up."""
    from blocks.warehouse import reset_warehouses
    from cli.generate import write_day
    from recon.generator import DayConfig

    d = _date(trade_date)
    home = (out / ".recon").resolve()
    reset_warehouses()
    for stale in (home / "warehouse.duckdb", home / "warehouse.duckdb.wal"):
        stale.unlink(missing_ok=True)
    os.environ["RECON_HOME"] = str(home)
    landing = out / "day"
    write_day(DayConfig(trade_date=d, trades=trades, seed=seed), landing)
    summary = _run_flow(d, landing, None, out / "results", None, None, None, False)
    _print_summary(summary)
    _print_truth_score(landing / "truth.json", out / "results")


def _print_truth_score(truth: Path, results: Path) -> None:
    import csv

    from recon.evaluate import score

    with open(results / "matches.csv") as fh:
        matches = [r for r in csv.DictReader(fh) if r["recon"] == "broker"]
    with open(results / "breaks.csv") as fh:
        breaks = [r for r in csv.DictReader(fh) if r["recon"] == "broker"]
    s = score(truth, matches, breaks)
    console.print(table("against the generator's truth.json", [
        {"measure": "match pairing precision", "value": f"{s.match_precision:.4f}"},
        {"measure": "match pairing recall", "value": f"{s.match_recall:.4f}"},
        {"measure": "break type right", "value": f"{s.break_type_accuracy:.4f}"},
    ]))
