"""The Spark store: tables as Parquet directories under one warehouse path, run by PySpark.

Chosen with ``--backend spark`` or ``TRADETRACE_BACKEND=spark``; ``--db`` /
``TRADETRACE_DB`` then names the warehouse: a local directory or any Hadoop-compatible
path (``hdfs://…``, ``s3a://…``). The layout is plain Parquet, readable by any tool::

    <warehouse>/_catalog.json                 table schemas and view definitions
    <warehouse>/declaration_rows/ingest_id=<sha256>/part-*.parquet
    <warehouse>/quarantine_rows/ingest_id=<sha256>/part-*.parquet
    <warehouse>/<table>/part-*.parquet        every other table

Every query is the same Ibis expression the DuckDB store runs; views are stored as
their compiled Spark SQL and registered as session views when the store opens.

Guarantees differ from DuckDB's in one way: there are no multi-table transactions, so
:meth:`SparkStore.atomic` only groups writes. Ingest keeps its commit log (a file's rows
live in their own ``ingest_id=`` partition and become visible when its ``ingest_runs``
row is written; the partitions of runs that never committed are deleted by the next
writer), and a replaced table is written beside the old one and swapped in by a rename.
One writer at a time: Parquet directories have no lock.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import sqlglot
from sqlglot import exp

from tradetrace.errors import StoreError
from tradetrace.store.base import COMMITTED_VIEWS, Insert, Store
from tradetrace.store.catalogue import INGEST_RUNS, META

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

CATALOG = "_catalog.json"
#: Tables written one partition per ingest run, so an uncommitted run is one directory.
PARTITIONED = {rows: "ingest_id" for rows in COMMITTED_VIEWS.values()}
DEFAULT_WAREHOUSE = "tradetrace-warehouse"
#: Spark's own logging: errors only (its warnings are about the JVM, not the user's data).
LOG4J = Path(__file__).with_name("log4j2.properties")


def spark_session() -> SparkSession:
    """The process's Spark session, configured for tradetrace unless already running.

    Under ``spark-submit`` (or any launcher that sets ``spark.master``) the cluster's
    settings win; otherwise Spark runs in local mode on every core
    (``TRADETRACE_SPARK_MASTER`` overrides, e.g. ``local[2]`` or ``spark://host:7077``).
    """
    warnings.filterwarnings("ignore", message=".*pandas >= 3.0.0.*", category=FutureWarning)
    from pyspark import SparkConf
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    conf = SparkConf()
    builder = SparkSession.builder.appName("tradetrace")
    if not conf.contains("spark.master"):
        master = os.environ.get("TRADETRACE_SPARK_MASTER", "local[*]")
        builder = builder.master(master)
        if master.startswith("local"):  # Python workers: this interpreter, with tradetrace
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    defaults = {
        "spark.jars": similarity_jar_location(),  # splink's string-similarity functions
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.shuffle.partitions": os.environ.get("TRADETRACE_SPARK_PARTITIONS", "8"),
        "spark.driver.memory": os.environ.get("TRADETRACE_SPARK_DRIVER_MEMORY", "2g"),
        "spark.ui.enabled": "false",
        "spark.sql.ansi.enabled": "false",  # null on a bad cast, as in DuckDB's TRY_CAST
    }
    if os.environ.get("TRADETRACE_SPARK_QUIET", "1") == "1":
        defaults["spark.ui.showConsoleProgress"] = "false"
        # read by spark-submit when it starts the driver's JVM (a conf would come too late)
        os.environ.setdefault("SPARK_SUBMIT_OPTS", f"-Dlog4j2.configurationFile={LOG4J}")
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    for key, value in defaults.items():
        if not conf.contains(key):
            builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel(os.environ.get("TRADETRACE_SPARK_LOG_LEVEL", "ERROR"))
    return session


class Warehouse:
    """Files under the warehouse path, through Hadoop's FileSystem (local, HDFS, S3, …)."""

    def __init__(self, spark, root: str):
        self.jvm = spark.sparkContext._jvm
        self.root = root.rstrip("/")
        path = self.jvm.org.apache.hadoop.fs.Path(self.root)
        self.fs = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())

    def path(self, *parts: str) -> str:
        return "/".join([self.root, *parts])

    def _p(self, *parts: str):
        return self.jvm.org.apache.hadoop.fs.Path(self.path(*parts))

    def exists(self, *parts: str) -> bool:
        return bool(self.fs.exists(self._p(*parts)))

    def mkdirs(self, *parts: str) -> None:
        self.fs.mkdirs(self._p(*parts))

    def delete(self, *parts: str) -> None:
        self.fs.delete(self._p(*parts), True)

    def rename(self, source: str, dest: str) -> None:
        if not self.fs.rename(self._p(source), self._p(dest)):
            raise StoreError(f"{self.path(source)}: cannot rename to {self.path(dest)}")

    def subdirectories(self, *parts: str) -> list[str]:
        if not self.exists(*parts):
            return []
        listing = self.fs.listStatus(self._p(*parts))
        return [s.getPath().getName() for s in listing if s.isDirectory()]

    def read_text(self, *parts: str) -> str | None:
        if not self.exists(*parts):
            return None
        stream = self.fs.open(self._p(*parts))
        try:
            reader = self.jvm.java.io.BufferedReader(
                self.jvm.java.io.InputStreamReader(stream, "UTF-8")
            )
            return "\n".join(iter(reader.readLine, None))
        finally:
            stream.close()

    def write_text(self, text: str, *parts: str) -> None:
        """Write beside, then rename over: a reader never sees half a file."""
        tmp = self._p(*parts[:-1], f".{parts[-1]}.tmp")
        stream = self.fs.create(tmp, True)
        try:
            stream.write(bytearray(text.encode("utf-8")))
        finally:
            stream.close()
        self.fs.delete(self._p(*parts), False)
        if not self.fs.rename(tmp, self._p(*parts)):
            raise StoreError(f"{self.path(*parts)}: cannot write")


class SparkStore(Store):
    """Parquet tables in a warehouse directory, queried through Ibis on PySpark."""

    backend = "spark"
    spark: SparkSession  # always a session here (the base class's is None for DuckDB)

    def __init__(self, path: str, read_only: bool = False):
        self.path = str(path)
        self.read_only = read_only
        # A session of its own: its views are this store's, whatever else the process opened.
        self.spark = spark_session().newSession()
        self.con = ibis.pyspark.connect(self.spark)
        self.files = Warehouse(self.spark, self.path)
        self._kept: dict = {}
        context = self.spark.sparkContext
        if not context.getCheckpointDir():  # splink breaks long query lineages there
            context.setCheckpointDir(self.files.path("_checkpoints"))
        text = self.files.read_text(CATALOG)
        if text is None and read_only:
            raise StoreError(f"{self.path}: no store here yet; run `tradetrace ingest` first")
        try:
            self.catalog = json.loads(text) if text else {"tables": {}, "views": {}}
        except ValueError as exc:
            raise StoreError(f"{self.files.path(CATALOG)}: damaged catalog ({exc})") from exc
        for name in self.catalog["tables"]:
            self._register(name)
        self._register_views()
        if not read_only:
            self._ensure_tables()

    # -- catalog ----------------------------------------------------------------------------

    def _save_catalog(self) -> None:
        self.files.write_text(json.dumps(self.catalog, indent=1), CATALOG)

    def _schema(self, name: str):
        from pyspark.sql.types import StructType

        return StructType.fromJson(self.catalog["tables"][name])

    def _register(self, name: str) -> None:
        """(Re-)register a table's session view: Spark lists a directory's files when it
        reads it, so every write re-registers."""
        schema = self._schema(name)
        reader = self.spark.read.schema(schema)
        if name in PARTITIONED:
            reader = reader.option("basePath", self.files.path(name))
        frame = reader.parquet(self.files.path(name)).select(*schema.fieldNames())
        frame.createOrReplaceTempView(name)

    def _register_views(self) -> None:
        """Views in an order where each finds what it reads (a view reads others by name)."""
        views = self.catalog["views"]
        reads = {
            name: {t.name for t in sqlglot.parse_one(sql, read="spark").find_all(exp.Table)}
            for name, sql in views.items()
        }
        done: set[str] = set()
        while len(done) < len(views):
            ready = [n for n in views if n not in done and not (reads[n] & set(views)) - done]
            if not ready:
                raise StoreError(f"{self.path}: views read each other in a cycle")
            for name in ready:
                self.spark.sql(f"CREATE OR REPLACE TEMP VIEW `{name}` AS {views[name]}")
                done.add(name)

    # -- reading ----------------------------------------------------------------------------

    def has_table(self, name: str) -> bool:
        return name in self.catalog["tables"] or name in self.catalog["views"]

    def prepared(self, expr: ir.Expr) -> str:
        self.con._run_pre_execute_hooks(expr)  # in-memory tables and UDFs, as Ibis would
        return str(self.con.compile(expr))

    def to_arrow(self, expr: ir.Expr) -> pa.Table:
        """Through Spark's own Arrow export (Ibis's goes through pandas, losing nesting)."""
        from ibis.formats.pyarrow import PyArrowData

        table = expr.as_table()
        arrow = self.spark.sql(self.prepared(table)).toArrow()
        return expr.__pyarrow_result__(PyArrowData.convert_table(arrow, table.schema()))

    def query(self, sql: str) -> pa.Table:
        """One user-written SELECT (checked by parsing, as Spark SQL) over the store."""
        try:
            statements = sqlglot.parse(sql, read="spark")
        except sqlglot.errors.ParseError as exc:
            raise StoreError(f"sql: {' '.join(str(exc).split())}") from exc
        statements = [s for s in statements if s is not None]
        if len(statements) != 1 or not isinstance(statements[0], exp.Query):
            raise StoreError("sql: the store is read-only here; give exactly one SELECT statement")
        try:
            return self.spark.sql(sql).toArrow()
        except Exception as exc:  # Spark's AnalysisException and friends
            raise StoreError(f"sql: {' '.join(str(exc).split()[:40])}") from exc

    # -- writing ----------------------------------------------------------------------------

    def _frame(self, data: ir.Table | pa.Table | pa.RecordBatch, name: str | None = None):
        """A Spark DataFrame of the data, cast to the table's stored schema if it has one."""
        if isinstance(data, ir.Table):
            frame = self.spark.sql(self.prepared(data))
        else:
            table = pa.Table.from_batches([data]) if isinstance(data, pa.RecordBatch) else data
            frame = self.spark.createDataFrame(table)
        if name is not None and name in self.catalog["tables"]:
            frame = self._cast(frame, name)
        return frame

    def _cast(self, frame, name: str):
        """Columns in the stored order and types (Parquet appends must agree)."""
        schema = self._schema(name)
        return frame.select(*[frame[f.name].cast(f.dataType) for f in schema.fields])

    def _write(self, name: str, frame, mode: str) -> None:
        writer = frame.write.mode(mode)
        if name in PARTITIONED:
            writer = writer.partitionBy(PARTITIONED[name])
        writer.parquet(self.files.path(name))

    def create_table(self, name: str, schema: ibis.Schema) -> None:
        empty = pa.Table.from_pylist([], schema=schema.to_pyarrow())
        if name not in PARTITIONED:
            self.replace_table(name, empty)
            return
        self.files.mkdirs(name)  # partitions arrive with the runs
        self.catalog["tables"][name] = json.loads(self._frame(empty).schema.json())
        self._save_catalog()
        self._register(name)

    def create_view(self, name: str, expr: ir.Table) -> None:
        sql = self.prepared(expr)
        self.spark.sql(f"CREATE OR REPLACE TEMP VIEW `{name}` AS {sql}")
        self.catalog["views"].pop(name, None)
        self.catalog["views"][name] = sql
        self._save_catalog()

    def insert(self, name: str, data: ir.Table | pa.Table) -> None:
        if name not in self.catalog["tables"]:
            self.replace_table(name, data)
            return
        self._write(name, self._frame(data, name), "append")
        self._register(name)

    def replace_table(self, name: str, data: pa.Table | ir.Table) -> None:
        """Written beside the old table, then swapped in (an expression may read the old one)."""
        frame = self._frame(data)
        fresh = f".{name}.new"
        self.files.delete(fresh)
        self._write(fresh, frame, "overwrite")
        self.files.delete(name)
        self.files.rename(fresh, name)
        schema = frame.schema
        self.catalog["tables"][name] = json.loads(schema.json())
        self.catalog["views"].pop(name, None)
        self._save_catalog()
        self._register(name)

    def set_meta(self, key: str, value: str) -> None:
        meta = self.table(META)
        kept = self.to_arrow(meta.filter(meta.key != key))
        row = pa.table({"key": [key], "value": [value]}, schema=kept.schema)
        self.replace_table(META, pa.concat_tables([kept, row]))

    def discard_uncommitted(self, ingest_id: str | None = None) -> None:
        """Delete the partitions of runs that never committed (or one run's)."""
        runs = self.to_arrow(self.table(INGEST_RUNS).select("ingest_id"))
        committed = set(runs["ingest_id"].to_pylist())
        for name in PARTITIONED:
            changed = False
            for folder in self.files.subdirectories(name):
                run = folder.partition("=")[2]
                if (ingest_id is None and run not in committed) or run == ingest_id:
                    self.files.delete(name, folder)
                    changed = True
            if changed:
                self._register(name)

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Spark has no multi-table transactions: the writes happen one after the other."""
        yield

    def delete_where(self, name: str, equal: dict[str, object]) -> None:
        from pyspark.sql import functions as F

        frame = self.spark.table(name)
        condition = F.lit(True)
        for column, value in equal.items():
            condition = condition & (frame[column] == F.lit(value))
        kept = frame.filter(~F.coalesce(condition, F.lit(False)))
        staged = f"_kept_{name}"
        kept.localCheckpoint().createOrReplaceTempView(staged)
        self.replace_table(name, self.con.table(staged))

    def delete_in(self, name: str, column: str, values: ir.Table) -> None:
        """Parquet files cannot delete rows: the table is written again without them."""
        (only,) = values.columns
        kept = self.table(name).anti_join(values, self.table(name)[column] == values[only])
        frame = self.spark.sql(self.prepared(kept))
        staged = f"_kept_{name}"
        frame.localCheckpoint().createOrReplaceTempView(staged)
        self.replace_table(name, self.con.table(staged))

    def stage(self, name: str, batch: pa.RecordBatch | pa.Table) -> ir.Table:
        self._frame(batch).createOrReplaceTempView(name)
        return self.con.table(name)

    def stage_copy(self, name: str, batch: pa.RecordBatch | pa.Table) -> ir.Table:
        """Converted from Arrow once into Spark's memory (every step reads it again)."""
        self._keep(name, self._frame(batch)).createOrReplaceTempView(name)
        return self.con.table(name)

    def run_prepared(self, insert: Insert) -> int:
        frame = self._keep("_insert", self.spark.sql(insert.select).select(*insert.columns))
        count = frame.count()
        if count:
            self._write(insert.table, self._cast(frame, insert.table), "append")
            self._register(insert.table)
        return count

    def run_prepared_into(self, name: str, sql: str) -> ir.Table:
        self._keep(name, self.spark.sql(sql)).createOrReplaceTempView(name)
        return self.con.table(name)

    def _keep(self, name: str, frame):
        """Cache a session table (computed once, when first used); drop its previous one."""
        previous = self._kept.pop(name, None)
        if previous is not None:
            previous.unpersist()
        self._kept[name] = frame = frame.cache()
        return frame

    def map_batches(self, expr: ir.Table, fn, schema: pa.Schema) -> ir.Table:
        from pyspark.sql.pandas.types import from_arrow_schema

        def apply(batches):
            for batch in batches:
                yield fn(batch)

        frame = self.spark.sql(self.prepared(expr)).mapInArrow(apply, from_arrow_schema(schema))
        frame.localCheckpoint().createOrReplaceTempView("_mapped")
        return self.con.table("_mapped")

    def close(self) -> None:
        """The session's views go with it; the process's Spark context stays for the next."""
        self.spark.catalog.clearCache()
