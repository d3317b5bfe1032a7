"""Ingestion steps: instrument master and source files -> warehouse tables.

Plain functions carry the logic; the @task wrappers at the bottom only add orchestration options.
A file is ingested in one transaction: replace the file's canonical rows, rejects and rejected raw
rows (so re-ingesting a file is idempotent), record its control totals, and check that every data
row ended in exactly one of executions / rejects.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from prefect import task
from prefect.cache_policies import NO_CACHE

from blocks.warehouse import Warehouse, get_warehouse, sequence_name, to_duckdb
from recon import clock
from recon.instruments import MASTER_COLUMNS, InstrumentMaster
from recon.mapping.compile_sql import CompiledMapping, compile_mapping, raw_table_name
from recon.mapping.inputs import plan_inputs
from recon.mapping.load import (
    SourceFile,
    SourceFileError,
    check_trailer,
    land_raw,
    open_source_file,
    prepare_raw_table,
    read_header,
    read_source_file,
)
from recon.mapping.spec import MappingSpec, load_mapping
from recon.model import QTY, Reject, Source, executions_to_arrow, rejects_to_arrow

CONTROL_CLASS = "control total"  # reason class of file-level rejects (not counted as rows)


def ensure_tables(warehouse: Warehouse) -> None:
    warehouse.ensure_schema("01_tables.sql")  # a local warehouse from before uids gets them here


def load_instruments(warehouse: Warehouse, path: str | Path) -> int:
    """Replace the `instruments` and `instrument_ids` tables with the master in `path`."""
    path = Path(path)
    if not path.is_file():
        raise SourceFileError(f"{path}: no such instrument master file")
    header = read_header(path, ",")
    missing = [c for c in ("instrument_id", "asset_class") if c not in header]
    if missing:
        raise SourceFileError(f"{path}: instrument master lacks column(s) {', '.join(missing)}; header: {', '.join(header)}")
    try:
        master = InstrumentMaster.from_csv(path)
    except (ValueError, ArithmeticError) as exc:  # e.g. a multiplier that is no number
        raise SourceFileError(f"{path}: unreadable instrument master: {exc}") from exc
    ensure_tables(warehouse)
    instruments = list(master.instruments.values())
    columns = {c: [getattr(i, c) for i in instruments] for c in MASTER_COLUMNS}
    columns["multiplier"] = [Decimal(m).quantize(Decimal(1).scaleb(-QTY[1])) for m in columns["multiplier"]]
    types = {c: pa.string() for c in MASTER_COLUMNS} | {"multiplier": pa.decimal128(*QTY)}
    table = pa.table(columns, schema=pa.schema([(c, types[c]) for c in MASTER_COLUMNS]))
    ids = pa.Table.from_pylist(
        master.to_rows(),
        schema=pa.schema([("id_type", pa.string()), ("id_value", pa.string()), ("instrument_id", pa.string())]),
    )
    with warehouse.exclusive():
        warehouse.execute("BEGIN TRANSACTION")
        try:
            warehouse.load_arrow("instruments", table, replace=True)
            warehouse.load_arrow("instrument_ids", ids, replace=True)
            warehouse.execute("COMMIT")
        except BaseException:
            warehouse.execute("ROLLBACK")
            raise
    return table.num_rows


def ingest_file(
    warehouse: Warehouse,
    path: str | Path,
    mapping_name_or_path: str | Path,
    broker: str | None = None,
    trade_date: str | date | None = None,
    run_id: str | None = None,
) -> dict:
    """Land one file through its mapping; return its control totals (also stored in control_totals).

    broker: for broker files the broker's name (default: the mapping's name); for internal files a
    fallback when a row's broker column is empty.

    pyarrow reads the file (every column as text, each row's line). On the embedded engine the
    mapping SQL reads that Arrow table directly; on Snowflake its rows are landed in raw_<mapping>
    first (the only way to get them there). Either way raw_<mapping> ends up holding the rejected rows.
    """
    spec = load_mapping(mapping_name_or_path)
    if warehouse.engine == "duckdb":
        header = open_source_file(path, spec)  # header checks before reading the rows
        compiled = compile_mapping(spec, header.header, header.raw_columns, ARROW_RELATION, uid_from_line=True)
        with ThreadPoolExecutor(1) as pool:  # sqlglot turns the SQL into DuckDB's while pyarrow reads
            transpiled = pool.submit(lambda: [to_duckdb(sql) for sql in _statements(compiled)])
            source = read_source_file(path, spec)
            transpiled.result()
    else:
        source = read_source_file(path, spec)
    broker = broker or (spec.name if spec.source == Source.BROKER else None)
    ensure_tables(warehouse)
    with warehouse.exclusive():
        prepare_raw_table(warehouse, spec, source)
        warehouse.execute("BEGIN TRANSACTION")
        try:
            totals = _ingest_rows(warehouse, spec, source, broker, trade_date, run_id)
            warehouse.execute("COMMIT")
        except BaseException:
            warehouse.execute("ROLLBACK")
            raise
    return totals


ARROW_RELATION = "_recon_arrow"  # the file's Arrow table, as the embedded engine's SQL sees it


def _statements(compiled: CompiledMapping) -> list[str]:
    return [compiled.executions_sql, compiled.keep_rejected_sql, compiled.rejects_sql]


def _ingest_rows(warehouse, spec: MappingSpec, source: SourceFile, broker, trade_date, run_id) -> dict:
    params = {"file": source.file_key, "broker": broker}
    raw_table = raw_table_name(spec)
    for table, column in (("executions", "file"), ("rejects", "file"), ("control_totals", "file"), (raw_table, "_file")):
        warehouse.execute(f"DELETE FROM {table} WHERE {column} = :file", params)
    if warehouse.engine == "duckdb":  # nothing landed first: the SQL reads the Arrow table
        conn = warehouse.connection()
        conn.register(ARROW_RELATION, source.table)
        try:
            compiled = compile_mapping(spec, source.header, source.raw_columns, ARROW_RELATION, uid_from_line=True)
            params["uid_base"] = _reserve_uids(conn, int(pc.max(source.table["_line"]).as_py() or 0))
            with _unordered_inserts(conn):
                warehouse.execute(compiled.executions_sql, params)
            warehouse.execute(compiled.keep_rejected_sql, params)
        finally:
            conn.unregister(ARROW_RELATION)
    else:  # Snowflake: land every row, then keep only the rejected ones
        land_raw(warehouse, spec, source)
        compiled = compile_mapping(spec, source.header, source.raw_columns)
        warehouse.execute(compiled.executions_sql, params)
        warehouse.execute(compiled.prune_raw_sql, params)
    warehouse.execute(compiled.rejects_sql, params)
    empty = warehouse.scalar(
        "SELECT COUNT(*) FROM rejects WHERE file = :file AND reason = 'empty line: no values'", params
    )
    check_trailer(source, spec, int(empty or 0))
    extra = source.malformed + source.file_errors
    if extra:
        warehouse.load_arrow("rejects", rejects_to_arrow(extra))
    totals = _control_totals(warehouse, spec, source, broker, trade_date, run_id)
    _store_totals(warehouse, totals)
    return totals


def _reserve_uids(conn, count: int) -> int:
    """Take `count` values of the executions uid sequence in one statement; -> the base that the
    rows' lines (1..count) are added to. DuckDB runs an INSERT that calls nextval per row on one
    thread (twice the time of the whole 1M-row insert); the block costs ~20 ms."""
    last = conn.execute(f"SELECT MAX(nextval('{sequence_name('executions', 'uid')}')) FROM range(?)", [count + 1]).fetchone()[0]
    return int(last) - count - 1 if last is not None else 0


@contextmanager
def _unordered_inserts(conn) -> Iterator[None]:
    """DuckDB may write the executions rows in any order (each carries its file and line): a third
    faster at 1M rows than preserving insertion order. The session's setting is restored."""
    before = conn.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0]
    conn.execute("SET preserve_insertion_order = false")
    try:
        yield
    finally:
        conn.execute(f"SET preserve_insertion_order = {'true' if before else 'false'}")


def _control_totals(warehouse, spec: MappingSpec, source: SourceFile, broker, trade_date, run_id) -> dict:
    params = {"file": source.file_key}
    canonical = warehouse.scalar("SELECT COUNT(*) FROM executions WHERE file = :file", params) or 0
    by_class = {
        r["reason_class"]: int(r["n"])
        for r in warehouse.fetch_rows(
            "SELECT SPLIT_PART(reason, ':', 1) AS reason_class, COUNT(*) AS n FROM rejects "
            "WHERE file = :file GROUP BY SPLIT_PART(reason, ':', 1) ORDER BY 1",
            params,
        )
    }
    file_errors = by_class.pop(CONTROL_CLASS, 0)
    rejected = sum(by_class.values())
    if canonical + rejected != source.rows_read:
        raise RuntimeError(
            f"{source.path}: control totals do not add up: read {source.rows_read}, canonical {canonical}, "
            f"rejected {rejected} (mapping {spec.name}); nothing was committed"
        )
    return {
        "run_id": run_id,
        "trade_date": str(trade_date) if trade_date else None,
        "source": spec.source,
        "mapping": spec.name,
        "broker": broker,
        "file": source.file_key,
        "rows_read": source.rows_read,
        "canonical": int(canonical),
        "rejected": rejected,
        "rejected_by_reason": by_class,
        "trailer_count": source.trailer.count,
        "trailer_status": source.trailer.status,
        "file_errors": file_errors,
    }


def _store_totals(warehouse, totals: dict) -> None:
    row = dict(totals)
    row["rejected_by_reason"] = json.dumps(totals["rejected_by_reason"], sort_keys=True)
    row["trade_date"] = date.fromisoformat(totals["trade_date"]) if totals["trade_date"] else None
    row["ingested_at"] = clock.utcnow()
    schema = pa.schema(
        [
            ("run_id", pa.string()), ("trade_date", pa.date32()), ("source", pa.string()),
            ("mapping", pa.string()), ("broker", pa.string()), ("file", pa.string()),
            ("rows_read", pa.int64()), ("canonical", pa.int64()), ("rejected", pa.int64()),
            ("rejected_by_reason", pa.string()), ("trailer_count", pa.int64()),
            ("trailer_status", pa.string()), ("file_errors", pa.int64()), ("ingested_at", pa.timestamp("us")),
        ]
    )
    warehouse.load_arrow("control_totals", pa.Table.from_pylist([row], schema=schema))


def ingest_rejects(warehouse: Warehouse, rejects: list[Reject]) -> int:
    """Append rejects produced outside SQL (e.g. by the FIX parser)."""
    return warehouse.load_arrow("rejects", rejects_to_arrow(rejects)) if rejects else 0


def ingest_dropcopy(
    warehouse: Warehouse,
    paths: list[str],
    broker: str,
    instruments: str | None = None,
    trade_date: str | date | None = None,
    run_id: str | None = None,
) -> list[dict]:
    """A broker's FIX drop-copy files (parsed by tasks.fix_ingest) -> executions + rejects.

    The files form one lifecycle batch (a correction in one file reaches a fill in another), so
    they are replaced together. Returns one control-totals dict per file.
    """
    from tasks.fix_ingest import parse_fix_files

    keys = [str(Path(p).resolve()) for p in paths]
    master = InstrumentMaster.from_csv(instruments) if instruments else None
    executions, rejects, fix_totals = parse_fix_files(keys, broker, master)
    ensure_tables(warehouse)
    out = []
    with warehouse.exclusive():
        warehouse.execute("BEGIN TRANSACTION")
        try:
            for key in keys:
                for table in ("executions", "rejects", "control_totals"):
                    warehouse.execute(f"DELETE FROM {table} WHERE file = :file", {"file": key})
            warehouse.load_arrow("executions", executions_to_arrow(executions))
            ingest_rejects(warehouse, rejects)
            for key in keys:
                t = fix_totals.get(key, {})
                by_class: dict[str, int] = {}
                for r in rejects:
                    if r.file == key:
                        cls = r.reason.split(":", 1)[0]
                        by_class[cls] = by_class.get(cls, 0) + 1
                totals = {
                    "run_id": run_id, "trade_date": str(trade_date) if trade_date else None,
                    "source": Source.DROPCOPY.value, "mapping": "fix", "broker": broker, "file": key,
                    "rows_read": t.get("read", 0), "canonical": t.get("executions", 0),
                    "rejected": t.get("rejected", 0), "rejected_by_reason": by_class,
                    "trailer_count": None, "trailer_status": "none", "file_errors": 0,
                }
                _store_totals(warehouse, totals)
                out.append(totals | {"fix": t})
            warehouse.execute("COMMIT")
        except BaseException:
            warehouse.execute("ROLLBACK")
            raise
    return out


# ---- Prefect tasks ------------------------------------------------------------------------------
# Tasks take a small warehouse reference (a saved block name, or None for the embedded DuckDB)
# and return small JSON, so they run the same under Prefect and as Step Functions tasks.


@task(name="plan-ingest-inputs", cache_policy=NO_CACHE)
def plan_inputs_task(
    day_dir: str | None = None,
    instruments: str | None = None,
    internal: list[str] | None = None,
    brokers: list[str] | None = None,
    dropcopy: list[str] | None = None,
) -> dict:
    return plan_inputs(day_dir, instruments, internal, brokers, dropcopy).to_json()


@task(name="load-instruments", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=5)
def load_instruments_task(plan: dict, warehouse_ref: str | None = None) -> int:
    if not plan.get("instruments"):
        return 0  # files then resolve only against a master loaded earlier (or become <TYPE>:<value>)
    return load_instruments(get_warehouse(warehouse_ref), plan["instruments"])


@task(name="ingest-files", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=5)
def ingest_files_task(
    plan: dict, trade_date: str | None = None, run_id: str | None = None, warehouse_ref: str | None = None
) -> list[dict]:
    """Every CSV input of the plan, one transaction per file (re-runs replace, never duplicate)."""
    wh = get_warehouse(warehouse_ref)
    return [
        ingest_file(wh, f["path"], f["mapping"], f.get("broker"), trade_date, run_id) for f in plan["files"]
    ]


@task(name="ingest-dropcopy", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=5)
def ingest_dropcopy_task(
    plan: dict, trade_date: str | None = None, run_id: str | None = None, warehouse_ref: str | None = None
) -> list[dict]:
    wh = get_warehouse(warehouse_ref)
    out: list[dict] = []
    for broker, paths in sorted(plan.get("dropcopy", {}).items()):
        out += ingest_dropcopy(wh, paths, broker, plan.get("instruments"), trade_date, run_id)
    return out
