"""The list index of a store, built once per version of its lists and saved beside it.

Building a :class:`~tradetrace.screen.match.ListIndex` analyses every list name (tens of
thousands of names, seconds of CPU), and ``screen-name`` used to do it on every call.
Now the index is saved in ``<store file>.screen-index`` (``tradetrace.duckdb`` →
``tradetrace.duckdb.screen-index``) and loaded in a fraction of a second:

* **Key.** The file is used only when its key equals the key of the store now: a hash
  of the *content* of ``current_list_entries`` (row count and the sum of DuckDB's row
  hashes, so loading a list, even the same file again, changes it), the build settings
  (:class:`MatchConfig` less ``threshold``), ``FORMAT``, and the code that builds the
  index (the source of ``match``, ``resolve.names``, ``resolve.identifiers`` and this
  module, the data files beside them such as ``legal_forms.yaml``, the tradetrace
  version and the versions of the libraries that normalise names). A stale index is
  never served: anything else is rebuilt and saved again.
* **Threshold.** Not part of the key: the threshold only filters at match time, so one
  saved index serves every threshold (:func:`with_config`).
* **Format.** No pickle: a JSON header, then Arrow IPC streams of plain columns (ints,
  strings), checked by a CRC-32. Loading executes no code from the file, and a file
  that is truncated, corrupt or from another version is ignored and rebuilt. It is
  written to a temporary file and renamed, so readers see the old file or the new one.
* **Lazy.** Loading makes no per-name Python objects: words map to names through sorted
  keys and offsets, and names, their analysed forms and list entries are made on first
  use (all at once after many uses, e.g. by ``screen``), so one query touches only its
  candidates.

``screen-name`` reads the key with a bare read-only DuckDB connection, or from a stamp
tied to the store file's fingerprint when the file has not changed since
(:func:`index_for_file`), so a cached answer needs neither Ibis nor a full store open;
``lists load`` saves the index right after loading, so the first ``screen-name`` is
already fast. The API keeps the index in memory per list version (:func:`index_for_store`
remembers the last two), so a new snapshot whose lists did not change costs one hash
query. Stores that are not DuckDB files (Spark, ``:memory:``) build the index as before.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import hashlib
import json
import logging
import mmap
import os
import secrets
import sys
import threading
import time
import zlib
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import lru_cache
from itertools import chain
from pathlib import Path
from types import NoneType
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from tradetrace.resolve.names import NameForms
from tradetrace.screen.match import ListIndex, MatchConfig, _Name

if TYPE_CHECKING:
    from tradetrace.store import Store

__all__ = [
    "FORMAT",
    "STATS",
    "cache_path",
    "forget",
    "index_for_file",
    "index_for_store",
    "load_index",
    "lists_version",
    "prepare_index",
    "save_index",
    "with_config",
]

log = logging.getLogger("tradetrace.screen")

#: Bump when the file layout or the way attributes are encoded changes.
FORMAT = 1
MAGIC = b"TTSIDX1\n"
SUFFIX = ".screen-index"
#: Seconds since its last change after which a store file's fingerprint may be stamped.
SETTLED = 2.0
#: Row count and content hash of what the index is built from (DuckDB's ``hash`` of each row).
LISTS_SQL = (
    "SELECT count(*) AS n, CAST(sum(CAST(hash(c) AS HUGEINT)) AS VARCHAR) AS h "
    "FROM current_list_entries AS c"
)
#: Query schemas whose penalties are computed before saving (others: on first use).
SCHEMAS = ("Company", "Person", "Vessel")
#: A lazy sequence makes items one by one up to this many, then all at once.
MANY = 2048
#: Sources whose change (or a change in a ``data`` folder beside one) changes how names
#: are analysed or indexed.
_SOURCES = ("tradetrace.screen.match", "tradetrace.resolve.names",
            "tradetrace.resolve.identifiers", __name__)  # fmt: skip
_LIBRARIES = ("anyascii", "rigour", "normality", "rapidfuzz", "python-stdnum", "pyarrow",
              "numpy", "duckdb")  # fmt: skip

#: Counts of what happened ("built", "loaded", "memory", "saved", "rejected"): for tests
#: and the benchmark.
STATS: Counter[str] = Counter()

_memory: OrderedDict[str, ListIndex] = OrderedDict()
_memory_lock = threading.Lock()


class Unsupported(Exception):
    """The index has a shape this module cannot save (its code changed): not cached."""


# -- where and under which key --------------------------------------------------------------------


def cache_path(db: Path | str) -> Path:
    """The index file of a DuckDB store file."""
    db = Path(db)
    return db.with_name(db.name + SUFFIX)


def _store_file(store: Store) -> Path | None:
    """The store's DuckDB file, or None when it has none (Spark, in memory)."""
    if getattr(store, "backend", None) != "duckdb":
        return None
    path = Path(str(store.path))
    return path if str(path) != ":memory:" and path.is_file() else None


@lru_cache(maxsize=1)
def code_version() -> str:
    """A hash of the code and libraries that decide what an index holds."""
    from importlib import metadata

    from tradetrace.version import __version__

    digest = hashlib.sha256(f"{FORMAT}|{__version__}|{sys.version}".encode())
    files: list[Path] = []
    for name in _SOURCES:  # each module, and the data files of its package
        source = getattr(sys.modules.get(name), "__file__", None)
        if source:
            files.append(Path(source))
            data = Path(source).parent / "data"
            files += sorted(p for p in data.rglob("*") if p.is_file()) if data.is_dir() else []
        else:
            digest.update(f"|{name}=?".encode())
    for file in dict.fromkeys(files):
        try:
            digest.update(f"|{file.name}|".encode() + file.read_bytes())
        except OSError:
            digest.update(f"|{file.name}=?".encode())
    for library in _LIBRARIES:
        try:
            digest.update(f"|{library}={metadata.version(library)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"|{library}=none".encode())
    return digest.hexdigest()


def _key(lists: str, config: MatchConfig) -> str:
    """The key of an index: what it is built from, how, and by which code."""
    build = dataclasses.asdict(dataclasses.replace(config, threshold=MatchConfig().threshold))
    text = json.dumps([FORMAT, code_version(), build, lists], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def lists_version(rows: list[tuple] | list[dict]) -> str:
    """The lists part of the key, from the result of :data:`LISTS_SQL`."""
    row = rows[0]
    count, digest = (row["n"], row["h"]) if isinstance(row, dict) else row
    return f"{count}:{digest}"


def with_config(index: ListIndex, config: MatchConfig | None) -> ListIndex:
    """``index`` matching with ``config`` (a shallow copy: the index data is shared).

    Only for configs that differ in what applies at match time (the threshold): the key
    of a saved index covers the rest.
    """
    config = config or MatchConfig()
    if index.config == config:
        return index
    view = copy.copy(index)
    view.config = config
    return view


# -- for callers ----------------------------------------------------------------------------------


def index_for_store(
    store: Store, config: MatchConfig | None = None, cache: Path | None | bool = True
) -> ListIndex:
    """The list index of the store's current lists: kept in memory, loaded, or built.

    ``cache``: the index file (default: beside the store file; the API passes the live
    store's, as it reads a snapshot copy), or False to neither read nor write one. A
    store without a file (Spark, in memory) builds the index every time.
    """
    from tradetrace.screen.run import current_entries
    from tradetrace.store.catalogue import CURRENT_LIST_ENTRIES

    config = config or MatchConfig()
    file = _store_file(store)
    if file is None:
        STATS["built"] += 1
        return ListIndex(current_entries(store), config)
    store.require(CURRENT_LIST_ENTRIES)  # before LISTS_SQL reads it: says to load lists first
    if cache is True:
        cache = cache_path(file)
    key = _key(lists_version(store.query(LISTS_SQL).to_pylist()), config)
    index = _remembered(key)
    if index is None and cache:
        index = load_index(cache, key, config)
    if index is None:
        entries = current_entries(store)
        STATS["built"] += 1
        index = ListIndex(entries, config)
        if cache:
            save_index(index, cache, key, entries)
    _remember(key, index)
    return with_config(index, config)


def index_for_file(db: Path | str, config: MatchConfig | None = None) -> ListIndex | None:
    """The saved index of a DuckDB store file if it is current, else None.

    The lists' key comes from the stamp (:func:`_stamped`) when the store file has not
    changed since, else from a bare read-only DuckDB connection (milliseconds, no Ibis);
    either way ``screen-name`` answers without opening the store. None when there is no
    current index file or the store cannot be read that way (busy, no lists): then open
    the store and call :func:`index_for_store`, which waits for it and says what is wrong.
    """
    db = Path(db)
    cache = cache_path(db)
    if not (db.is_file() and cache.is_file()):
        return None
    config = config or MatchConfig()
    lists = _stamped(db)
    if lists is None:
        lists = _read_lists(db)
        if lists is None:
            return None
    key = _key(lists, config)
    index = _remembered(key) or load_index(cache, key, config)
    if index is None:
        return None
    _remember(key, index)
    return with_config(index, config)


def _fingerprint(db: Path) -> list[int]:
    """Changes whenever the store changes: device, inode, size, mtime and ctime of the file
    and of its WAL (ctime cannot be set back, so a copy with old times still differs)."""
    parts: list[int] = []
    for file in (db, db.with_name(db.name + ".wal")):
        try:
            st = file.stat()
            parts += [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]
        except FileNotFoundError:
            parts += [0, 0, 0, 0, 0]
    return parts


def _stamp_path(db: Path) -> Path:
    return db.with_name(db.name + SUFFIX + ".stamp")


def _stamped(db: Path) -> str | None:
    """The lists version recorded for the store file as it is now, if one was."""
    try:
        stamp = json.loads(_stamp_path(db).read_text("utf-8"))
        if stamp["code"] == code_version() and stamp["fingerprint"] == _fingerprint(db):
            return str(stamp["lists"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def _read_lists(db: Path) -> str | None:
    """The lists version read with a bare DuckDB connection; stamped when that is safe.

    The stamp ties the version to the file's fingerprint, so the next call needs no
    DuckDB at all. It is written only when the fingerprint was the same before and after
    the query (no commit in between) and the files were last changed over
    ``SETTLED`` seconds ago: a later write then has a later mtime whatever the file
    system's time resolution, so it cannot leave the fingerprint as stamped.
    """
    before = _fingerprint(db)
    try:
        import duckdb

        con = duckdb.connect(str(db), read_only=True)
        try:
            lists = lists_version(con.execute(LISTS_SQL).fetchall())
        finally:
            con.close()
    except Exception as exc:  # busy, not a store, no lists: the full path says which
        log.debug("index_for_file(%s): %s", db, exc)
        return None
    newest = max(before[3], before[8]) / 1e9  # the mtimes of the file and the WAL
    if _fingerprint(db) == before and time.time() - newest > SETTLED:
        stamp = {"code": code_version(), "fingerprint": before, "lists": lists}
        _write_atomically(_stamp_path(db), json.dumps(stamp).encode())
    return lists


def prepare_index(store: Store) -> bool:
    """Build and save the index now (after ``lists load``) unless a current one is saved.

    False when the store has no file to save beside (the index would be thrown away).
    """
    if _store_file(store) is None:
        return False
    index_for_store(store)
    return True


def forget() -> None:
    """Drop the indexes kept in memory (tests; a server picks up new lists by itself)."""
    with _memory_lock:
        _memory.clear()


def _remembered(key: str) -> ListIndex | None:
    with _memory_lock:
        index = _memory.get(key)
        if index is not None:
            _memory.move_to_end(key)
            STATS["memory"] += 1
        return index


def _remember(key: str, index: ListIndex) -> None:
    with _memory_lock:
        _memory[key] = index
        _memory.move_to_end(key)
        while len(_memory) > 2:  # the lists before the last load, or another store's
            _memory.popitem(last=False)


# -- writing --------------------------------------------------------------------------------------


def save_index(index: ListIndex, path: Path, key: str, entries: pa.Table | None = None) -> bool:
    """Write ``index`` to ``path`` under ``key`` (atomically). False if it could not.

    ``entries``: the Arrow table the index was built from (else rebuilt from its rows).
    Never raises: a cache that cannot be written only costs speed.
    """
    try:
        sections, header = _encode(index, entries)
    except Unsupported as exc:
        log.warning("the list index is not cached: %s", exc)
        return False
    except Exception:
        log.warning("the list index is not cached: cannot encode it", exc_info=True)
        return False
    blobs: list[bytes] = []
    offsets: dict[str, list[int]] = {}
    position = 0
    for name, table in sections.items():
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        blob = sink.getvalue().to_pybytes()
        offsets[name] = [position, len(blob)]
        blobs.append(blob)
        position += len(blob)
    body = b"".join(blobs)
    header.update(format=FORMAT, key=key, sections=offsets, crc32=zlib.crc32(body))
    head = json.dumps(header, ensure_ascii=False).encode()
    if not _write_atomically(path, MAGIC + len(head).to_bytes(8, "little") + head, body):
        return False
    STATS["saved"] += 1
    return True


def _write_atomically(path: Path, *parts: bytes) -> bool:
    """Write a temporary file beside ``path`` (usual umask), then rename it over ``path``:
    readers see the old file or the new one, never a part."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "xb") as handle:
            for part in parts:
                handle.write(part)
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("cannot write %s (%s); the list index will be slower to get", path, exc)
        tmp.unlink(missing_ok=True)
        return False
    return True


def _encode(index: ListIndex, entries: pa.Table | None) -> tuple[dict[str, pa.Table], dict]:
    """The index as named one-column tables, and the header that says how to read them.

    Each attribute is encoded by its shape (:class:`_Encoder`), so a new attribute of a
    known shape needs no change here; one of another shape raises :class:`Unsupported`.
    """
    penalty = getattr(index, "_penalty", None)
    if callable(penalty):
        for schema in SCHEMAS:
            penalty(schema)  # computed now: for another, the loaded index reads every name
    encoder = _Encoder(entries)
    state = {k: v for k, v in vars(index).items() if k != "config"}  # the caller's config
    attributes = {name: encoder.encode(name, value) for name, value in state.items()}
    encoder.finish()
    return encoder.sections, {"attributes": attributes}


#: Classes whose instances the file may hold, by name (nothing else is ever constructed).
_RECORDS: dict[str, type] = {"_Name": _Name, "NameForms": NameForms}
_SCALARS = (str, int, float, bool, type(None))


class _Encoder:
    """Attributes to sections (one-column Arrow tables), each with a spec for :class:`_Decoder`."""

    def __init__(self, entries: pa.Table | None):
        self.entries = entries
        self.sections: dict[str, pa.Table] = {}
        self.forms: list[NameForms] = []  # every distinct NameForms once, by identity
        self.form_ids: dict[int, int] = {}
        self.keys: dict[tuple, str] = {}  # shared sorted keys (by_token and _by_core)

    def put(self, name: str, values: Any, type: pa.DataType | None = None) -> str:
        self.sections[name] = pa.table({"v": pa.array(values, type)})
        return name

    def encode(self, name: str, value: Any) -> dict:
        if isinstance(value, np.ndarray):
            return self._ndarray(name, value)
        if isinstance(value, list) and value:
            first = value[0]
            if isinstance(first, dict) and name == "entries":
                return self._rows(name, value)
            if type(first).__name__ in _RECORDS and type(first) is _RECORDS[type(first).__name__]:
                return self._records(name, value)
            if _only(value, int):
                return {"kind": "ints", "data": self.put(name, value, pa.int64())}
            if _only(value, str, NoneType):
                return {"kind": "strs", "data": self.put(name, value, pa.string())}
            if _only(value, list) and _only(chain.from_iterable(value), int):
                return {"kind": "int_lists", **self._lists(name, value)}
            group = type(first)
            if (
                group in (frozenset, set, tuple, list)
                and _only(value, group)
                and _only(chain.from_iterable(value), str)
            ):
                flat = [sorted(x) if isinstance(x, (set, frozenset)) else list(x) for x in value]
                return {"kind": "str_groups", "type": group.__name__,
                        **self._lists(name, flat, pa.string())}  # fmt: skip
        if isinstance(value, dict) and value and _only(value, str):
            values = list(value.values())
            default = _default(name, value)
            if _only(values, list) and _only(chain.from_iterable(values), int):
                keys = tuple(sorted(value))
                shared = self.keys.get(keys)
                if shared is None:
                    shared = self.keys[keys] = self.put(f"{name}.keys", keys, pa.large_string())
                lists = [value[k] for k in keys]
                return {"kind": "postings", "keys": shared, "default": default,
                        **self._lists(name, lists)}  # fmt: skip
            group = type(values[0])
            if group in (set, frozenset) and _only(values, group) and _only(chain(*values), int):
                sorted_keys = sorted(value)
                return {"kind": "int_sets_by_key", "keys": self.put(f"{name}.keys", sorted_keys),
                        "type": group.__name__, "default": default,
                        **self._lists(name, [sorted(value[k]) for k in sorted_keys])}  # fmt: skip
            if _only(values, int):
                return {"kind": "str_int_dict", "keys": self.put(f"{name}.keys", list(value)),
                        "data": self.put(name, values, pa.int64()), "default": default}  # fmt: skip
        if isinstance(value, dict) and _only(value.values(), np.ndarray):
            arrays = [self._ndarray(f"{name}.{i}", v) for i, v in enumerate(value.values())]
            return {"kind": "arrays_by_key", "keys": _to_json(list(value)), "arrays": arrays}
        return {"kind": "json", "value": _to_json(value)}

    def _ndarray(self, name: str, value: np.ndarray) -> dict:
        if value.ndim != 1:
            raise Unsupported(f"{name}: a {value.ndim}-dimensional array")
        if value.dtype == object:
            if not _only(value, str):
                raise Unsupported(f"{name}: an object array of other than strings")
            return {"kind": "ndarray_str", "data": self.put(name, value.tolist(), pa.string())}
        if value.dtype not in (np.int32, np.int64, np.float32, np.float64):
            raise Unsupported(f"{name}: an array of {value.dtype}")
        return {"kind": "ndarray", "data": self.put(name, value)}

    def _rows(self, name: str, rows: list[dict]) -> dict:
        table = self.entries
        if table is None or table.num_rows != len(rows):
            table = pa.Table.from_pylist(rows)
        self.sections[name] = table
        return {"kind": "rows", "data": name}

    def _records(self, name: str, items: list) -> dict:
        """Dataclass instances (of ``_RECORDS``), one column per field."""
        cls = type(items[0])
        if any(type(x) is not cls for x in items):
            raise Unsupported(f"{name}: items of several types")
        if cls is NameForms:
            return {"kind": "forms", "data": self.put(name, self._form_ids(items), pa.int32())}
        fields = {}
        for field in dataclasses.fields(cls):
            values = [getattr(x, field.name) for x in items]
            if _only(values, NameForms):
                fields[field.name] = {
                    "forms": self.put(f"{name}.{field.name}", self._form_ids(values), pa.int32())
                }
            elif _only(values, str, int, bool, NoneType):
                fields[field.name] = {"data": self.put(f"{name}.{field.name}", values)}
            else:
                raise Unsupported(f"{name}.{field.name}: values of an unknown shape")
        return {"kind": "records", "type": cls.__name__, "fields": fields, "size": len(items)}

    def _form_ids(self, forms: list[NameForms]) -> list[int]:
        ids = []
        for item in forms:
            found = self.form_ids.get(id(item))
            if found is None:
                found = self.form_ids[id(item)] = len(self.forms)
                self.forms.append(item)
            ids.append(found)
        return ids

    def _lists(self, name: str, lists: Sequence[Sequence], type: pa.DataType | None = None) -> dict:
        """Lists as offsets and flat values (CSR)."""
        type = type or pa.int32()
        offsets = np.zeros(len(lists) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, lists), np.int64, len(lists)), out=offsets[1:])
        if offsets[-1] >= 2**31:
            raise Unsupported(f"{name}: too many values")
        flat = list(chain.from_iterable(lists))
        return {"offsets": self.put(f"{name}.offsets", offsets, pa.int32()),
                "values": self.put(f"{name}.values", flat, type)}  # fmt: skip

    def finish(self) -> None:
        """The shared table of NameForms, one column per field."""
        for field in dataclasses.fields(NameForms):
            values = [getattr(f, field.name) for f in self.forms]
            scalars = _only(values, str, int, bool, NoneType)
            if not scalars and not (_only(values, tuple) and _only(chain(*values), str)):
                raise Unsupported(f"NameForms.{field.name}: values of an unknown shape")
            self.put(f"forms.{field.name}", values)


#: What a ``defaultdict`` may make for a missing key (the file names one of these).
_FACTORIES: dict[str, Callable[[], Any]] = {"list": list, "set": set, "int": int,
                                            "frozenset": frozenset, "tuple": tuple}  # fmt: skip


def _default(name: str, value: dict) -> str | None:
    """The factory of a ``defaultdict`` (kept, so a missing key acts as before)."""
    factory = getattr(value, "default_factory", None)
    if factory is None:
        return None
    factory_name = getattr(factory, "__name__", "")
    if _FACTORIES.get(factory_name) is not factory:
        raise Unsupported(f"{name}: a defaultdict of {factory!r}")
    return factory_name


def _with_default(mapping: dict, default: str | None) -> dict:
    return defaultdict(_FACTORIES[default], mapping) if default else mapping


def _only(values: Any, *types: type) -> bool:
    """Every value is of exactly one of ``types`` (no subclass: ``True`` is not an int).
    ``map(type, ...)`` and ``set`` run in C: millions of values take milliseconds."""
    return set(map(type, values)) <= set(types)


_CONTAINERS = {"l": list, "t": tuple, "s": set, "f": frozenset}


def _to_json(value: Any) -> Any:
    """Plain values and containers as JSON, containers tagged with their type."""
    if isinstance(value, float) and not np.isfinite(value):
        raise Unsupported("a non-finite float")
    if isinstance(value, _SCALARS):
        return value
    for tag, kind in _CONTAINERS.items():
        if type(value) is kind:
            items = sorted(value, key=repr) if tag in "sf" else value
            return {tag: [_to_json(v) for v in items]}
    if type(value) is dict:
        return {"d": [[_to_json(k), _to_json(v)] for k, v in value.items()]}
    raise Unsupported(f"a value of type {type(value).__name__}")


def _from_json(value: Any) -> Any:
    if isinstance(value, dict):
        ((tag, items),) = value.items()
        if tag == "d":
            return {_hashable(_from_json(k)): _from_json(v) for k, v in items}
        return _CONTAINERS[tag](_hashable(_from_json(v)) if tag in "sf" else _from_json(v)
                                for v in items)  # fmt: skip
    return value


def _hashable(value: Any) -> Any:
    if isinstance(value, (list, dict, set)):
        raise ValueError("an unhashable key")
    return value


# -- reading --------------------------------------------------------------------------------------


def load_index(path: Path, key: str, config: MatchConfig | None = None) -> ListIndex | None:
    """The index saved at ``path`` if its key is ``key``, else None (missing, stale, corrupt)."""
    try:
        with open(path, "rb") as handle:
            start = handle.read(len(MAGIC) + 8)
            if len(start) < len(MAGIC) + 8 or start[: len(MAGIC)] != MAGIC:
                raise ValueError("not an index file")
            header = json.loads(handle.read(int.from_bytes(start[len(MAGIC) :], "little")))
            if header.get("format") != FORMAT or header.get("key") != key:
                return None  # stale: the caller rebuilds it
            begin = handle.tell()
            # mapped, not read: no copy, and the pages are shared with the OS's file cache
            # (files are replaced by a rename, never rewritten in place)
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        with memoryview(mapped) as view:
            if zlib.crc32(view[begin:]) != header["crc32"]:
                raise ValueError("checksum mismatch")
        index = _decode(pa.py_buffer(mapped).slice(begin), header, config or MatchConfig())
    except FileNotFoundError:
        return None
    except Exception as exc:  # a damaged file is only a slower answer
        STATS["rejected"] += 1
        log.warning("ignoring the list index at %s (%s); rebuilding it", path, exc)
        with contextlib.suppress(OSError):
            path.unlink()  # read once: it is rebuilt and saved again
        return None
    STATS["loaded"] += 1
    return index


def _decode(body: pa.Buffer, header: dict, config: MatchConfig) -> ListIndex:
    """A :class:`ListIndex` over the sections of ``body``, as ``header`` describes them."""
    decoder = _Decoder(body, header["sections"])
    index = ListIndex.__new__(ListIndex)
    index.config = config
    for name, spec in header["attributes"].items():
        setattr(index, name, decoder.decode(spec))
    return index


class _Decoder:
    def __init__(self, body: pa.Buffer, sections: dict[str, list[int]]):
        self.body, self.sections = body, sections
        self._forms: _Forms | None = None

    def table(self, name: str) -> pa.Table:
        offset, length = self.sections[name]
        if offset < 0 or length < 0 or offset + length > self.body.size:
            raise ValueError(f"section {name} out of bounds")
        return pa.ipc.open_stream(self.body.slice(offset, length)).read_all()

    def array(self, name: str) -> pa.Array:
        column = self.table(name).column(0)
        return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()

    def numbers(self, name: str) -> np.ndarray:
        return _numpy(self.array(name))

    def lists(self, spec: dict, bound: int | None = None) -> _Lists:
        offsets, values = self.numbers(spec["offsets"]), self.numbers(spec["values"])
        _check_offsets(offsets, len(values))
        _check_ids(values, bound)
        return _Lists(offsets, values)

    @property
    def forms(self) -> _Forms:
        if self._forms is None:
            fields = [f.name for f in dataclasses.fields(NameForms)]
            self._forms = _Forms({f: self.array(f"forms.{f}") for f in fields})
        return self._forms

    def form_ids(self, name: str) -> np.ndarray:
        ids = self.numbers(name)
        _check_ids(ids, len(self.forms))
        return ids

    def decode(self, spec: dict) -> Any:
        kind = spec["kind"]
        if kind == "json":
            return _from_json(spec["value"])
        if kind == "ndarray":
            return self.numbers(spec["data"]).copy()
        if kind == "ndarray_str":
            return np.array(self.array(spec["data"]).to_pylist(), dtype=object)
        if kind in ("ints", "strs"):
            return self.array(spec["data"]).to_pylist()
        if kind == "int_lists":
            return self.lists(spec)
        if kind == "str_groups":
            offsets = self.numbers(spec["offsets"]).tolist()
            values = self.array(spec["values"]).to_pylist()
            _check_offsets(np.asarray(offsets), len(values))
            group = {"frozenset": frozenset, "set": set, "tuple": tuple, "list": list}[spec["type"]]
            return [group(values[a:b]) for a, b in zip(offsets, offsets[1:], strict=False)]
        if kind == "postings":
            default = _FACTORIES[spec["default"]] if spec["default"] else None
            return _Postings(_Keys(self.array(spec["keys"])), self.lists(spec), default)
        if kind == "int_sets_by_key":
            keys = self.array(spec["keys"]).to_pylist()
            group = {"set": set, "frozenset": frozenset}[spec["type"]]
            sets = {k: group(v) for k, v in zip(keys, self.lists(spec), strict=True)}
            return _with_default(sets, spec["default"])
        if kind == "str_int_dict":
            keys, values = self.array(spec["keys"]).to_pylist(), self.array(spec["data"])
            return _with_default(dict(zip(keys, values.to_pylist(), strict=True)), spec["default"])
        if kind == "arrays_by_key":
            keys = [_hashable(_from_json(k)) for k in _from_json(spec["keys"])]
            arrays = [self.decode(a) for a in spec["arrays"]]
            return dict(zip(keys, arrays, strict=True))
        if kind == "rows":
            table = self.table(spec["data"])
            return _Lazy(table.num_rows, _row(table), table.to_pylist)
        if kind == "forms":
            ids, forms = self.form_ids(spec["data"]), self.forms
            return _Lazy(len(ids), lambda i: forms[int(ids[i])],
                         lambda: [forms[f] for f in ids.tolist()])  # fmt: skip
        if kind == "records":
            return self.records(spec)
        raise ValueError(f"unknown kind {kind!r}")

    def records(self, spec: dict) -> _Lazy:
        cls, size = _RECORDS[spec["type"]], spec["size"]
        columns: dict[str, tuple[bool, Any]] = {}
        for field, where in spec["fields"].items():
            if "forms" in where:
                columns[field] = (True, self.form_ids(where["forms"]))
            else:
                columns[field] = (False, self.array(where["data"]))
        if any(len(c) != size for _, c in columns.values()):
            raise ValueError("record columns differ in length")
        forms = self.forms if any(is_forms for is_forms, _ in columns.values()) else None

        def one(i: int) -> Any:
            return cls(**{f: forms[int(c[i])] if is_forms else c[i].as_py()  # type: ignore[index]
                          for f, (is_forms, c) in columns.items()})  # fmt: skip

        def every() -> list:
            all_forms = list(forms) if forms is not None else []
            lists = {
                f: [all_forms[j] for j in c.tolist()] if is_forms else c.to_pylist()
                for f, (is_forms, c) in columns.items()
            }
            return [cls(**dict(zip(lists, row, strict=True)))
                    for row in zip(*lists.values(), strict=True)]  # fmt: skip

        return _Lazy(size, one, every)


def _check_offsets(offsets: np.ndarray, size: int) -> None:
    if len(offsets) == 0 or offsets[0] != 0 or offsets[-1] != size:
        raise ValueError("bad offsets")
    if len(offsets) > 1 and np.any(np.diff(offsets) < 0):
        raise ValueError("bad offsets")


def _check_ids(ids: np.ndarray, bound: int | None) -> None:
    if bound is not None and len(ids) and (ids.min() < 0 or ids.max() >= bound):
        raise ValueError("an id out of range")


_NUMPY = {pa.int32(): np.int32, pa.int64(): np.int64, pa.float32(): np.float32}


def _numpy(array: pa.Array) -> np.ndarray:
    """A read-only numpy view of a numeric Arrow array (``to_numpy`` would import pandas)."""
    dtype = _NUMPY.get(array.type)
    if dtype is None or array.null_count:
        raise ValueError(f"expected {', '.join(map(str, _NUMPY))} without nulls, not {array.type}")
    data = array.buffers()[1]
    if data is None:
        return np.zeros(0, dtype)
    values = np.frombuffer(data, dtype)
    if array.offset + len(array) > len(values):
        raise ValueError("array out of bounds")
    return values[array.offset : array.offset + len(array)]


def _row(table: pa.Table) -> Callable[[int], dict]:
    return lambda i: table.slice(i, 1).to_pylist()[0]


class _Lazy(Sequence):
    """A read-only list whose items are made on first use, and all at once after ``MANY``.

    Pickles as a plain list (an index sent to another process carries its data).
    """

    def __init__(self, size: int, one: Callable[[int], Any], every: Callable[[], list]):
        self._size, self._one, self._every = size, one, every
        self._made: dict[int, Any] = {}
        self._all: list | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, i):  # type: ignore[override]
        if self._all is not None:
            return self._all[i]
        if not isinstance(i, int):
            return self._everything()[i]
        if i < 0:
            i += self._size
        if not 0 <= i < self._size:
            raise IndexError("index out of range")
        item = self._made.get(i)
        if item is None:
            if len(self._made) >= MANY:
                return self._everything()[i]
            item = self._made.setdefault(i, self._one(i))
        return item

    def __iter__(self) -> Iterator:
        return iter(self._everything())

    def _everything(self) -> list:
        with self._lock:
            if self._all is None:
                every = self._every()
                for i, item in dict(self._made).items():
                    every[i] = item  # the items handed out stay the same objects
                self._all, self._made = every, {}
            return self._all

    def __reduce__(self):
        return (list, (list(self),))


class _Forms(_Lazy):
    """Analysed names (:class:`NameForms`) from their columns."""

    def __init__(self, columns: dict[str, pa.Array]):
        self._columns = columns
        size = len(next(iter(columns.values()))) if columns else 0
        if any(len(c) != size for c in columns.values()):
            raise ValueError("forms columns differ in length")
        super().__init__(size, self._make, self._make_all)

    def _make(self, i: int) -> NameForms:
        return NameForms(**{k: _frozen(c[i].as_py()) for k, c in self._columns.items()})

    def _make_all(self) -> list[NameForms]:
        names = list(self._columns)
        columns = [[_frozen(v) for v in c.to_pylist()] for c in self._columns.values()]
        return [
            NameForms(**dict(zip(names, values, strict=True)))
            for values in zip(*columns, strict=True)
        ]


def _frozen(value: Any) -> Any:
    """Arrow gives lists where NameForms holds tuples."""
    return tuple(value) if isinstance(value, list) else value


class _Lists(Sequence):
    """``list[list[int]]`` as offsets and values; each item a fresh list of ints."""

    def __init__(self, offsets: np.ndarray, values: np.ndarray):
        self.offsets, self.values = offsets, values

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i):  # type: ignore[override]
        if not isinstance(i, int):
            return [self[j] for j in range(len(self))[i]]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError("index out of range")
        return self.values[self.offsets[i] : self.offsets[i + 1]].tolist()

    def __iter__(self) -> Iterator[list[int]]:
        values = self.values.tolist()
        bounds = self.offsets.tolist()
        for start, end in zip(bounds, bounds[1:], strict=False):  # one shorter
            yield values[start:end]

    def __reduce__(self):
        return (list, (list(self),))


class _Keys:
    """Sorted strings as one UTF-8 blob and offsets: binary search without a Python set."""

    def __init__(self, keys: pa.Array):
        if keys.null_count or keys.type != pa.large_string():
            raise ValueError("keys must be non-null large strings")
        buffers = keys.buffers()
        start = keys.offset
        self.offsets = np.frombuffer(buffers[1], np.int64)[start : start + len(keys) + 1]
        self.blob = buffers[2].to_pybytes() if buffers[2] is not None else b""
        self.array = keys
        if len(self.offsets) != len(keys) + 1 or (
            len(keys) and (self.offsets[0] < 0 or self.offsets[-1] > len(self.blob))
        ):
            raise ValueError("bad key offsets")

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def find(self, key: str) -> int:
        """The position of ``key``, or -1 (UTF-8 bytes sort like the code points)."""
        wanted = key.encode()
        blob, offsets = self.blob, self.offsets
        low, high = 0, len(self)
        while low < high:
            mid = (low + high) // 2
            if blob[offsets[mid] : offsets[mid + 1]] < wanted:
                low = mid + 1
            else:
                high = mid
        if low < len(self) and blob[offsets[low] : offsets[low + 1]] == wanted:
            return low
        return -1

    def __iter__(self) -> Iterator[str]:
        return iter(self.array.to_pylist())


class _Postings(Mapping):
    """``dict[str, list[int]]`` (word → ids) over sorted keys and offsets, read-only.

    Iterates in key order (a built index iterates in the order words were first seen).
    """

    def __init__(self, keys: _Keys, lists: _Lists, default: Callable[[], Any] | None = None):
        if len(keys) != len(lists):
            raise ValueError("keys and lists differ in length")
        self._keys, self._lists, self._default = keys, lists, default

    def __getitem__(self, key: str) -> list[int]:
        i = self._keys.find(key) if isinstance(key, str) else -1
        if i < 0:
            if self._default is not None:  # a defaultdict's missing key (not stored)
                return self._default()
            raise KeyError(key)
        return self._lists[i]

    def get(self, key: str, default: Any = None) -> Any:
        i = self._keys.find(key) if isinstance(key, str) else -1
        return default if i < 0 else self._lists[i]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._keys.find(key) >= 0

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def items(self) -> Iterator[tuple[str, list[int]]]:  # type: ignore[override]
        return zip(self._keys, self._lists, strict=True)

    def values(self) -> Iterator[list[int]]:  # type: ignore[override]
        return iter(self._lists)

    def __reduce__(self):
        return (dict, (dict(self.items()),))
