"""How a file lands in the warehouse: instrument master, mapped files, FIX drop-copy batches.

The landing path (tasks/land.py) calls these; so do the tools that land files directly. A file is
landed in one transaction: its rows replace those of the same file landed before (the same bytes,
from any path: see recon/files.py) and of the earlier versions landed from the same location; its
control totals are recorded and checked (every data row ended in exactly one of executions or
rejects); landed_files records it (sql/02_landed_files.sql).
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

from blocks.warehouse import Warehouse, sequence_name, to_duckdb
from recon import clock
from recon.files import LandedFile, identify
from recon.instruments import MASTER_COLUMNS, InstrumentMaster
from recon.mapping.compile_sql import CompiledMapping, compile_mapping
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
from recon.model import QTY, Source, executions_to_arrow, rejects_to_arrow
from recon.sqlnames import check_identifier
from tasks.fix_ingest import parse_fix_files

CONTROL_CLASS = "control total"  # reason class of file-level rejects (not counted as rows)


def ensure_tables(warehouse: Warehouse) -> None:
    warehouse.ensure_schema("01_tables.sql")  # a local warehouse from before uids gets them here
    warehouse.ensure_schema("02_landed_files.sql")


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
    file: LandedFile | None = None,
) -> dict:
    """Land one file through its mapping; return its control totals (also stored in control_totals).

    broker: for broker files the broker's name (default: the mapping's name); for internal files a
    fallback when a row's broker column is empty. file: the file's identity when the caller has it
    already (default: identify(path)).

    pyarrow reads the file (every column as text, each row's line). On the embedded engine the
    mapping SQL reads that Arrow table directly; on Snowflake its rows are landed in raw_<mapping>
    first (the only way to get them there). Either way raw_<mapping> ends up holding the rejected rows.
    """
    spec = load_mapping(mapping_name_or_path)
    file = file or identify(path)
    if warehouse.engine == "duckdb":
        header = open_source_file(path, spec, file.file_id)  # header checks before reading the rows
        compiled = compile_mapping(spec, header.header, header.raw_columns, ARROW_RELATION, uid_from_line=True)
        with ThreadPoolExecutor(1) as pool:  # sqlglot turns the SQL into DuckDB's while pyarrow reads
            transpiled = pool.submit(lambda: [to_duckdb(sql) for sql in _statements(compiled)])
            source = read_source_file(path, spec, file.file_id)
            transpiled.result()
    else:
        source = read_source_file(path, spec, file.file_id)
    broker = broker or (spec.name if spec.source == Source.BROKER else None)
    ensure_tables(warehouse)
    with warehouse.exclusive():
        raw_table = prepare_raw_table(warehouse, spec, source)
        warehouse.execute("BEGIN TRANSACTION")
        try:
            forget_files(warehouse, replaced_ids(warehouse, [file]), [raw_table], {file.file_id})
            totals = _ingest_rows(warehouse, spec, source, broker, trade_date, run_id)
            totals = {**totals, "file_id": file.file_id, "file": file.uri}
            register_file(warehouse, file, totals, raw_table)
            warehouse.execute("COMMIT")
        except BaseException:
            warehouse.execute("ROLLBACK")
            raise
    return totals


ARROW_RELATION = "_recon_arrow"  # the file's Arrow table, as the embedded engine's SQL sees it


def _statements(compiled: CompiledMapping) -> list[str]:
    return [compiled.executions_sql, compiled.keep_rejected_sql, compiled.rejects_sql]


def _ingest_rows(warehouse, spec: MappingSpec, source: SourceFile, broker, trade_date, run_id) -> dict:
    """The file's rows into executions, rejects and raw_<mapping>; its control totals, checked."""
    params = {"file": source.file_key, "broker": broker}
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
        "lifecycle_removed": 0,
    }


CONTROL_TOTALS_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()), ("trade_date", pa.date32()), ("source", pa.string()),
        ("mapping", pa.string()), ("broker", pa.string()), ("file", pa.string()),
        ("rows_read", pa.int64()), ("canonical", pa.int64()), ("rejected", pa.int64()),
        ("rejected_by_reason", pa.string()), ("trailer_count", pa.int64()),
        ("trailer_status", pa.string()), ("file_errors", pa.int64()), ("ingested_at", pa.timestamp("us")),
    ]
)


def _store_totals(warehouse, totals: dict) -> None:
    """One control_totals row; `file` there is the file's id (totals["file"] is its location)."""
    row = {name: totals.get(name) for name in CONTROL_TOTALS_SCHEMA.names}
    row["file"] = totals.get("file_id", totals["file"])
    row["rejected_by_reason"] = json.dumps(totals["rejected_by_reason"], sort_keys=True)
    row["trade_date"] = date.fromisoformat(totals["trade_date"]) if totals["trade_date"] else None
    row["ingested_at"] = clock.utcnow()
    warehouse.load_arrow("control_totals", pa.Table.from_pylist([row], schema=CONTROL_TOTALS_SCHEMA))


# ---- landed files: identity, replacement, lineage ------------------------------------------------


def landed_totals(warehouse: Warehouse, file: LandedFile, mapping: str, broker: str | None) -> dict | None:
    """The stored control totals when this file (same bytes) was landed before with the same
    mapping and broker, else None. A location it was not landed from yet is added to its lineage."""
    ensure_tables(warehouse)
    rows = warehouse.fetch_rows(
        "SELECT mapping, broker, totals FROM landed_files WHERE file_id = :id", {"id": file.file_id}
    )
    if not rows or rows[0]["mapping"] != mapping or (rows[0]["broker"] or None) != (broker or None):
        return None
    with warehouse.exclusive():
        _remember_uri(warehouse, file, clock.utcnow())
    return json.loads(rows[0]["totals"])


def replaced_ids(warehouse: Warehouse, files: list[LandedFile]) -> list[str]:
    """What landing `files` replaces: each file itself (the same bytes, landed from any path) and
    the other versions landed from the same locations before."""
    ids = {f.file_id for f in files}
    for f in files:
        ids |= {r["file_id"] for r in warehouse.fetch_rows(
            "SELECT DISTINCT file_id FROM landed_file_uris WHERE uri = :uri", {"uri": f.uri})}
    return sorted(ids)


def forget_files(warehouse: Warehouse, file_ids: list[str], also_raw: list[str] = (), relanding: set[str] = frozenset()) -> None:
    """Every row derived from these files out of the warehouse (inside the caller's transaction).
    Files in `relanding` are about to land again: the places they were landed from stay known."""
    for file_id in file_ids:
        params = {"file": file_id}
        raw_tables = {r["raw_table"] for r in warehouse.fetch_rows(
            "SELECT raw_table FROM landed_files WHERE file_id = :file AND raw_table IS NOT NULL", params)}
        for table in ("executions", "rejects", "control_totals"):
            warehouse.execute(f"DELETE FROM {table} WHERE file = :file", params)
        for table in sorted(raw_tables | set(also_raw)):
            warehouse.execute(f"DELETE FROM {check_identifier(table)} WHERE _file = :file", params)
        warehouse.execute("DELETE FROM landed_files WHERE file_id = :file", params)
        if file_id not in relanding:
            warehouse.execute("DELETE FROM landed_file_uris WHERE file_id = :file", params)


def register_file(warehouse: Warehouse, file: LandedFile, totals: dict, raw_table: str | None) -> None:
    """Record a landed file and where it came from (inside the caller's transaction)."""
    at = clock.utcnow()
    warehouse.execute(
        "INSERT INTO landed_files (file_id, name, uri, size_bytes, source, mapping, broker, raw_table, "
        "trade_date, run_id, totals, landed_at) VALUES (:id, :name, :uri, :size, :source, :mapping, "
        ":broker, :raw, :d, :run, :totals, :at)",
        {"id": file.file_id, "name": file.name, "uri": file.uri, "size": file.size, "source": str(totals["source"]),
         "mapping": totals["mapping"], "broker": totals["broker"], "raw": raw_table,
         "d": date.fromisoformat(totals["trade_date"]) if totals["trade_date"] else None,
         "run": totals["run_id"], "totals": json.dumps(totals, default=str), "at": at},
    )
    _remember_uri(warehouse, file, at)


def _remember_uri(warehouse: Warehouse, file: LandedFile, at) -> None:
    params = {"id": file.file_id, "uri": file.uri}
    if not warehouse.scalar("SELECT COUNT(*) FROM landed_file_uris WHERE file_id = :id AND uri = :uri", params):
        warehouse.execute("INSERT INTO landed_file_uris (file_id, uri, landed_at) VALUES (:id, :uri, :at)",
                          {**params, "at": at})


def ingest_dropcopy(
    warehouse: Warehouse,
    paths: list[str],
    broker: str,
    instruments: str | None = None,
    trade_date: str | date | None = None,
    run_id: str | None = None,
    files: list[LandedFile] | None = None,
) -> list[dict]:
    """A broker's FIX drop-copy files (parsed by tasks.fix_ingest) -> executions + rejects.

    The files form one lifecycle batch (a correction in one file reaches a fill in another), so
    they are parsed and replaced together, in one transaction. Files with the same bytes are one
    file. Returns one control-totals dict per file:
    rows_read = canonical + rejected + lifecycle_removed (duplicates, busts, corrections, non-booking
    reports), with the FIX parser's own totals under "fix".
    """
    unique: dict[str, LandedFile] = {}
    for f in files or [identify(p) for p in paths]:
        unique.setdefault(f.file_id, f)
    batch = list(unique.values())
    master = InstrumentMaster.from_csv(instruments) if instruments else None
    executions, rejects, fix_totals = parse_fix_files(
        [f.uri for f in batch], broker, master, keys=[f.file_id for f in batch]
    )
    ensure_tables(warehouse)
    out = []
    with warehouse.exclusive():
        warehouse.execute("BEGIN TRANSACTION")
        try:
            forget_files(warehouse, replaced_ids(warehouse, batch), [], {f.file_id for f in batch})
            warehouse.load_arrow("executions", executions_to_arrow(executions))
            if rejects:
                warehouse.load_arrow("rejects", rejects_to_arrow(rejects))
            for f in batch:
                totals = _dropcopy_totals(warehouse, f, fix_totals.get(f.file_id, {}), broker, trade_date, run_id)
                _store_totals(warehouse, totals)
                register_file(warehouse, f, totals, None)
                out.append(totals)
            warehouse.execute("COMMIT")
        except BaseException:
            warehouse.execute("ROLLBACK")
            raise
    return out


def _dropcopy_totals(warehouse, file: LandedFile, t: dict, broker, trade_date, run_id) -> dict:
    """One drop-copy file's control totals, checked against what the transaction wrote."""
    params = {"file": file.file_id}
    canonical = int(warehouse.scalar("SELECT COUNT(*) FROM executions WHERE file = :file", params) or 0)
    by_class = {
        r["reason_class"]: int(r["n"])
        for r in warehouse.fetch_rows(
            "SELECT SPLIT_PART(reason, ':', 1) AS reason_class, COUNT(*) AS n FROM rejects "
            "WHERE file = :file GROUP BY SPLIT_PART(reason, ':', 1) ORDER BY 1",
            params,
        )
    }
    rejected = sum(by_class.values())
    if canonical != t.get("executions", 0) or rejected != t.get("rejected", 0):
        raise RuntimeError(
            f"{file.uri}: control totals do not add up: the parser booked {t.get('executions', 0)} executions "
            f"and {t.get('rejected', 0)} rejects, the warehouse holds {canonical} and {rejected}; nothing was committed"
        )
    read = int(t.get("read", 0))
    return {
        "run_id": run_id,
        "trade_date": str(trade_date) if trade_date else None,
        "source": Source.DROPCOPY.value,
        "mapping": "fix",
        "broker": broker,
        "file_id": file.file_id,
        "file": file.uri,
        "rows_read": read,
        "canonical": canonical,
        "rejected": rejected,
        "rejected_by_reason": by_class,
        "trailer_count": None,
        "trailer_status": "none",
        "file_errors": 0,
        "lifecycle_removed": read - canonical - rejected,
        "fix": t,
    }
