"""The embedded engine's fast path: DuckDB reads the CSV file itself, inside the mapping SQL.

A temp view `_recon_csv` over DuckDB's parallel `read_csv` (every column as text, the mapping's
delimiter, '"' quoting) numbers the rows in file order (`row_number() OVER ()`, streamed) and is
what the executions and keep-rejected statements read: no Arrow table, no landing of every row.
Rows with the wrong number of fields go to a DuckDB rejects table (line, text) instead of failing
the read; they become 'malformed row' rejects, or trailers when they start with the prefix.

The line number of a data row is only certain when nothing before it was skipped, so the fast path
holds only when (a) the rows DuckDB read plus the rows it set aside are exactly the file's lines
after the header, counted in its bytes (so no blank line, which DuckDB skips silently and the
portable reader turns into an 'empty line' reject; no newline inside quotes; no bare CR), and
(b) every row set aside comes after the last data row (a trailer, a truncated last line).
Otherwise `NativeUnfit` is raised, the file's transaction rolls back and the portable pyarrow
reader (recon.mapping.load) ingests the file instead: same rows, same reasons, only slower.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import duckdb

from recon.mapping.load import SourceFile, malformed_reject
from recon.mapping.spec import MappingSpec

CSV_VIEW = "_recon_csv"
_ROWS = "_recon_csv_rows"
_ERRORS = "_recon_csv_errors"
_SCANS = "_recon_csv_scans"
_FIELD_COUNT_ERRORS = {"MISSING COLUMNS", "TOO MANY COLUMNS"}
_CHUNK = 32 << 20


class NativeUnfit(Exception):
    """DuckDB's reader cannot vouch for this file's line numbers: use the portable reader."""


@dataclass(frozen=True, slots=True)
class NativePlan:
    records: int  # lines after the header, counted in the file's bytes


def native_candidate(source: SourceFile) -> bool:
    """False for an empty file or one starting with a byte-order mark (the portable reader strips
    it); checked before reading."""
    with open(source.path, "rb") as fh:
        head = fh.read(3)
    return bool(head) and head != b"\xef\xbb\xbf"


def count_lines(source: SourceFile) -> NativePlan:
    """The file's lines after the header, counted in its bytes (~0.1 s per 100 MB; it runs while
    DuckDB reads the file)."""
    newlines = 0
    last = b""
    with open(source.path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            newlines += chunk.count(b"\n")
            last = chunk[-1:]
    return NativePlan(newlines + (0 if last == b"\n" else 1) - 1)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def create_csv_view(conn, source: SourceFile, spec: MappingSpec) -> None:
    """Read the file into a temp table (DuckDB SQL: it is not Snowflake's dialect) and put the
    view the compiled SQL reads over it. The table keeps file order (insertion order is preserved),
    so its rowid numbers the rows; numbering them in the read (row_number) would make the
    whole executions pass single-threaded. Run it outside a transaction (its rowids start at 0)."""
    columns = ", ".join(f"{_quote(source.raw_columns[h])}: 'VARCHAR'" for h in source.header)
    for table in (_ERRORS, _SCANS):  # read_csv refuses to reuse a rejects table name
        conn.execute(f"DROP TABLE IF EXISTS {table}")
    with insertion_order(conn, preserve=True):
        try:
            _read_into_rows_table(conn, source, spec, columns)
        except duckdb.Error as exc:  # whatever DuckDB's reader refuses, the portable reader judges
            raise NativeUnfit(f"{source.path}: DuckDB's reader failed: {exc}") from exc
    first = conn.execute(f"SELECT MIN(rowid) FROM {_ROWS}").fetchone()[0] or 0  # 0 outside a transaction
    conn.execute(
        f"CREATE OR REPLACE TEMP VIEW {CSV_VIEW} AS\n"
        f"SELECT CAST({_quote(source.file_key)} AS VARCHAR) AS _file, CAST(rowid - {int(first)} + 2 AS BIGINT) AS _line, *\n"
        f"FROM {_ROWS}"
    )


def _read_into_rows_table(conn, source: SourceFile, spec: MappingSpec, columns: str) -> None:
    conn.execute(
        f"CREATE OR REPLACE TEMP TABLE {_ROWS} AS\n"
        f"SELECT * FROM read_csv({_quote(str(source.path))}, columns = {{{columns}}}, delim = {_quote(spec.file.delimiter)},\n"
        "              quote = '\"', escape = '\"', header = true, auto_detect = false,\n"
        f"              store_rejects = true, rejects_table = {_quote(_ERRORS)}, rejects_scan = {_quote(_SCANS)})"
    )


def drop_csv_view(conn) -> None:
    for name, kind in ((CSV_VIEW, "VIEW"), (_ROWS, "TABLE"), (_ERRORS, "TABLE"), (_SCANS, "TABLE")):
        conn.execute(f"DROP {kind} IF EXISTS {name}")


def settle_set_aside_rows(conn, source: SourceFile, spec: MappingSpec, plan: NativePlan) -> None:
    """After the executions pass read the file: the rows DuckDB set aside become malformed rows
    or trailers, and source.data_rows is set. Raises NativeUnfit when a line number is in doubt."""
    rows = conn.execute(
        f"SELECT DISTINCT line, CAST(error_type AS VARCHAR), csv_line FROM {_ERRORS} ORDER BY line"
    ).fetchall()
    records = plan.records
    read = conn.execute(f"SELECT COUNT(*) FROM {_ROWS}").fetchone()[0]
    if read + len(rows) != records:  # blank lines (DuckDB skips them), a newline inside quotes, a bare CR
        raise NativeUnfit(f"{source.path}: DuckDB read {read} rows and set aside {len(rows)}, the file has {records} lines")
    lines = [int(r[0]) for r in rows]
    if any(r[1] not in _FIELD_COUNT_ERRORS for r in rows):
        raise NativeUnfit(f"{source.path}: DuckDB's reader set aside rows for {sorted({r[1] for r in rows})}")
    if lines != list(range(records + 2 - len(lines), records + 2)):
        raise NativeUnfit(f"{source.path}: rows with the wrong field count before the last data row")
    prefix = spec.file.trailer_prefix
    for line, _, text in rows:
        text = text.strip("\r\n")  # with CRLF endings DuckDB keeps the previous line's LF
        if prefix and text.startswith(prefix):
            source.trailers.append((int(line), text))
        else:
            source.malformed.append(malformed_reject(spec, source, int(line), text))
    source.data_rows = read


def take_padded_trailers(warehouse, source: SourceFile, spec: MappingSpec, raw_table: str) -> None:
    """A trailer padded to the full width reads as a data row; the mapping SQL rejected it as
    'control total: trailer row' and kept it in the raw table: take it out as a trailer."""
    prefix = spec.file.trailer_prefix
    if not prefix:
        return
    first = source.raw_columns[source.header[0]]
    cols = [source.raw_columns[h] for h in source.header]
    where = f"_file = :file AND STARTSWITH({first}, :prefix)"
    params = {"file": source.file_key, "prefix": prefix}
    rows = warehouse.fetch_rows(f"SELECT _line, {', '.join(cols)} FROM {raw_table} WHERE {where}", params)
    if not rows:
        return
    for r in rows:
        source.trailers.append((int(r["_line"]), spec.file.delimiter.join(r[c] or "" for c in cols)))
    source.trailers.sort()
    warehouse.execute(f"DELETE FROM {raw_table} WHERE {where}", params)
    if source.table is None:
        source.data_rows -= len(rows)


@contextmanager
def insertion_order(conn, preserve: bool) -> Iterator[None]:
    """DuckDB's preserve_insertion_order for a few statements; the session's value is restored.
    Reading the file needs it on (rowid = file order); the executions INSERT does not (its rows
    carry their line numbers by then, and unordered writes are a third faster at 1M rows)."""
    before = conn.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0]
    conn.execute(f"SET preserve_insertion_order = {'true' if preserve else 'false'}")
    try:
        yield
    finally:
        conn.execute(f"SET preserve_insertion_order = {'true' if before else 'false'}")
