"""The warehouse block: the same Snowflake-dialect SQL on embedded DuckDB (default) or on Snowflake.

SQL in sql/ is written once in Snowflake's dialect. On DuckDB each statement is transpiled with
sqlglot (cached per text); on Snowflake it runs as written through prefect-snowflake's
SnowflakeConnector. Values are always bound; identifiers come only from validated names.

Two kinds of file in sql/: a file run whole (`run_file`, `ensure_schema`: DDL, a matching pass),
and a file of named statements a step picks from, each starting at a `-- name: <name>` line:

    INCIDENTS = SqlStatements("33_incident_delivery.sql")
    wh.execute(INCIDENTS.retry_later, {"attempts": 2, ...})

A bind given a list or tuple expands to one bind per item (`status IN (:statuses)`), so a
statement with a variable number of values is still written whole, with every value bound.
"""

from __future__ import annotations

import re
import threading
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import sqlglot
from prefect.blocks.core import Block
from pydantic import Field, PrivateAttr

from recon.paths import SQL_DIR, recon_home
from recon.sqlnames import check_identifier

# Work tables (w_*) are rebuilt by every matching pass. On the embedded engine one process runs the
# whole flow on one connection, so they live in DuckDB's in-memory temp catalog: half the matching
# time at 1M records was writing them to the database file. On Snowflake each task has its own
# session, so there they stay ordinary tables.
_WORK_TABLE = re.compile(r"^CREATE OR REPLACE (TABLE|VIEW) (w_\w+)", re.IGNORECASE)


@lru_cache(maxsize=512)
def to_duckdb(sql: str) -> list[str]:
    """Snowflake SQL -> DuckDB statements (one per statement in the text)."""
    out = []
    for tree in sqlglot.parse(sql, read="snowflake"):
        if tree is None:
            continue
        out.extend(_autoincrement_sequences(tree))
        stmt = tree.transform(_duckdb_rewrites).sql(dialect="duckdb", comments=False)
        if stmt.strip():
            out.append(_WORK_TABLE.sub(r"CREATE OR REPLACE TEMP \1 \2", stmt))
    return out


def _autoincrement_sequences(tree) -> list[str]:
    """Snowflake's `col BIGINT AUTOINCREMENT` (in CREATE or ALTER TABLE) is a sequence and a
    DEFAULT nextval(...) on DuckDB, which has no AUTOINCREMENT: the column is pointed at the
    sequence here (in place) and the sequence's DDL returned to run first. ALTER ... ADD COLUMN
    gives the rows already in the table their own values."""
    from sqlglot import exp

    table = tree.find(exp.Table)
    out = []
    for col in tree.find_all(exp.ColumnDef):
        for c in col.args.get("constraints") or []:
            if isinstance(c.kind, exp.AutoIncrementColumnConstraint) and table is not None:
                seq = sequence_name(table.name, col.name)
                out.append(f"CREATE SEQUENCE IF NOT EXISTS {seq}")
                c.set("kind", exp.DefaultColumnConstraint(this=exp.Anonymous(this="nextval", expressions=[exp.Literal.string(seq)])))
    return out


def sequence_name(table: str, column: str) -> str:
    """The DuckDB sequence behind an AUTOINCREMENT column."""
    return check_identifier(f"{table}_{column}_seq".lower())


def literal_binds(sql: str, params: dict) -> str:
    """:name binds written in as SQL literals, for statements that take no binds (CREATE VIEW on
    DuckDB). Values come from code (dates, validated names), and sqlglot quotes them."""
    from datetime import date as date_type

    from sqlglot import exp

    def literal(node):
        if isinstance(node, exp.Placeholder) and node.name in params:
            value = params[node.name]
            if isinstance(value, date_type):
                return exp.cast(exp.Literal.string(value.isoformat()), "DATE")
            if isinstance(value, str):
                return exp.Literal.string(value)
            raise TypeError(f"bind :{node.name}: no literal form for {type(value).__name__}")
        return node

    return ";\n".join(t.transform(literal).sql(dialect="snowflake") for t in sqlglot.parse(sql, read="snowflake") if t)


def _duckdb_rewrites(node):
    """Same results, DuckDB's faster way (measured at 1M records): LISTAGG(x, sep) WITHIN GROUP
    (ORDER BY x): DuckDB's ordered aggregate is ~6x slower than collecting a list and sorting it;
    NULLs are skipped either way."""
    from sqlglot import exp

    if isinstance(node, exp.GroupConcat) and isinstance(node.this, exp.Order):
        value, keys = node.this.this, node.this.expressions
        if len(keys) == 1 and not keys[0].args.get("desc") and keys[0].this == value:
            listed = exp.Anonymous(this="LIST_SORT", expressions=[exp.Anonymous(this="LIST", expressions=[value.copy()])])
            sep = node.args.get("separator") or exp.Literal.string("")
            return exp.Anonymous(this="ARRAY_TO_STRING", expressions=[listed, sep.copy()])
    return node


@lru_cache(maxsize=512)
def to_snowflake(sql: str) -> list[str]:
    """Split into statements; :name binds become the connector's %(name)s (pyformat)."""
    from sqlglot import exp

    def bind(node):
        if isinstance(node, exp.Placeholder) and node.name:
            return exp.Var(this=f"__recon_bind_{node.name}__")
        return node

    out = []
    for stmt in sqlglot.parse(sql, read="snowflake"):
        if stmt is not None:
            text = stmt.transform(bind).sql(dialect="snowflake")
            if "__recon_bind_" in text:
                # The connector interpolates `text % params` when params are bound: a literal % must be %%.
                text = re.sub(r"__recon_bind_(\w+?)__(?!\w)", r"%(\1)s", text.replace("%", "%%"))
            out.append(text)
    return out


def sql_file(name: str) -> str:
    path = SQL_DIR / name
    if not path.exists():
        raise FileNotFoundError(f"no SQL file {name} in {SQL_DIR}")
    return path.read_text()


_NAME_LINE = re.compile(r"^--\s*name:\s*(\S+)\s*$", re.MULTILINE)


@lru_cache(maxsize=64)
def named_statements(name: str) -> dict[str, str]:
    """A file of named statements -> {name: its SQL}. A statement runs from its `-- name: x` line to
    the next one; what comes before the first name is the file's header and must be comments."""
    text = sql_file(name)
    marks = list(_NAME_LINE.finditer(text))
    if not marks:
        raise ValueError(f"sql/{name} has no `-- name:` statements (a file run whole is run with run_file)")
    header = text[: marks[0].start()]
    if any(line.strip() and not line.strip().startswith("--") for line in header.splitlines()):
        raise ValueError(f"sql/{name}: SQL before the first `-- name:` line belongs to no statement")
    out: dict[str, str] = {}
    for mark, nxt in zip(marks, [*marks[1:], None], strict=True):
        key = check_identifier(mark.group(1))
        if key in out:
            raise ValueError(f"sql/{name}: statement {key} is named twice")
        body = text[mark.end() : nxt.start() if nxt else len(text)].strip()
        if not body:
            raise ValueError(f"sql/{name}: statement {key} is empty")
        out[key] = body
    return out


class SqlStatements:
    """The named statements of one sql/ file, as attributes: `SqlStatements("x.sql").some_name`.
    Read on first use; a name the file lacks raises naming the file."""

    def __init__(self, name: str):
        self.file = name

    def __getattr__(self, key: str) -> str:
        if key.startswith("__"):
            raise AttributeError(key)
        statements = named_statements(self.file)
        if key not in statements:
            raise AttributeError(f"sql/{self.file} has no statement named {key!r} (it has {', '.join(statements)})")
        return statements[key]

    def names(self) -> list[str]:
        return list(named_statements(self.file))


def expand_list_binds(sql: str, params: dict | None) -> tuple[str, dict | None]:
    """`:name` bound to a list or tuple -> `:name__0, :name__1, ...`, one bind per item (for IN
    lists). The names come from the code, never from data; an empty list is an error (IN () is not
    SQL)."""
    if not params or not any(isinstance(v, list | tuple) for v in params.values()):
        return sql, params
    out = {}
    for key, value in params.items():
        if not isinstance(value, list | tuple):
            out[key] = value
            continue
        if not value:
            raise ValueError(f"bind :{key} is an empty list")
        names = [f"{check_identifier(key)}__{i}" for i in range(len(value))]
        sql = re.sub(rf"(?<![:\w]):{key}\b", ", ".join(f":{n}" for n in names), sql)
        out.update(zip(names, value, strict=True))
    return sql, out


class Warehouse(Block):
    """Where canonical rows, matches and breaks live. `engine` picks DuckDB or Snowflake."""

    _block_type_name = "Recon Warehouse"
    engine: Literal["duckdb", "snowflake"] = "duckdb"
    duckdb_path: str | None = Field(
        default=None, description="DuckDB file; default RECON_HOME/warehouse.duckdb; ':memory:' allowed"
    )
    snowflake_block: str | None = Field(
        default=None, description="name of a saved SnowflakeConnector block (engine=snowflake)"
    )
    # Connection overrides for a local Snowflake stand-in (fakesnow server): host, port, protocol.
    snowflake_connect_kwargs: dict[str, Any] = Field(default_factory=dict)

    _conn: Any = PrivateAttr(default=None)
    _connector: Any = PrivateAttr(default=None)
    _lock: Any = PrivateAttr(default_factory=threading.RLock)
    _schema_checked: set = PrivateAttr(default_factory=set)

    # ---- connection -------------------------------------------------------------------------
    def connection(self):
        if self._conn is None:
            if self.engine == "duckdb":
                import duckdb

                path = self.duckdb_path or str(recon_home() / "warehouse.duckdb")
                if path != ":memory:":
                    Path(path).parent.mkdir(parents=True, exist_ok=True)
                self._conn = duckdb.connect(path)
                # Results that need an order say so (ORDER BY); without this setting DuckDB keeps
                # insertion order and writes most work tables on one thread.
                self._conn.execute("SET preserve_insertion_order = false")
            else:
                self._conn = self._snowflake_connection()
        return self._conn

    def use_snowflake_connector(self, connector) -> Warehouse:
        """Attach a prefect-snowflake SnowflakeConnector object (instead of a saved block name)."""
        self._connector = connector
        return self

    def _snowflake_connection(self):
        from prefect_snowflake import SnowflakeConnector

        connector = self._connector or SnowflakeConnector.load(self.snowflake_block)
        if self.snowflake_connect_kwargs:
            return connector.get_connection(**self.snowflake_connect_kwargs)
        return connector.get_connection()

    def exclusive(self):
        """Hold the connection for several statements (a transaction, a pass over shared work
        tables) so that concurrent tasks on this process's shared connection cannot interleave."""
        return self._lock

    @contextmanager
    def transaction(self):
        """BEGIN ... COMMIT around the block (ROLLBACK if it raises), holding the connection."""
        with self._lock:
            self.execute("BEGIN TRANSACTION")
            try:
                yield self
            except BaseException:
                self.execute("ROLLBACK")
                raise
            self.execute("COMMIT")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # ---- running SQL ------------------------------------------------------------------------
    def _statements(self, sql: str) -> list[str]:
        return to_duckdb(sql) if self.engine == "duckdb" else to_snowflake(sql)

    def execute(self, sql: str, params: dict | None = None) -> None:
        """Run Snowflake-dialect SQL (one or more statements); values bind by name (:name)."""
        sql, params = expand_list_binds(sql, params)
        with self._lock:
            conn = self.connection()
            for stmt in self._statements(sql):
                self._run(conn, stmt, params)

    def _run(self, conn, stmt: str, params: dict | None):
        used = {a or b: params[a or b] for a, b in _BIND.findall(stmt)} if params else None
        if self.engine == "duckdb":
            return conn.execute(stmt, used) if used else conn.execute(stmt)
        cur = conn.cursor()
        cur.execute(stmt, used or None)
        return cur

    def fetch_arrow(self, sql: str, params: dict | None = None) -> pa.Table:
        sql, params = expand_list_binds(sql, params)
        with self._lock:
            conn = self.connection()
            stmts = self._statements(sql)
            for stmt in stmts[:-1]:
                self._run(conn, stmt, params)
            if self.engine == "duckdb":
                last = stmts[-1]
                used = {a or b: params[a or b] for a, b in _BIND.findall(last)} if params else None
                return conn.sql(last, params=used).to_arrow_table() if used else conn.sql(last).to_arrow_table()
            res = self._run(conn, stmts[-1], params)
            cols = [d[0].lower() for d in res.description]
            rows = res.fetchall()
            return pa.table({c: [r[i] for r in rows] for i, c in enumerate(cols)})

    def fetch_rows(self, sql: str, params: dict | None = None) -> list[dict]:
        return self.fetch_arrow(sql, params).to_pylist()

    def scalar(self, sql: str, params: dict | None = None):
        rows = self.fetch_arrow(sql, params)
        return rows.column(0)[0].as_py() if rows.num_rows else None

    def run_file(self, name: str, params: dict | None = None) -> None:
        self.execute(sql_file(name), params)

    def ensure_schema(self, name: str) -> None:
        """Run a DDL file (CREATE TABLE IF NOT EXISTS ...) and check the tables it declares."""
        self.run_file(name)
        self.check_schema(name)

    def check_schema(self, name: str) -> None:
        """Every table the DDL file declares has every column it declares (once per connection).
        IF NOT EXISTS keeps a table an older version made: without this check its first use fails
        deep inside a task with a binder error about one column. On the embedded engine a missing
        AUTOINCREMENT column is added (the rows already there are numbered); adding one to a
        Snowflake table that has rows is not verified, so there it is reported like any other."""
        if name in self._schema_checked:
            return
        for table, columns in _declared_columns(sql_file(name)).items():
            rows = self.fetch_rows(
                "SELECT LOWER(column_name) AS c FROM information_schema.columns "
                "WHERE LOWER(table_name) = :t AND LOWER(table_schema) = LOWER(CURRENT_SCHEMA())", {"t": table}
            )
            missing = [c for c in columns if c not in {r["c"] for r in rows}]
            for column in [c for c in missing if self.engine == "duckdb" and "AUTOINCREMENT" in columns[c]]:
                self.execute(f"ALTER TABLE {table} ADD COLUMN {columns[column]}")
                missing.remove(column)
            if missing:
                raise SchemaMismatch(
                    f"table {table} in {self.describe()} has no column(s) {', '.join(missing)} "
                    f"(sql/{name} declares them): it was made by an older fix-recon. Re-create it: "
                    + ("delete the DuckDB file (re-ingest the inputs)" if self.engine == "duckdb"
                       else f"drop {table} (or ALTER TABLE {table} ADD COLUMN ...) and re-run")
                )
        self._schema_checked.add(name)

    def describe(self) -> str:
        if self.engine == "duckdb":
            return f"DuckDB {self.duckdb_path or recon_home() / 'warehouse.duckdb'}"
        return f"Snowflake ({self.snowflake_block or 'connector'})"

    # ---- loading ----------------------------------------------------------------------------
    def load_arrow(self, table: str, data: pa.Table, *, replace: bool = False) -> int:
        """Append (or replace) rows into a table that exists; columns matched by name."""
        check_identifier(table)
        cols = [check_identifier(c) for c in data.column_names]
        collist = ", ".join(cols)
        with self._lock:
            if replace:
                self.execute(f"DELETE FROM {table}")
            if data.num_rows == 0:
                return 0
            conn = self.connection()
            if self.engine == "duckdb":
                conn.register("_recon_load", data)
                try:
                    conn.execute(f"INSERT INTO {table} ({collist}) SELECT {collist} FROM _recon_load")
                finally:
                    conn.unregister("_recon_load")
            else:
                placeholders = ", ".join(["%s"] * len(cols))
                cur = conn.cursor()
                rows = [tuple(r.values()) for r in data.to_pylist()]
                for i in range(0, len(rows), 5000):
                    cur.executemany(f"INSERT INTO {table} ({collist}) VALUES ({placeholders})", rows[i : i + 5000])
        return data.num_rows


class SchemaMismatch(RuntimeError):
    """A table in the warehouse lacks columns this version's DDL declares."""


@lru_cache(maxsize=64)
def _declared_columns(sql: str) -> dict[str, dict[str, str]]:
    """CREATE TABLE statements in a DDL text -> {table: {column name: its definition}}, names in
    lower case, definitions in Snowflake SQL."""
    from sqlglot import exp

    out = {}
    for tree in sqlglot.parse(sql, read="snowflake"):
        if isinstance(tree, exp.Create) and tree.kind == "TABLE" and isinstance(tree.this, exp.Schema):
            out[tree.this.this.name.lower()] = {
                c.name.lower(): c.sql(dialect="snowflake", comments=False) for c in tree.this.expressions if isinstance(c, exp.ColumnDef)
            }
    return out


# A bind in transpiled text: $name (DuckDB) or %(name)s (Snowflake connector, pyformat).
_BIND = re.compile(r"\$([A-Za-z_]\w*)|%\(([A-Za-z_]\w*)\)s")


_DEFAULT: dict[str, Warehouse] = {}


def get_warehouse(ref: str | None = None) -> Warehouse:
    """The warehouse a task should use: a saved block's name, or None for the embedded default.

    Tasks take this small reference rather than a connection so that they run the same way under
    Prefect and as Step Functions tasks. One connection is kept per process and reference.
    """
    key = f"{ref or ''}@{recon_home()}"
    if key not in _DEFAULT:
        _DEFAULT[key] = Warehouse.load(ref) if ref else Warehouse()
    return _DEFAULT[key]


def set_default_warehouse(wh: Warehouse, ref: str | None = None) -> None:
    """Make `wh` what get_warehouse(ref) returns in this process (e.g. a Snowflake one in a test)."""
    _DEFAULT[f"{ref or ''}@{recon_home()}"] = wh


def reset_warehouses() -> None:
    """Close every cached connection (tests, and a CLI run that switches RECON_HOME)."""
    for wh in _DEFAULT.values():
        wh.close()
    _DEFAULT.clear()
