"""The store: the one module that knows which backend holds the data.

Callers get Ibis tables and hand back Ibis expressions or Arrow data; they never
see a connection. The embedded default is a DuckDB file (``--db``,
``TRADETRACE_DB``, default ``./tradetrace.duckdb``).

Atomic loads use a commit log rather than one long transaction: rows are written
to ``declaration_rows`` / ``quarantine_rows`` batch by batch, and become visible
in the views ``declarations`` / ``quarantine`` only once their run is recorded in
``ingest_runs`` (one single-row insert: the commit point). A crash leaves
invisible rows that the next writer discards. Readers therefore always see a
file either wholly or not at all, and memory stays flat (a DuckDB transaction
keeps every batch it scanned alive until it commits).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import ibis
import ibis.expr.types as ir
import pyarrow as pa

from tradetrace import __version__
from tradetrace.errors import StoreError
from tradetrace.model import INGEST_RUNS_SCHEMA, QUARANTINE_SCHEMA, declarations_schema

DEFAULT_DB = "tradetrace.duckdb"
#: view → table: the view shows the rows of committed ingest runs only.
COMMITTED_VIEWS = {"declarations": "declaration_rows", "quarantine": "quarantine_rows"}
#: The engine spills to disk beyond this, so memory stays flat however large the input.
DEFAULT_MEMORY_LIMIT = "1GB"
SCHEMA_VERSION = "1"
#: Seconds a command waits for another process's lock on the store file.
DEFAULT_LOCK_TIMEOUT = 30.0

TABLES = {
    "declaration_rows": declarations_schema(),
    "quarantine_rows": QUARANTINE_SCHEMA,
    "ingest_runs": INGEST_RUNS_SCHEMA,
    "meta": ibis.schema({"key": "string", "value": "string"}),
}


def default_db_path() -> Path:
    return Path(os.environ.get("TRADETRACE_DB") or DEFAULT_DB)


class Store:
    """An open store. Use :func:`open_store` (a context manager) to get one."""

    def __init__(self, path: Path | str, read_only: bool = False):
        self.path = Path(path)
        self.read_only = read_only
        if read_only and not self.path.exists():
            raise StoreError(f"{self.path}: no store here yet; run `tradetrace ingest` first")
        self.con = _connect(self.path, read_only)
        limit = os.environ.get("TRADETRACE_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT)
        self._raw("SET memory_limit = ?", [limit])
        # Batches commit one by one; checkpointing after each would rewrite the file.
        self._raw("SET checkpoint_threshold = '1GB'")
        if not read_only:
            self._ensure_tables()

    # -- schema ---------------------------------------------------------------------------------

    def _ensure_tables(self) -> None:
        existing = set(self.con.list_tables())
        for name, schema in TABLES.items():
            if name not in existing:
                self.con.create_table(name, schema=schema)
        runs = self.table("ingest_runs")
        for view, rows in COMMITTED_VIEWS.items():
            table = self.table(rows)
            self.create_view(view, table.filter(table.ingest_id.isin(runs.ingest_id)))
        if self.meta("schema_version") is None:
            self.set_meta("schema_version", SCHEMA_VERSION)
        self.discard_uncommitted()

    def discard_uncommitted(self, ingest_id: str | None = None) -> None:
        """Delete rows of runs that never committed (all of them, or one run's)."""
        for rows in COMMITTED_VIEWS.values():
            if ingest_id is None:
                self._raw(
                    f'DELETE FROM "{rows}" '
                    "WHERE ingest_id NOT IN (SELECT ingest_id FROM ingest_runs)"
                )
            else:
                self._raw(f'DELETE FROM "{rows}" WHERE ingest_id = ?', [ingest_id])

    def meta(self, key: str) -> str | None:
        if "meta" not in self.con.list_tables():
            return None
        rows = self._raw("SELECT value FROM meta WHERE key = ?", [key]).fetchall()
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        self._raw("DELETE FROM meta WHERE key = ?", [key])
        self._raw("INSERT INTO meta VALUES (?, ?)", [key, value])

    # -- reading --------------------------------------------------------------------------------

    def table(self, name: str) -> ir.Table:
        try:
            return self.con.table(name)
        except Exception as exc:  # ibis raises backend-specific types for a missing table
            raise StoreError(f"{self.path}: no table {name!r} (has the step run?)") from exc

    def has_table(self, name: str) -> bool:
        return name in self.con.list_tables()

    def to_arrow(self, expr: ir.Expr) -> pa.Table:
        return self.con.to_pyarrow(expr)

    def count(self, name: str) -> int:
        return int(self.table(name).count().to_pyarrow().as_py())

    def query(self, sql: str) -> pa.Table:
        """Run one user-written SELECT; anything that could write or escape is refused."""
        try:
            statements = self.con.con.extract_statements(sql)
        except duckdb.Error as exc:
            raise StoreError(f"sql: {' '.join(str(exc).split())}") from exc
        kinds = [s.type for s in statements]
        if kinds != [duckdb.StatementType.SELECT]:
            raise StoreError("sql: the store is read-only here; give exactly one SELECT statement")
        try:
            return self.con.con.execute(sql).to_arrow_table()
        except duckdb.Error as exc:
            raise StoreError(f"sql: {' '.join(str(exc).split())}") from exc

    # -- writing --------------------------------------------------------------------------------

    def _raw(self, sql: str, params: list | None = None):
        return self.con.con.execute(sql, params or [])

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Several small writes that readers must see together (or not at all)."""
        self._raw("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self._raw("ROLLBACK")
            raise
        self._raw("COMMIT")

    def delete_where(self, name: str, equal: dict[str, object]) -> None:
        """Delete the rows whose columns equal the given values (parameterised)."""
        condition = " AND ".join(f'"{column}" = ?' for column in equal)
        self._raw(f'DELETE FROM "{name}" WHERE {condition}', list(equal.values()))

    def create_view(self, name: str, expr: ir.Table) -> None:
        """A stored view of an Ibis expression.

        Compiled with unqualified table names (``ibis``'s own ``create_view`` prefixes the
        file's catalog name, which breaks when the file is copied, e.g. the API's snapshot).
        """
        self._raw(f'CREATE OR REPLACE VIEW "{name}" AS {self.con.compile(expr)}')

    def insert(self, name: str, data: ir.Table | pa.Table) -> None:
        self.con.insert(name, data)

    def replace_table(self, name: str, data: pa.Table | ir.Table) -> None:
        self.con.create_table(name, data, overwrite=True)

    def stage(self, name: str, batch: pa.RecordBatch | pa.Table) -> ir.Table:
        """Expose an Arrow batch to the engine under ``name`` (no copy on DuckDB)."""
        self.con.con.register(name, batch)
        return self.con.table(name)

    def stage_copy(self, name: str, batch: pa.RecordBatch | pa.Table) -> ir.Table:
        """Copy an Arrow batch into a temporary table: the engine then knows its size."""
        self.con.con.register("_arrow", batch)
        try:
            self._raw(f'CREATE OR REPLACE TEMP TABLE "{name}" AS SELECT * FROM _arrow')
        finally:
            self.con.con.unregister("_arrow")
        return self.con.table(name)

    def prepared(self, expr: ir.Table) -> str:
        """Compile an expression once, to run it on many staged batches."""
        return str(self.con.compile(expr))

    def prepared_insert(self, name: str, expr: ir.Table) -> str:
        """Compile ``INSERT INTO name SELECT …`` once; :meth:`run_prepared` runs it."""
        columns = ", ".join(f'"{c}"' for c in expr.columns)
        return f'INSERT INTO "{name}" ({columns}) {self.prepared(expr)}'

    def run_prepared(self, sql: str) -> int:
        """Run a prepared statement; the number of rows it changed."""
        [(count,)] = self._raw(sql).fetchall()
        return int(count)

    def run_prepared_into(self, name: str, sql: str) -> ir.Table:
        self._raw(f'CREATE OR REPLACE TEMP TABLE "{name}" AS {sql}')
        return self.con.table(name)

    @contextmanager
    def cached(self, expr: ir.Table) -> Iterator[ir.Table]:
        """``expr`` computed once into a temporary table for several queries, then dropped."""
        with expr.cache() as table:
            yield table

    def reference(self, name: str, build) -> ir.Table:
        """A reference table, built once per package version by ``build() -> pa.Table``."""
        key = f"ref:{name}"
        if not self.has_table(name) or self.meta(key) != __version__:
            if self.read_only:
                raise StoreError(f"{self.path}: reference table {name!r} missing")
            self.replace_table(name, build())
            self.set_meta(key, __version__)
        return self.table(name)

    def close(self) -> None:
        self.con.disconnect()


def _lock_timeout() -> float:
    return float(os.environ.get("TRADETRACE_LOCK_TIMEOUT", DEFAULT_LOCK_TIMEOUT))


def _connect(path: Path, read_only: bool):
    """Open the DuckDB file, waiting while another process holds a conflicting lock.

    DuckDB allows one writing process or several reading ones. Writers (ingest, resolve,
    screen) are short-lived, so waiting a while beats failing; the API never holds the
    file itself (it serves a snapshot copy, see :func:`copy_consistent`).
    """
    deadline = time.monotonic() + _lock_timeout()
    delay = 0.05
    while True:
        try:
            return ibis.duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise StoreError(f"{path}: cannot open the store ({exc})") from exc
            if time.monotonic() >= deadline:
                raise StoreError(
                    f"{path}: busy: another tradetrace process is using it "
                    f"(waited {_lock_timeout():.0f} s; TRADETRACE_LOCK_TIMEOUT sets the wait)"
                ) from exc
        except duckdb.Error as exc:
            raise StoreError(f"{path}: cannot open the store ({exc})") from exc
        time.sleep(delay)
        delay = min(delay * 2, 1.0)


def wal_path(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def store_fingerprint(path: Path) -> tuple[int, ...]:
    """Changes whenever a writer commits: size and mtime of the file and its WAL."""
    parts: list[int] = []
    for file in (path, wal_path(path)):
        try:
            stat = file.stat()
            parts += [stat.st_size, stat.st_mtime_ns]
        except FileNotFoundError:
            parts += [0, 0]
    return tuple(parts)


def copy_consistent(path: Path, dest: Path) -> tuple[int, ...] | None:
    """Copy the store (file and WAL) as of its last commit; None if a writer is at work.

    Holding a read-only connection while copying keeps writers out, so the copy is a
    committed state: a reader of the copy sees a whole ingest or none of it.
    """
    try:
        reader = duckdb.connect(str(path), read_only=True)
    except duckdb.IOException:
        return None
    try:
        fingerprint = store_fingerprint(path)
        tmp = dest.with_name(dest.name + ".part")
        shutil.copyfile(path, tmp)
        if wal_path(path).exists():
            shutil.copyfile(wal_path(path), wal_path(dest))
        else:
            wal_path(dest).unlink(missing_ok=True)
        tmp.replace(dest)
        return fingerprint
    finally:
        reader.close()


@contextmanager
def open_store(path: Path | str | None = None, read_only: bool = False) -> Iterator[Store]:
    store = Store(path or default_db_path(), read_only=read_only)
    try:
        yield store
    finally:
        store.close()
