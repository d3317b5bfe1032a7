"""The one landing path: a day's inputs (recon/inputs.py) into the warehouse, for the daily and
ingest flows, the CLI and the stream's internal side alike.

Each mapped file and each broker's drop-copy batch lands in one transaction (tasks/ingest.py),
keyed by its content (recon/files.py): landing the same bytes again, from any path, replaces them;
a file already landed the same way is skipped unless `force`, and its stored control totals come
back with "skipped": true. Every file's totals have one shape, so the run summary checks them the
same way: rows_read == canonical + rejected + lifecycle_removed (FIX duplicates, busts,
corrections, non-booking reports; 0 for a mapped file).

`warehouse` is a Warehouse, or the name of a saved Warehouse block (None: the embedded default) as
the tasks pass it.
"""

from __future__ import annotations

from datetime import date

from prefect import task
from prefect.cache_policies import NO_CACHE

from blocks.warehouse import Warehouse, get_warehouse
from recon.files import identify
from recon.inputs import DayInputs, FileInput, discover
from recon.mapping.spec import load_mapping
from recon.model import Source
from tasks.ingest import ensure_tables, ingest_dropcopy, ingest_file, landed_totals, load_instruments


def _warehouse(warehouse: Warehouse | str | None) -> Warehouse:
    return warehouse if isinstance(warehouse, Warehouse) else get_warehouse(warehouse)


def resolve_inputs(landing_dir: str | None, inputs: dict | None, reconcile: bool = True) -> dict:
    """Explicit inputs win; otherwise the landing directory's layout. Every file must exist, and
    for a reconciliation (`reconcile`) both sides must be there."""
    if inputs:
        day = DayInputs.model_validate(inputs)
    elif landing_dir:
        day = discover(landing_dir)
    else:
        raise ValueError("give either inputs or landing_dir")
    return (day.check() if reconcile else day.check_files()).model_dump()


def land_instruments(day: dict, warehouse: Warehouse | str | None = None) -> int:
    """The day's instrument master, if it has one (the tables are replaced); -> instruments."""
    wh = _warehouse(warehouse)
    ensure_tables(wh)
    return load_instruments(wh, day["instruments"]) if day.get("instruments") else 0


def land_file(
    file: dict, trade_date: date | str | None = None, run: dict | None = None, force: bool = False,
    warehouse: Warehouse | str | None = None,
) -> dict:
    """Land one mapped file (a FileInput); -> its control totals."""
    f = FileInput.model_validate(file)
    wh = _warehouse(warehouse)
    mapping = f.mapping or f.name
    identity = identify(f.path)
    if not force:
        spec = load_mapping(mapping)
        broker = f.name or (spec.name if spec.source == Source.BROKER else None)  # as ingest_file says
        done = landed_totals(wh, identity, spec.name, broker)
        if done is not None:
            return {**done, "file": identity.uri, "skipped": True}
    return ingest_file(wh, f.path, mapping, f.name, trade_date, (run or {}).get("run_id"), identity)


def land_dropcopy(
    batch: dict, day: dict, trade_date: date | str | None = None, run: dict | None = None, force: bool = False,
    warehouse: Warehouse | str | None = None,
) -> list[dict]:
    """Land one broker's drop-copy files ({"broker", "paths"}) as one lifecycle batch; -> control
    totals per file. Skipped when every file was landed before for this broker (unless force)."""
    wh = _warehouse(warehouse)
    files = [identify(p) for p in batch["paths"]]
    if not force:
        done = [landed_totals(wh, f, "fix", batch["broker"]) for f in files]
        if all(t is not None for t in done):
            return [{**t, "file": f.uri, "skipped": True} for t, f in zip(done, files, strict=True)]
    run_id = (run or {}).get("run_id")
    return ingest_dropcopy(wh, batch["paths"], batch["broker"], day.get("instruments"), trade_date, run_id, files)


def mapped_files(day: dict) -> list[dict]:
    """The day's mapped files (internal first), as the list a map over files takes."""
    return [f.model_dump() for f in DayInputs.model_validate(day).mapped_files()]


def dropcopy_batches(day: dict) -> list[dict]:
    """One {"broker", "paths"} per broker: what a map over drop-copy batches takes."""
    return DayInputs.model_validate(day).dropcopy_batches()


def landing_totals(files: list[dict], batches: list[list[dict]]) -> dict:
    """{"files": control totals per mapped file, "dropcopy": per drop-copy file}."""
    return {"files": files, "dropcopy": [t for batch in batches for t in batch]}


resolve_inputs_task = task(resolve_inputs, name="resolve-inputs", cache_policy=NO_CACHE)
land_instruments_task = task(land_instruments, name="land-instruments", cache_policy=NO_CACHE, retries=1)
land_file_task = task(land_file, name="land-file", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=5)
land_dropcopy_task = task(land_dropcopy, name="land-dropcopy", cache_policy=NO_CACHE, retries=1)
mapped_files_task = task(mapped_files, name="mapped-files", cache_policy=NO_CACHE)
dropcopy_batches_task = task(dropcopy_batches, name="dropcopy-batches", cache_policy=NO_CACHE)
landing_totals_task = task(landing_totals, name="landing-totals", cache_policy=NO_CACHE)
