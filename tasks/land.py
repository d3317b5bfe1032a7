"""Landing a day's inputs in the warehouse, as tasks that take and return small JSON.

The logic lives in tasks/ingest.py (files through mappings) and tasks/fix_ingest.py (FIX drop
copies); these wrappers resolve the warehouse reference and return uniform control totals:
read == canonical + rejected + lifecycle_removed (FIX duplicates, busts, corrections, non-booking
reports), so the run summary can check every file the same way.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE

from blocks.warehouse import get_warehouse
from recon import clock
from recon.inputs import DayInputs, FileInput, discover
from recon.instruments import InstrumentMaster
from recon.model import executions_to_arrow, rejects_to_arrow
from tasks.fix_ingest import parse_fix_files
from tasks.ingest import ensure_tables, ingest_file, load_instruments


def resolve_inputs(landing_dir: str | None, inputs: dict | None) -> dict:
    """Explicit inputs win; otherwise the landing directory's layout (see recon/inputs.py)."""
    if inputs:
        return DayInputs.model_validate(inputs).check().model_dump()
    if not landing_dir:
        raise ValueError("give either inputs or landing_dir")
    return discover(landing_dir).model_dump()


def land_instruments(day: dict, warehouse_ref: str | None = None) -> int:
    wh = get_warehouse(warehouse_ref)
    ensure_tables(wh)
    return load_instruments(wh, day["instruments"]) if day.get("instruments") else 0


def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _already_landed(wh, key: str, digest: str) -> dict | None:
    wh.ensure_schema("02_landed_files.sql")
    row = wh.fetch_rows("SELECT sha256, totals FROM landed_files WHERE file = :f", {"f": key})
    return json.loads(row[0]["totals"]) if row and row[0]["sha256"] == digest else None


def _remember(wh, key: str, digest: str, totals: dict) -> None:
    wh.execute("DELETE FROM landed_files WHERE file = :f", {"f": key})
    wh.execute(
        "INSERT INTO landed_files (file, sha256, totals, landed_at) VALUES (:f, :h, :t, :at)",
        {"f": key, "h": digest, "t": json.dumps(totals), "at": clock.utcnow()},
    )


def land_file(file: dict, trade_date, run: dict, force: bool = False, warehouse_ref: str | None = None) -> dict:
    """Land one mapped file; an unchanged file (same bytes) is skipped unless force."""
    f = FileInput.model_validate(file)
    wh = get_warehouse(warehouse_ref)
    digest = _sha256(f.path)
    key = str(Path(f.path))
    if not force and (done := _already_landed(wh, key, digest)):
        return {**done, "skipped": True}
    t = ingest_file(wh, f.path, f.mapping or f.name, f.name, trade_date, run["run_id"])
    totals = {
        "source": t["source"], "broker": t["broker"], "file": t["file"], "read": t["rows_read"],
        "canonical": t["canonical"], "rejected": t["rejected"], "lifecycle_removed": 0,
        "trailer_status": t["trailer_status"],
    }
    _remember(wh, key, digest, totals)
    return totals


def land_dropcopy(file: dict, day: dict, force: bool = False, warehouse_ref: str | None = None) -> dict:
    """Parse one broker's drop copy (lifecycle applied) and replace its rows in the warehouse."""
    f = FileInput.model_validate(file)
    broker = f.name or Path(f.path).stem
    digest = _sha256(f.path)
    if not force and (done := _already_landed(get_warehouse(warehouse_ref), str(Path(f.path)), digest)):
        return {**done, "skipped": True}
    master = InstrumentMaster.from_csv(day["instruments"]) if day.get("instruments") else None
    executions, rejects, totals = parse_fix_files([f.path], broker, master)
    wh = get_warehouse(warehouse_ref)
    ensure_tables(wh)
    key = str(Path(f.path))
    for e in executions:
        e.file = key
    for r in rejects:
        r.file = key
    with wh.exclusive():
        for table in ("executions", "rejects"):
            wh.execute(f"DELETE FROM {table} WHERE file = :file", {"file": key})
        wh.load_arrow("executions", executions_to_arrow(executions))
        wh.load_arrow("rejects", rejects_to_arrow(rejects))
    t = next(iter(totals.values()))
    removed = t["read"] - len(executions) - t["rejected"]
    result = {
        "source": "dropcopy", "broker": broker, "file": key, "read": t["read"], "canonical": len(executions),
        "rejected": t["rejected"], "lifecycle_removed": removed,
    }
    _remember(wh, key, digest, result)
    return result


resolve_inputs_task = task(resolve_inputs, name="resolve-inputs", cache_policy=NO_CACHE)
land_instruments_task = task(land_instruments, name="land-instruments", cache_policy=NO_CACHE, retries=1)
land_file_task = task(land_file, name="land-file", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=5)
land_dropcopy_task = task(land_dropcopy, name="land-dropcopy", cache_policy=NO_CACHE, retries=1)


def day_files(day: dict) -> list[dict]:
    """The day's mapped files (internal first), as the list a map over files takes."""
    return [*day["internal"], *day["broker"]]


def dropcopy_files(day: dict) -> list[dict]:
    return list(day["dropcopy"])


day_files_task = task(day_files, name="day-files", cache_policy=NO_CACHE)
dropcopy_files_task = task(dropcopy_files, name="dropcopy-files", cache_policy=NO_CACHE)
