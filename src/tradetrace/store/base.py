"""What every store does, whichever engine holds the data.

A store hands out Ibis tables and takes back Ibis expressions or Arrow data; callers
never see a connection, so every query in tradetrace is written once and runs on the
embedded DuckDB file (:mod:`.embedded`) or on Spark over Parquet (:mod:`.spark`).

Atomic loads use a commit log rather than one long transaction: rows are written to
``declaration_rows`` / ``quarantine_rows`` batch by batch and become visible in the
views ``declarations`` / ``quarantine`` only once their run is recorded in
``ingest_runs`` (one single-row insert: the commit point). A crash leaves invisible rows
that the next writer discards. Readers therefore see a file wholly or not at all, and
memory stays flat.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from tradetrace.errors import MissingStepError, StoreError
from tradetrace.model import INGEST_RUNS_SCHEMA, QUARANTINE_SCHEMA, declarations_schema
from tradetrace.store.catalogue import (
    CATALOGUE,
    DECLARATION_ROWS,
    DECLARATIONS,
    INGEST_RUNS,
    META,
    QUARANTINE,
    QUARANTINE_ROWS,
)
from tradetrace.version import __version__

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: view → table: the view shows the rows of committed ingest runs only.
COMMITTED_VIEWS = {DECLARATIONS: DECLARATION_ROWS, QUARANTINE: QUARANTINE_ROWS}
SCHEMA_VERSION = "2"
META_SCHEMA = ibis.schema({"key": "string", "value": "string"})

#: The tables every store has from the moment it is first opened for writing.
TABLES = {
    DECLARATION_ROWS: declarations_schema(),
    QUARANTINE_ROWS: QUARANTINE_SCHEMA,
    INGEST_RUNS: INGEST_RUNS_SCHEMA,
    META: META_SCHEMA,
}


@dataclass(frozen=True)
class Insert:
    """``INSERT INTO table SELECT …`` compiled once (see :meth:`Store.prepared_insert`)."""

    table: str
    columns: tuple[str, ...]
    select: str


class Store(ABC):
    """An open store. Use :func:`tradetrace.store.open_store` (a context manager) to get one."""

    backend = "abstract"
    #: The Spark session when the store runs on Spark (splink and UDFs run there too).
    spark: SparkSession | None = None
    con: ibis.BaseBackend
    path: object
    read_only: bool

    # -- schema ---------------------------------------------------------------------------------

    def _ensure_tables(self) -> None:
        for name, schema in TABLES.items():
            if not self.has_table(name):
                self.create_table(name, schema)
                continue
            missing = {c: t for c, t in schema.items() if c not in self.table(name).columns}
            if missing:  # a store made by an older tradetrace: its rows get nulls there
                if self.read_only:
                    raise StoreError(
                        f"{self.path}: made by an older tradetrace (no {', '.join(missing)} in "
                        f"{name}); open it once for writing to upgrade it"
                    )
                self.add_columns(name, ibis.schema(missing))
        runs = self.table(INGEST_RUNS)
        for view, rows in COMMITTED_VIEWS.items():
            table = self.table(rows)
            self.create_view(view, table.filter(table.ingest_id.isin(runs.ingest_id)))
        if self.meta("schema_version") is None:
            self.set_meta("schema_version", SCHEMA_VERSION)
        self.discard_uncommitted()

    def meta(self, key: str) -> str | None:
        if not self.has_table(META):
            return None
        meta = self.table(META)
        rows = self.to_arrow(meta.filter(meta.key == key).select("value"))
        return rows["value"][0].as_py() if rows.num_rows else None

    # -- reading --------------------------------------------------------------------------------

    def table(self, name: str) -> ir.Table:
        """A stored table or view; one missing says which command writes it (the catalogue's
        hint), so no reader needs a check of its own."""
        try:
            return self.con.table(name)
        except Exception as exc:  # ibis raises backend-specific types for a missing table
            raise self._missing(name) from exc

    def require(self, *names: str) -> None:
        """Raise :meth:`table`'s error for the first of ``names`` the store lacks: for code
        that reads them by SQL rather than through :meth:`table`."""
        for name in names:
            if not self.has_table(name):
                raise self._missing(name)

    def _missing(self, name: str) -> StoreError:
        if name in CATALOGUE and not self.has_table(name):
            return MissingStepError(CATALOGUE[name].hint)
        return MissingStepError(f"{self.path}: no table {name!r} (has the step run?)")

    def to_arrow(self, expr: ir.Expr) -> pa.Table:
        return self.con.to_pyarrow(expr)

    def count(self, name: str) -> int:
        return int(self.to_arrow(self.table(name).count()).as_py())

    @contextmanager
    def idle(self) -> Iterator[None]:
        """While the caller computes outside the engine (resolve's Python features and its
        own scoring engine), the store holds as little memory as it can. No-op by default."""
        yield

    @contextmanager
    def cached(self, expr: ir.Table) -> Iterator[ir.Table]:
        """``expr`` computed once for several queries, then dropped."""
        with expr.cache() as table:
            yield table

    def reference(self, name: str, build) -> ir.Table:
        """A reference table, built once per package version by ``build() -> pa.Table``."""
        key = f"ref:{name}"
        if not self.has_table(name) or self.meta(key) != __version__:
            if self.read_only:
                raise MissingStepError(f"{self.path}: reference table {name!r} missing")
            self.replace_table(name, build())
            self.set_meta(key, __version__)
        return self.table(name)

    def prepared(self, expr: ir.Table) -> str:
        """Compile an expression once, to run it on many staged batches."""
        return str(self.con.compile(expr))

    def prepared_insert(self, name: str, expr: ir.Table) -> Insert:
        """Compile ``INSERT INTO name SELECT …`` once; :meth:`run_prepared` runs it."""
        return Insert(name, tuple(expr.columns), self.prepared(expr))

    # -- what each engine provides -------------------------------------------------------------

    @abstractmethod
    def has_table(self, name: str) -> bool:
        """Whether a table or view of that name exists."""

    @abstractmethod
    def create_table(self, name: str, schema: ibis.Schema) -> None:
        """An empty table of that schema."""

    def add_columns(self, name: str, columns: ibis.Schema) -> None:
        """Add empty columns to a table (upgrading a store an older version made)."""
        raise StoreError(
            f"{self.path}: {name} lacks {', '.join(columns)}; this store was made by an older "
            "tradetrace: ingest the files into a new one"
        )

    @abstractmethod
    def create_view(self, name: str, expr: ir.Table) -> None:
        """A stored view of an Ibis expression (kept across sessions)."""

    @abstractmethod
    def set_meta(self, key: str, value: str) -> None:
        """Set one ``meta`` key."""

    @abstractmethod
    def discard_uncommitted(self, ingest_id: str | None = None) -> None:
        """Delete rows of runs that never committed (all of them, or one run's)."""

    @abstractmethod
    def query(self, sql: str) -> pa.Table:
        """Run one user-written SELECT; anything that could write is refused."""

    @abstractmethod
    def atomic(self):
        """Several small writes that readers must see together, where the engine can."""

    @abstractmethod
    def delete_where(self, name: str, equal: dict[str, object]) -> None:
        """Delete the rows whose columns equal the given values."""

    @abstractmethod
    def delete_in(self, name: str, column: str, values: ir.Table) -> None:
        """Delete the rows whose ``column`` is one of ``values``' (a one-column table):
        how a few entities' rows of a large table are replaced without rewriting it."""

    @abstractmethod
    def insert(self, name: str, data: ir.Table | pa.Table) -> None:
        """Append rows to a table."""

    @abstractmethod
    def replace_table(self, name: str, data: pa.Table | ir.Table) -> None:
        """Create or replace a table with these rows (an expression may read the table itself)."""

    @abstractmethod
    def stage(self, name: str, batch: pa.RecordBatch | pa.Table) -> ir.Table:
        """Expose an Arrow batch to the engine under ``name`` for this session."""

    @abstractmethod
    def stage_copy(self, name: str, batch: pa.RecordBatch | pa.Table) -> ir.Table:
        """Copy an Arrow batch into a session table the engine knows the size of."""

    @abstractmethod
    def run_prepared(self, insert: Insert) -> int:
        """Run a prepared insert; the number of rows it wrote."""

    @abstractmethod
    def run_prepared_into(self, name: str, sql: str) -> ir.Table:
        """Materialise a prepared SELECT as the session table ``name``."""

    @abstractmethod
    def map_batches(self, expr: ir.Table, fn, schema: pa.Schema) -> ir.Table:
        """``fn(pa.RecordBatch) -> pa.RecordBatch`` (of ``schema``) over every batch of ``expr``.

        Runs where the data lives: in process on DuckDB, on Python workers on Spark.
        """

    @abstractmethod
    def close(self) -> None:
        """Release the connection."""
