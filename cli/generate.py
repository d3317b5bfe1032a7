"""`recon generate`: a synthetic trading day with ground truth (docs/generator.md)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from cli.common import console, fail, table


def register(app: typer.Typer) -> None:
    app.command("generate")(generate)


def generate(
    trade_date: str = typer.Option(..., "--date", help="Trade date, YYYY-MM-DD (a weekday)."),
    trades: int = typer.Option(5000, "--trades", "-n", help="Number of trades to generate."),
    seed: int = typer.Option(7, "--seed", help="Random seed: the same seed writes the same files."),
    out: Path = typer.Option(..., "--out", help="Output directory (created if missing)."),
    break_rate: float = typer.Option(
        0.08, "--break-rate", help="Share of trades carrying one injected break."
    ),
    anomaly_rate: float = typer.Option(
        0.01, "--anomaly-rate", help="Share of trades that are labelled anomalies."
    ),
    brokers: str = typer.Option(
        "northbridge,castlerock,meridian",
        "--brokers",
        help="Comma-separated prime brokers (layouts in mappings/).",
    ),
    fix_delimiter: str = typer.Option(
        "pipe", "--fix-delimiter", help="Field separator in the drop-copy files: pipe ('|') or soh."
    ),
    fix42: str = typer.Option(
        "",
        "--fix42",
        help="Comma-separated brokers whose drop copy is a FIX 4.2 session "
        "(ExecTransType) instead of FIX 4.4.",
    ),
) -> None:
    """Write a trading day: instrument master, OMS export, broker files, FIX drop copies, truth.json."""
    from recon.generator import DayConfig

    try:
        d = date.fromisoformat(trade_date)
    except ValueError:
        fail(f"--date {trade_date!r} is not a date", hint="use YYYY-MM-DD, e.g. 2026-11-27")
    if fix_delimiter not in ("pipe", "soh"):
        fail(f"--fix-delimiter must be pipe or soh, not {fix_delimiter!r}")
    cfg = DayConfig(
        trade_date=d,
        trades=trades,
        seed=seed,
        break_rate=break_rate,
        anomaly_rate=anomaly_rate,
        brokers=[b.strip() for b in brokers.split(",") if b.strip()],
        soh=fix_delimiter == "soh",
        fix42=[b.strip() for b in fix42.split(",") if b.strip()],
    )
    write_day(cfg, out)


def write_day(cfg, out: Path) -> dict:
    """Validate, generate with a progress bar, print what was written; -> generate_day's result."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from recon.generator import generate_day
    from recon.matching_rules import load_matching_rules

    d, seed, trades = cfg.trade_date, cfg.seed, cfg.trades
    try:
        cfg.validate()
        load_matching_rules()  # the generator prices within the matcher's tolerances
    except ValueError as exc:
        fail(str(exc))
    with Progress(
        TextColumn("generating"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} trades"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("trades", total=trades)
        result = generate_day(cfg, out, progress=lambda n: progress.advance(task, n))
    counts = result["counts"]
    rows = [{"file": f, "rows": _rows_for(key, counts)} for key, f in result["files"].items()]
    console.print(
        table(f"{d} seed {seed}: {counts['trades']} trades written to {out}", rows, ["file", "rows"])
    )
    summary = [{"what": f"match {k}", "count": v} for k, v in counts["matches"].items()]
    summary += [{"what": f"break {k}", "count": v} for k, v in counts["breaks"].items()]
    summary += [{"what": f"anomaly {k}", "count": v} for k, v in counts["anomalies"].items()]
    summary += [
        {
            "what": "excluded (cancelled rows)",
            "count": counts["internal"]["excluded"] + counts["broker"]["excluded"],
        },
        {"what": "late bookings", "count": counts["late_bookings"]},
    ]
    console.print(table("ground truth (truth.json)", summary, ["what", "count"]))
    return result


def _rows_for(key: str, counts: dict) -> int | str:
    if key == "internal":
        return counts["internal_rows"]
    if key.endswith("_dropcopy"):
        return counts["dropcopy_messages"][key.removesuffix("_dropcopy")]
    return counts["broker_rows"].get(key, "")
