"""`recon fix ...`: FIX drop-copy files -> canonical executions, rejects and control totals."""

from __future__ import annotations

from pathlib import Path

import typer

from cli.common import console, fail, table

app = typer.Typer(help="FIX drop copy: parse, validate, apply the lifecycle.", no_args_is_help=True)

# The split of rejects into input and lifecycle is not shown: `rejected` is their sum.
_HIDDEN_METRICS = ("rejected_input", "rejected_lifecycle")
_MAX_FILE_COLUMNS = 4  # beyond this, per-file columns would not fit a terminal: show the total only


@app.command("parse")
def parse(
    files: list[Path] = typer.Argument(
        ..., help="FIX files: raw SOH, '|' logs, timestamp-prefixed log lines."
    ),
    out: Path = typer.Option(..., "--out", help="Directory for executions.csv and rejects.csv."),
    broker: str | None = typer.Option(
        None, "--broker", help="Broker name for every file (default: each file's name without suffix)."
    ),
    instruments: Path | None = typer.Option(
        None, "--instruments", help="Instrument master CSV (reference/instruments.csv) to resolve ids."
    ),
) -> None:
    """Parse FIX files: verify BodyLength/CheckSum, normalize 35=8/AE/J/AS/AK, apply corrections,
    busts and PossDup resends; write effective executions and rejects; print control totals.

    Exit 0 even when some messages are rejected (they are in rejects.csv); 2 for a missing file.
    """
    for f in files:
        if not f.is_file():
            fail(f"FIX file not found: {f}", hint="check the path; directories are not accepted")
    if instruments is not None and not instruments.is_file():
        fail(f"instrument master not found: {instruments}")
    from recon.instruments import InstrumentMaster
    from tasks.fix_ingest import parse_fix_files, write_executions_csv, write_rejects_csv

    try:
        master = InstrumentMaster.from_csv(instruments) if instruments else None
    except (KeyError, ValueError) as exc:
        fail(f"instrument master {instruments} unreadable: {exc}")
    # One lifecycle book per broker: ExecIDs are unique per broker session, not across brokers.
    groups: dict[str, list[Path]] = {}
    for f in files:
        groups.setdefault(broker if broker is not None else f.stem, []).append(f)
    executions, rejects, totals = [], [], {}
    with console.status(f"parsing {len(files)} file(s)"):
        for name, paths in groups.items():
            e, r, t = parse_fix_files(paths, name, master)
            executions += e
            rejects += r
            totals.update(t)
    out.mkdir(parents=True, exist_ok=True)
    write_executions_csv(executions, out / "executions.csv")
    write_rejects_csv(rejects, out / "rejects.csv")
    console.print(_totals_table(totals))
    console.print(
        f"wrote {out / 'executions.csv'} ({len(executions)} executions) and "
        f"{out / 'rejects.csv'} ({len(rejects)} rejects)"
    )


def _totals_table(totals: dict[str, dict[str, int]]):
    """Metrics as rows, files (up to a few) and the total as columns: fits an 80-column terminal."""
    from recon.fix.pipeline import TOTAL_KEYS

    names = list(totals) if len(totals) <= _MAX_FILE_COLUMNS else []
    columns = ["metric", *[Path(n).name for n in names], "total"]
    rows = []
    for m in (k for k in TOTAL_KEYS if k not in _HIDDEN_METRICS):
        row = {"metric": m, "total": sum(t[m] for t in totals.values())}
        row.update({Path(n).name: totals[n][m] for n in names})
        rows.append(row)
    return table(f"FIX control totals ({len(totals)} file(s))", rows, columns)
