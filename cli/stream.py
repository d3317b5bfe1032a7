"""`recon stream`: run the streaming reconciliation locally; `--stats` prints per-batch metrics."""

from __future__ import annotations

from pathlib import Path

import typer

from cli.common import console, fail, table

STAT_COLUMNS = ["finished_at", "records", "redelivered", "rejects", "executions", "matched", "breaks", "opened",
                "closed", "pending", "lag_p50_ms", "lag_p99_ms", "lag_max_ms", "records_per_s"]  # fmt: skip


def register(app: typer.Typer) -> None:
    app.command("stream", epilog="docs/streaming.md, 'Streaming reconciliation', explains windows and metrics.")(stream)


def _senders(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        sender, sep, broker = pair.partition("=")
        if not sep or not sender or not broker:
            fail(f"--sender expects SENDERCOMPID=broker, got {pair!r}")
        out[sender] = broker
    return out


def stream(
    stream_block: str | None = typer.Option(None, "--stream", help="saved KinesisStream block to consume"),
    replay: list[Path] = typer.Option([], "--replay", help="FIX log file(s) to replay (broker = file name)"),
    internal: list[Path] = typer.Option([], "--internal", help="internal (OMS) file(s) to land first"),
    landing: Path | None = typer.Option(None, "--landing", help="landing directory: its master and internal files"),
    broker: str | None = typer.Option(None, help="broker of records that name none (a one-broker stream)"),
    sender: list[str] = typer.Option([], "--sender", help="SENDERCOMPID=broker, repeatable"),
    batch_size: int = typer.Option(500, min=1, help="max records per micro-batch"),
    batch_seconds: float = typer.Option(1.0, min=0.01, help="max seconds to wait for a micro-batch"),
    window_seconds: float = typer.Option(60.0, min=0, help="an unmatched fill becomes a break this long after arrival"),
    max_batches: int | None = typer.Option(None, min=1, help="stop after this many non-empty batches"),
    duration: float | None = typer.Option(None, min=0, help="stop after this many seconds"),
    idle: float | None = typer.Option(None, min=0, help="stop after this many seconds with nothing new or pending"),
    warehouse: str | None = typer.Option(None, help="saved Warehouse block (default: embedded DuckDB)"),
    plain: bool = typer.Option(False, "--plain", help="run the steps without Prefect (no flow runs or artifacts)"),
    batch_flow_runs: bool = typer.Option(
        True, "--batch-flow-runs/--no-batch-flow-runs", help="one Prefect flow run per batch (slower), or plain steps"
    ),
    stats: bool = typer.Option(False, "--stats", help="print per-batch metrics (alone: the latest stored batches)"),
    last: int = typer.Option(30, min=1, help="with --stats: how many batches to show"),
) -> None:
    """Reconcile drop-copy micro-batches against internal executions as they arrive."""
    for path in [*replay, *internal]:
        if not path.is_file():
            fail(f"file not found: {path}")
    if landing is not None and not landing.is_dir():
        fail(f"landing directory not found: {landing}")
    if stream_block and replay:
        fail("give --stream or --replay, not both")
    if stats and not (stream_block or replay):
        _print_stats(warehouse, None, last)
        return
    if not (stream_block or replay):
        fail("nothing to consume", hint="--stream NAME (a saved KinesisStream block) or --replay FILE")
    if max_batches is None and duration is None and idle is None:
        console.print("[dim]no --max-batches/--duration/--idle: running until Ctrl-C[/]")
    from recon.config import ConfigError, validate
    from tasks.stream_options import StreamOptions

    try:
        options = validate(StreamOptions, dict(
            stream_ref=stream_block, replay_files=[str(p) for p in replay] or None,
            landing_dir=str(landing) if landing else None, internal=[str(p) for p in internal] or None,
            broker=broker, senders=_senders(sender) or None, batch_size=batch_size, batch_seconds=batch_seconds,
            window_seconds=window_seconds, max_batches=max_batches, duration_seconds=duration, stop_when_idle=idle,
            warehouse_ref=warehouse, flow_run_per_batch=batch_flow_runs,
        ), "stream options")  # fmt: skip
    except ConfigError as exc:
        fail(str(exc))
    try:
        result = _run(options, plain)
    except (FileNotFoundError, ValueError) as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        console.print("stopped")
        result = None
    if result:
        console.print(table("Stream run", [{k: v for k, v in result.items() if k != "last"}]))
    if stats:
        _print_stats(warehouse, result["stream"] if result else None, last)


def _run(options, plain: bool) -> dict:
    if plain:
        from tasks.stream_consume import consume_stream, land_internal

        land_internal(options)
        return consume_stream(options)  # no per-batch flow: the plain steps
    from flows.stream import stream_reconciliation

    return stream_reconciliation(options)


def _print_stats(warehouse_ref: str | None, stream_name: str | None, last: int) -> None:
    from blocks.warehouse import get_warehouse
    from tasks.stream_metrics import recent_batches

    rows = recent_batches(get_warehouse(warehouse_ref), stream_name, last)
    if not rows:
        console.print("no stream batches recorded yet")
        return
    for r in rows:
        r["finished_at"] = r["finished_at"].strftime("%H:%M:%S.%f")[:-3]
        for k in ("lag_p50_ms", "lag_p99_ms", "lag_max_ms"):
            r[k] = None if r[k] is None else round(r[k])
    console.print(table(f"Stream batches (last {len(rows)})", rows, STAT_COLUMNS))
