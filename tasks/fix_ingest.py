"""FIX drop-copy ingestion as a step: files or streamed records -> effective executions + rejects.

Plain functions carry the logic (recon.fix does the parsing); the @task wrappers add orchestration
only and return small JSON (totals and output paths), never the executions themselves.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import fields as dataclass_fields
from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE

from recon.fix import FixBook, ParseResult, check_totals, ingest
from recon.instruments import InstrumentMaster
from recon.model import Execution, Reject

EXECUTION_COLUMNS = [f.name for f in dataclass_fields(Execution) if f.name != "extra"] + [
    "exec_ids",
    "cl_ord_id",
]
REJECT_COLUMNS = ["file", "line", "reason", "record_id", "source", "raw"]


def _read(paths: list[str | Path], keys: list[str]) -> Iterable[tuple[bytes, str, int]]:
    for p, key in zip(paths, keys, strict=True):
        path = Path(p)
        if not path.is_file():
            raise FileNotFoundError(f"FIX file not found: {path}")
        yield path.read_bytes(), key, 1


def parse_fix_files(
    paths: Iterable[str | Path], broker: str, master: InstrumentMaster | None = None, keys: list[str] | None = None
) -> tuple[list[Execution], list[Reject], dict[str, dict[str, int]]]:
    """Parse drop-copy files as one batch (a correction in a later file reaches an earlier fill).

    keys: what each file is called in the results (Execution.file, Reject.file, the totals' keys);
    default its path as given (landing passes the files' ids, recon/files.py).
    -> (effective executions, rejects, control totals per file). Missing file: FileNotFoundError.
    """
    paths = list(paths)
    for p in paths:  # fail before any work, naming the first missing file
        if not Path(p).is_file():
            raise FileNotFoundError(f"FIX file not found: {p}")
    result = ingest(_read(paths, keys or [str(p) for p in paths]), broker, master)
    for totals in result.totals.values():
        check_totals(totals)
    return result.executions, result.rejects, result.totals


def parse_fix_messages(
    records: Iterable[tuple[bytes, str, int]],
    broker: str,
    master: InstrumentMaster | None = None,
    book: FixBook | None = None,
) -> ParseResult:
    """Parse streamed records (bytes, source name, line/sequence number) as one micro-batch.

    Pass the same `book` for every micro-batch of a stream: corrections and busts then reach fills
    of earlier batches; the result's `executions` are those created or corrected in this batch and
    `removed` the record_ids of earlier batches busted now. Garbage collection is paused while a
    batch parses: pass a micro-batch already received (a list), not a generator that blocks on I/O.
    """
    return ingest(records, broker, master, book)


def _csv_value(v) -> str:
    return "" if v is None else str(v)


def write_executions_csv(executions: list[Execution], path: str | Path) -> None:
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(EXECUTION_COLUMNS)
        for e in executions:
            row = [_csv_value(getattr(e, c)) for c in EXECUTION_COLUMNS[:-2]]
            row.append(" ".join(e.extra.get("exec_ids", [])))
            row.append(_csv_value(e.extra.get("cl_ord_id")))
            w.writerow(row)


def write_rejects_csv(rejects: list[Reject], path: str | Path) -> None:
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(REJECT_COLUMNS)
        for r in rejects:
            w.writerow([_csv_value(getattr(r, c)) for c in REJECT_COLUMNS])


def ingest_fix_files(paths: list[str], broker: str, out_dir: str, instruments: str | None = None) -> dict:
    """Parse files and write out_dir/executions.csv and out_dir/rejects.csv; -> summary JSON."""
    master = InstrumentMaster.from_csv(instruments) if instruments else None
    executions, rejects, totals = parse_fix_files(paths, broker, master)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_executions_csv(executions, out / "executions.csv")
    write_rejects_csv(rejects, out / "rejects.csv")
    return {
        "executions_csv": str(out / "executions.csv"),
        "rejects_csv": str(out / "rejects.csv"),
        "executions": len(executions),
        "rejects": len(rejects),
        "totals": totals,
    }


@task(name="ingest-fix-files", cache_policy=NO_CACHE)
def ingest_fix_files_task(
    paths: list[str], broker: str, out_dir: str, instruments: str | None = None
) -> dict:
    """Parse a broker's drop-copy files into CSVs; returns their paths and the control totals."""
    return ingest_fix_files(paths, broker, out_dir, instruments)


@task(name="parse-fix-files", cache_policy=NO_CACHE)
def parse_fix_files_task(
    paths: list[str], broker: str, master: InstrumentMaster | None = None
) -> tuple[list[Execution], list[Reject], dict[str, dict[str, int]]]:
    """In-process form for local flows: the executions themselves (not for Step Functions payloads)."""
    return parse_fix_files(paths, broker, master)
