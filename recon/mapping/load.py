"""Read a source file with pyarrow (every column as text); header checks; the trailer check.

On the embedded engine the mapping SQL reads the Arrow table directly; on Snowflake its rows are
landed in raw_<mapping name> first (land_raw). Each data row keeps its file
key and 1-based physical row number (`_line`, header = 1; equal to the file's line number unless
a quoted value spans lines). Rows with the wrong number of fields and the trailer row are not data
rows: the trailer is checked against the record count, malformed rows become rejects. Nothing is
lost: rows_read = data rows + malformed.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from recon.mapping.compile_sql import raw_table_name
from recon.mapping.spec import MappingSpec
from recon.model import Reject
from recon.sqlnames import check_identifier


class SourceFileError(ValueError):
    """A file that cannot be ingested with its mapping (missing columns, no header...)."""


@dataclass
class TrailerCheck:
    status: str  # ok | mismatch | missing | unreadable | none
    count: int | None = None
    line: int = 0
    text: str | None = None


@dataclass
class SourceFile:
    """A parsed file: data rows as an Arrow table of raw columns, plus what did not parse."""

    path: Path
    file_key: str
    header: list[str]
    raw_columns: dict[str, str]  # header -> raw column name
    table: pa.Table | None  # raw columns + _file + _line (None until read)
    malformed: list[Reject] = field(default_factory=list)
    trailer: TrailerCheck = field(default_factory=lambda: TrailerCheck("none"))
    file_errors: list[Reject] = field(default_factory=list)
    trailers: list[tuple[int, str]] = field(default_factory=list)  # (line, text) of trailer rows

    @property
    def rows_read(self) -> int:
        return (self.table.num_rows if self.table is not None else 0) + len(self.malformed)


_NON_WORD = re.compile(r"[^a-z0-9]+")


def raw_column_name(header: str) -> str:
    """'trade.ref' -> 'f_trade_ref'. The f_ prefix keeps every name clear of SQL keywords."""
    return check_identifier("f_" + (_NON_WORD.sub("_", header.strip().lower()).strip("_") or "blank")[:100])


def read_header(path: Path, delimiter: str) -> list[str]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            first = next(csv.reader(fh, delimiter=delimiter), None)
    except UnicodeDecodeError as exc:
        raise SourceFileError(
            f"{path}: not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start}); "
            "re-export the file as UTF-8"
        ) from exc
    if not first:
        raise SourceFileError(f"{path}: empty file (expected a header row)")
    return first


def raw_columns_for(path: Path, header: list[str], spec: MappingSpec) -> dict[str, str]:
    seen: dict[str, str] = {}
    for h in header:
        name = raw_column_name(h)
        if name in seen.values():
            other = next(k for k, v in seen.items() if v == name)
            raise SourceFileError(f"{path}: columns {other!r} and {h!r} both land as {name}; rename one")
        seen[h] = name
    missing = [c for c in spec.columns() if c not in seen]
    if missing:
        raise SourceFileError(
            f"{path}: column(s) {', '.join(repr(c) for c in missing)} named by mapping {spec.name!r} "
            f"({spec.path}) are not in the file; its header has: {', '.join(header)}"
        )
    return seen


def open_source_file(path: str | Path, spec: MappingSpec, file_key: str | None = None) -> SourceFile:
    """Header checks only (the file exists, has a header, no duplicate or missing columns)."""
    path = Path(path)
    if not path.is_file():
        raise SourceFileError(f"{path}: no such file")
    header = read_header(path, spec.file.delimiter)
    if len(set(header)) != len(header):
        dupes = sorted({h for h in header if header.count(h) > 1})
        raise SourceFileError(f"{path}: duplicate column(s) in the header: {', '.join(dupes)}")
    raw_columns = raw_columns_for(path, header, spec)
    return SourceFile(path, file_key or str(path.resolve()), header, raw_columns, None)


def malformed_reject(spec: MappingSpec, source: SourceFile, line: int, text: str) -> Reject:
    got = len(next(csv.reader([text], delimiter=spec.file.delimiter), []))
    return Reject(spec.source, source.file_key, line, f"malformed row: expected {len(source.header)} fields, "
                  f"got {got}", None, text)


def read_source_file(path: str | Path, spec: MappingSpec, file_key: str | None = None) -> SourceFile:
    """Every data row into an Arrow table (all text), with line numbers, malformed rows, trailers."""
    source = open_source_file(path, spec, file_key)
    path, file_key, header, raw_columns = source.path, source.file_key, source.header, source.raw_columns
    delim = spec.file.delimiter

    # Multi-threaded first: pyarrow then cannot say where a bad row was, which matters only when a
    # bad row precedes good ones (their line numbers shift). Rows set aside only at the very end
    # of the file (a trailer, a truncated last line) are numbered after the data rows; anything
    # else is read again single-threaded, where every bad row's line is known.
    table, invalid = _read_csv(path, header, delim, threads=True)
    if invalid:
        tail = _last_lines(path, len(invalid))
        if tail is not None and sorted(tail) == sorted(t.rstrip("\r") for _, t in invalid):
            invalid = [(table.num_rows + 2 + i, t) for i, t in enumerate(tail)]
        else:
            table, invalid = _read_csv(path, header, delim, threads=False)
    table = table.rename_columns([raw_columns[h] for h in table.column_names])
    lines = _line_numbers(table.num_rows, [n for n, _ in invalid])
    # One dictionary entry, not a copy of the path per row (pa.repeat: 0.3 s at 1.25M rows).
    file_column = pa.DictionaryArray.from_arrays(pa.array(np.zeros(table.num_rows, np.int32)), pa.array([file_key]))
    table = table.append_column("_file", file_column)
    table = table.append_column("_line", pa.array(lines, pa.int64()))

    source.table = table
    source.trailers = _split_trailer(source, invalid, spec)
    source.malformed = [malformed_reject(spec, source, n, t) for n, t in invalid]
    return source


def _read_csv(path: Path, header: list[str], delim: str, threads: bool) -> tuple[pa.Table, list[tuple[int, str]]]:
    invalid: list[tuple[int, str]] = []

    def on_invalid(row) -> str:  # only rows with the wrong field count come here
        invalid.append((row.number, row.text))
        return "skip"

    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(use_threads=threads, block_size=16 << 20),
        parse_options=pacsv.ParseOptions(delimiter=delim, invalid_row_handler=on_invalid, ignore_empty_lines=False),
        convert_options=pacsv.ConvertOptions(
            column_types={h: pa.string() for h in header}, strings_can_be_null=False, quoted_strings_can_be_null=False
        ),
    )
    return table, invalid


def _last_lines(path: Path, count: int, limit: int = 1 << 20) -> list[str] | None:
    """The file's last `count` lines (without line endings), or None when they are not plain
    UTF-8 text within the last `limit` bytes."""
    with open(path, "rb") as fh:
        size = fh.seek(0, 2)
        fh.seek(max(0, size - limit))
        data = fh.read()
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()  # the final newline ends the last line
    if len(lines) <= count or (size > limit and len(lines) <= count + 1):
        return None  # not enough whole lines in the window (or the header among them)
    try:
        return [line.decode("utf-8").rstrip("\r") for line in lines[-count:]]
    except UnicodeDecodeError:
        return None


def _line_numbers(valid_rows: int, invalid_numbers: list[int]) -> np.ndarray:
    """Valid rows take the row numbers 2.. that the invalid rows did not."""
    total = valid_rows + len(invalid_numbers)
    numbers = np.arange(2, total + 2, dtype=np.int64)
    if invalid_numbers:
        numbers = numbers[~np.isin(numbers, np.array(invalid_numbers, dtype=np.int64))]
    if len(numbers) != valid_rows:  # a quoted value spanning lines: fall back to record order
        numbers = np.arange(2, valid_rows + 2, dtype=np.int64)
    return numbers


def _split_trailer(source: SourceFile, invalid: list[tuple[int, str]], spec: MappingSpec) -> list[tuple[int, str]]:
    """Take trailer rows out of the invalid list and the table; return them as (line, text)."""
    prefix = spec.file.trailer_prefix
    if not prefix:
        return []
    trailers = [(n, t) for n, t in invalid if t.startswith(prefix)]
    invalid[:] = [(n, t) for n, t in invalid if not t.startswith(prefix)]
    first = source.table.column(0)
    is_trailer = pc.starts_with(first, prefix)
    if pc.any(is_trailer).as_py():  # a trailer padded to the full width parses as a data row
        rows = source.table.filter(is_trailer)
        cols = [c for c in rows.column_names if not c.startswith("_")]
        for r in rows.to_pylist():
            trailers.append((r["_line"], spec.file.delimiter.join(r[c] for c in cols)))
        source.table = source.table.filter(pc.invert(is_trailer))
    return sorted(trailers)


def check_trailer(source: SourceFile, spec: MappingSpec, empty_rows: int) -> None:
    """The last trailer row's count against the records (rows read, blank rows not counted)."""
    prefix = spec.file.trailer_prefix
    if not prefix:
        return
    trailers = source.trailers
    records = source.rows_read - empty_rows

    def error(line: int, reason: str, text: str | None) -> None:
        source.file_errors.append(Reject(spec.source, source.file_key, line, f"control total: {reason}", None, text))

    if not trailers:
        source.trailer = TrailerCheck("missing")
        error(0, f"trailer row starting {prefix!r} is missing ({records} records in the file)", None)
        return
    for line, text in trailers[:-1]:
        error(line, "more than one trailer row; the last one counts", text)
    line, text = trailers[-1]
    fields = next(csv.reader([text], delimiter=spec.file.delimiter), [])
    count_text = fields[1].strip() if len(fields) > 1 else ""
    if not count_text.isdigit():
        source.trailer = TrailerCheck("unreadable", None, line, text)
        error(line, f"trailer record count {count_text!r} is not a whole number", text)
        return
    count = int(count_text)
    if count != records:
        source.trailer = TrailerCheck("mismatch", count, line, text)
        error(line, f"trailer says {count} records, the file has {records}", text)
    else:
        source.trailer = TrailerCheck("ok", count, line, text)


def prepare_raw_table(warehouse, spec: MappingSpec, source: SourceFile) -> str:
    """Create raw_<name>, or add the columns this file brings. DDL runs outside the file's
    transaction: Snowflake commits implicitly on DDL, which would break the transaction."""
    table = raw_table_name(spec)
    cols = list(source.raw_columns.values())
    existing = _existing_columns(warehouse, table)
    if existing is None:
        defs = ", ".join(f"{check_identifier(c)} VARCHAR" for c in cols)
        warehouse.execute(
            f"CREATE TABLE IF NOT EXISTS {table} (_file VARCHAR NOT NULL, _line BIGINT NOT NULL, {defs})"
        )
    else:
        for c in cols:
            if c not in existing:  # a file of this layout with an extra column: keep it too
                warehouse.execute(f"ALTER TABLE {table} ADD COLUMN {check_identifier(c)} VARCHAR")
    return table


def land_raw(warehouse, spec: MappingSpec, source: SourceFile) -> int:
    """Replace this file's rows in raw_<name> (which prepare_raw_table made ready)."""
    table = raw_table_name(spec)
    warehouse.execute(f"DELETE FROM {table} WHERE _file = :file", {"file": source.file_key})
    return warehouse.load_arrow(table, source.table)


def _existing_columns(warehouse, table: str) -> set[str] | None:
    rows = warehouse.fetch_rows(
        "SELECT column_name FROM information_schema.columns "
        "WHERE LOWER(table_name) = :table AND LOWER(table_schema) = LOWER(CURRENT_SCHEMA())",
        {"table": table.lower()},
    )
    return {str(r["column_name"]).lower() for r in rows} or None
