"""The store: the one package that knows which engine holds the data.

``open_store()`` opens the embedded DuckDB file (the default) or, with
``backend="spark"`` / ``TRADETRACE_BACKEND=spark``, a Parquet warehouse run by PySpark.
Both hand out the same Ibis tables, so every query in tradetrace is written once; the
tables themselves, their columns and the commands that write them are listed in
:mod:`.catalogue` (and ``docs/store.md``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tradetrace.errors import StoreError
from tradetrace.store.base import COMMITTED_VIEWS, TABLES, Insert, Store
from tradetrace.store.catalogue import CATALOGUE, Stored
from tradetrace.store.embedded import (
    DEFAULT_DB,
    DuckDBStore,
    copy_consistent,
    store_fingerprint,
    wal_path,
)

BACKENDS = ("duckdb", "spark")

__all__ = [
    "BACKENDS",
    "CATALOGUE",
    "COMMITTED_VIEWS",
    "DEFAULT_DB",
    "TABLES",
    "DuckDBStore",
    "Insert",
    "Store",
    "Stored",
    "copy_consistent",
    "default_backend",
    "default_db_path",
    "open_store",
    "store_fingerprint",
    "wal_path",
]


def default_backend() -> str:
    return os.environ.get("TRADETRACE_BACKEND") or "duckdb"


def default_db_path(backend: str | None = None) -> Path:
    if os.environ.get("TRADETRACE_DB"):
        return Path(os.environ["TRADETRACE_DB"])
    if (backend or default_backend()) == "spark":
        from tradetrace.store.spark import DEFAULT_WAREHOUSE

        return Path(DEFAULT_WAREHOUSE)
    return Path(DEFAULT_DB)


def connect(path: Path | str | None = None, read_only: bool = False,
            backend: str | None = None) -> Store:  # fmt: skip
    backend = backend or default_backend()
    if backend not in BACKENDS:
        raise StoreError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    path = path or default_db_path(backend)
    if backend == "spark":
        from tradetrace.store.spark import SparkStore  # PySpark loads only when asked for

        return SparkStore(str(path), read_only=read_only)
    return DuckDBStore(path, read_only=read_only)


@contextmanager
def open_store(path: Path | str | None = None, read_only: bool = False,
               backend: str | None = None) -> Iterator[Store]:  # fmt: skip
    store = connect(path, read_only, backend)
    try:
        yield store
    finally:
        store.close()
