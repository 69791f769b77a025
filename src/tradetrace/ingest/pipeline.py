"""Lossless, atomic, idempotent ingest of declaration files into the store.

For every file: ``rows_in = loaded + quarantined`` (checked before commit), the
file becomes visible all at once when its run is recorded (see ``store``), and a
file whose sha256 is already in ``ingest_runs`` is skipped. Batches stream
through, so memory does not grow with the file.
"""

from __future__ import annotations

import datetime as dt
import json
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa

from tradetrace.errors import InputError, ProfileError, StoreError
from tradetrace.ingest.detect import FileReading, Options, read_file
from tradetrace.ingest.normalise import (
    References,
    normalise_steps,
    trim_cells,
    with_provenance,
    with_raw_rows,
)
from tradetrace.ingest.profiles import Mapping
from tradetrace.ingest.readers import SOURCE_ROW, Malformed, Source, expand_sources, open_table
from tradetrace.model import DECLARATION_COLUMNS, QUARANTINE_SCHEMA, declarations_schema
from tradetrace.reference.countries import country_alias_table
from tradetrace.reference.fx import (
    currency_alias_table,
    ecb_usd_rates,
    load_user_rates,
    monthly_usd_rates,
)
from tradetrace.store import Insert, Store

SYNTHETIC_MANIFEST = "synthetic_manifest.json"
FX_SCHEMA = pa.schema(
    [("currency", pa.string()), ("date", pa.date32()), ("usd_per_unit", pa.float64())]
)

#: Rows staged and written at a time: whole row groups of the embedded engine (122,880 rows), so
#: each insert goes straight to the store file (not through its write-ahead log) and the engine
#: works on the row groups in parallel; a batch costs about 0.1 s whatever its size (planning
#: the statements, committing), hence several row groups. The first batch is one row group, so
#: the engine starts sooner (and the reader, one batch ahead, keeps up from then on).
ROW_GROUP_ROWS = 122_880
STAGE_ROWS = 4 * ROW_GROUP_ROWS
#: ...unless the rows are so wide that fewer of them already hold this much text (Arrow's
#: size: about 650 bytes a row for Russian customs declarations).
STAGE_BYTES = 512 << 20
#: The engine copies a staged table a chunk per thread: chunks of a row group (or this much).
CHUNK_BYTES = 128 << 20

#: The session tables of a file's ingest: the file and run, a batch, its rejected rows.
FILE_TABLE, STAGE_TABLE, REJECTED_TABLE = "_file", "_stage", "_rejected"
FILE_SCHEMA = ibis.schema({"_file": "string", "_ingest_id": "string"})

#: on_progress(file, bytes_done, bytes_total)
ProgressCallback = Callable[[str, int, int], None]


@dataclass
class FileResult:
    file: str
    sha256: str
    profile: str | None
    rows_in: int = 0
    loaded: int = 0
    quarantined: int = 0
    skipped: bool = False
    synthetic: bool = False
    encoding: str | None = None
    delimiter: str | None = None
    #: what the file is and how it was read: direction, reporter_country, granularity,
    #: currency, mapping {field: header}, unmapped_columns, detected {what: why}
    reading: dict = field(default_factory=dict)


@dataclass
class IngestResult:
    files: list[FileResult] = field(default_factory=list)

    @property
    def rows_in(self) -> int:
        return sum(f.rows_in for f in self.files)

    @property
    def loaded(self) -> int:
        return sum(f.loaded for f in self.files)

    @property
    def quarantined(self) -> int:
        return sum(f.quarantined for f in self.files)

    def to_json(self) -> dict:
        return {
            "rows_in": self.rows_in,
            "loaded": self.loaded,
            "quarantined": self.quarantined,
            "files": [_file_json(f) for f in self.files],
        }

    def to_pandas(self) -> Any:
        """One row per file, its columns the keys of the JSON's ``files`` (Python API)."""
        import pandas as pd

        return pd.DataFrame([_file_json(f) for f in self.files])


def _file_json(result: FileResult) -> dict:
    """A file's JSON: the counts, then what it is and how it was read (flattened, so
    ``direction``, ``reporter_country``, ``mapping`` ... are keys of the file)."""
    data = asdict(result)
    return {**data, **data.pop("reading")}


def ingest(
    store: Store,
    paths: Sequence[Path],
    profile: str | None = None,
    overrides: dict[str, str] | None = None,
    fx_rates: Path | None = None,
    on_progress: ProgressCallback | None = None,
    options: Options | None = None,
) -> IngestResult:
    """Ingest files one by one, each atomically.

    Every file is read (header and a sample) before anything is written, so a file that
    cannot be mapped, or whose direction cannot be told, stops the run before the first
    file is loaded, not after.
    """
    options = _options(options, profile, overrides)
    sources = [source for path in paths for source in expand_sources(Path(path))]
    readings = {source.name: read_source(source, options) for source in sources}
    refs = _references(store, fx_rates)
    result = IngestResult()
    for source in sources:
        result.files.append(ingest_source(store, source, refs, readings[source.name], on_progress))
    return result


def _options(options: Options | None, profile: str | None, overrides) -> Options:
    options = options or Options()
    return Options(
        direction=options.direction,
        reporter=options.reporter,
        currency=options.currency,
        granularity=options.granularity,
        profile=profile or options.profile,
        overrides={**options.overrides, **(overrides or {})},
    )


def _first_rows(reader) -> pa.Table | None:
    """The file's first batch of raw rows (trimmed), or None for a file with no rows."""
    batches = reader.batches()
    try:
        return pa.Table.from_batches([trim_cells(next(batches))])
    except StopIteration:
        return None
    finally:
        close = getattr(batches, "close", None)
        if close is not None:
            close()


def read_source(source: Source, options: Options) -> FileReading:
    """How a file will be read (see :mod:`ingest.detect`), from its header and first rows;
    any problem is one line naming the file."""
    return _read_with_sample(source, options)[0]


def _read_with_sample(source: Source, options: Options) -> tuple[FileReading, pa.Table | None]:
    """:func:`read_source`, and the first rows it was read from."""
    reader = open_table(source)
    sample = _first_rows(reader)
    try:
        reading = read_file(source.name, reader.header, sample, options)
    except ProfileError as exc:  # the mapper sees a header, not a file: name the file here
        raise ProfileError(f"{source.name}: {exc}") from exc
    if reading.direction is None and "direction" not in reading.mapping.columns:
        raise ProfileError(
            f"{source.name}: cannot tell whether the file holds imports or exports "
            f"({reading.detected.get('direction', '')}); give --direction import|export"
        )
    if reading.reporter_country is None:
        raise ProfileError(
            f"{source.name}: cannot tell whose customs records these are "
            f"({reading.detected.get('reporter_country', '')}); give --reporter CC"
        )
    return reading, sample


def _references(store: Store, fx_rates: Path | None) -> References:
    user = (
        load_user_rates(fx_rates).select(FX_SCHEMA.names) if fx_rates else FX_SCHEMA.empty_table()
    )
    return References(
        country_aliases=store.reference("ref_country_aliases", country_alias_table),
        currency_aliases=store.reference("ref_currency_aliases", currency_alias_table),
        fx_ecb=store.reference("ref_fx_ecb", ecb_usd_rates),
        fx_user=store.stage("_fx_user", user.cast(FX_SCHEMA)),
        fx_monthly=store.reference("ref_fx_monthly", monthly_usd_rates),
    )


def ingest_source(
    store: Store,
    source: Source,
    refs: References,
    reading: FileReading,
    on_progress: ProgressCallback | None = None,
) -> FileResult:
    total = source.size
    done = 0

    def on_read(n: int) -> None:
        nonlocal done
        done += n
        if on_progress:
            on_progress(source.name, min(done, total), total)

    # The first batch is read while the file is hashed (both release the GIL); it is dropped
    # if the hash says the file is in the store already.
    with ThreadPoolExecutor(1, thread_name_prefix="tradetrace-sha256") as pool:
        hashed = pool.submit(source.sha256)
        reader = open_table(source, on_read)
        with _ReadAhead(_staged(reader)) as batches:
            sha256 = hashed.result()
            mapping = reading.mapping
            if _already_ingested(store, sha256):
                return FileResult(
                    source.name, sha256, mapping.profile.name, skipped=True,
                    reading=reading.describe(),
                )  # fmt: skip
            result = FileResult(
                source.name,
                sha256,
                mapping.profile.name,
                synthetic=is_synthetic(source),
                encoding=reader.encoding,
                delimiter=reader.delimiter,
                reading=reading.describe(),
            )
            started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
            store.discard_uncommitted(sha256)  # what a killed earlier attempt left behind
            try:
                _load_batches(store, batches, reader, mapping, refs, result)
                if result.rows_in != result.loaded + result.quarantined:
                    raise StoreError(
                        f"{source.name}: {result.rows_in} rows read but {result.loaded} "
                        f"loaded + {result.quarantined} quarantined; nothing was written"
                    )
                _record_run(store, result, started)  # the commit point
            except BaseException:
                store.discard_uncommitted(sha256)
                raise
    if on_progress:
        on_progress(source.name, total, total)
    return result


def _already_ingested(store: Store, sha256: str) -> bool:
    runs = store.table("ingest_runs")
    return bool(store.to_arrow(runs.filter(runs.sha256 == sha256).count()).as_py())


def _load_batches(
    store: Store,
    batches: _ReadAhead,
    reader,
    mapping: Mapping,
    refs: References,
    result: FileResult,
) -> None:
    compiled = _compiled(store, mapping, refs)
    find_rejected = _find_rejected(store, mapping, result.sha256)
    store.stage(FILE_TABLE, pa.table({"_file": [result.file], "_ingest_id": [result.sha256]}))
    try:
        for batch in batches:
            rows = batch.num_rows
            store.stage_copy(STAGE_TABLE, batch)
            del batch  # the engine has its copy; the reader is already parsing the next one
            for name, sql in compiled.lookups:
                store.run_prepared_into(name, sql)
            loaded = store.run_prepared(compiled.load)
            if loaded < rows:  # normalise the rows not loaded again, to say why
                store.run_prepared_into(REJECTED_TABLE, find_rejected)
                quarantined = store.run_prepared(compiled.reject(store))
                if quarantined != rows - loaded:
                    raise StoreError(
                        f"{result.file}: {rows} rows staged but {loaded} loaded + "
                        f"{quarantined} quarantined; nothing was written"
                    )
            result.rows_in += rows
            result.loaded += loaded
            result.quarantined += rows - loaded
            _quarantine_malformed(store, reader.take_malformed(), result)
        _quarantine_malformed(store, reader.take_malformed(), result)
    except pa.ArrowException as exc:
        raise InputError(f"{result.file}: cannot read file ({exc})") from exc


def _staged(reader) -> Iterator[pa.Table]:
    """The reader's batches, trimmed, in the tables that are staged. Trimmed as read: small
    batches reuse the memory they free (trimming the regrouped tables makes the allocator ask
    the system for fresh memory instead, a second per million rows)."""
    trimmed = (trim_cells(batch) for batch in reader.batches())
    chunks = _chunks(trimmed, ROW_GROUP_ROWS, CHUNK_BYTES)
    return _rebatched(chunks, STAGE_ROWS, STAGE_BYTES, first=ROW_GROUP_ROWS)


def _chunks(
    batches: Iterator[pa.RecordBatch], rows: int, max_bytes: int
) -> Iterator[pa.RecordBatch]:
    """The reader's (small) batches as contiguous batches of ``rows`` rows (the last one
    excepted), or of whatever has come when ``max_bytes`` has (very wide rows). The engine
    copies a table of such chunks in parallel, and one of many small chunks slowly (at twice
    the cost, the time of the whole copy again)."""
    pending: list[pa.RecordBatch] = []
    count = size = 0
    for batch in batches:
        if not batch.num_rows:
            continue
        pending.append(batch)
        count += batch.num_rows
        size += batch.nbytes
        while count >= rows or (size >= max_bytes and count):
            table = pa.Table.from_batches(pending)
            take = min(rows, count)
            yield _contiguous(table.slice(0, take))
            rest = table.slice(take)
            pending, count = rest.to_batches(), rest.num_rows
            size = rest.nbytes
    if count:
        yield _contiguous(pa.Table.from_batches(pending))


def _contiguous(table: pa.Table) -> pa.RecordBatch:
    columns = [column.combine_chunks() for column in table.columns]
    return pa.RecordBatch.from_arrays(columns, names=table.schema.names)


def _rebatched(
    chunks: Iterator[pa.RecordBatch], rows: int, max_bytes: int, first: int
) -> Iterator[pa.Table]:
    """Chunks regrouped into tables of at least ``first`` rows, then of ``rows`` rows (or
    ``max_bytes``), the last one excepted; row-group chunks make row-group tables."""
    pending: list[pa.RecordBatch] = []
    count = size = 0
    for chunk in chunks:
        pending.append(chunk)
        count += chunk.num_rows
        size += chunk.nbytes
        if count >= first or size >= max_bytes:
            yield pa.Table.from_batches(pending)
            pending, count, size, first = [], 0, 0, rows
    if pending:
        yield pa.Table.from_batches(pending)


_END = object()


class _ReadAhead:
    """Iterate ``items`` made one ahead by a background thread (from ``with`` on).

    Parsing the next batch (Arrow) and normalising and writing this one (the engine) both
    release the GIL, so with two cores reading costs almost no time. Only one item is made
    ahead, so memory stays that of two batches. Errors of the reader are raised by the
    iteration, in order; leaving the ``with`` stops the thread and closes ``items`` (and so
    the file).
    """

    def __init__(self, items: Iterator):
        self._items = items
        self._made: queue.SimpleQueue = queue.SimpleQueue()
        self._wanted = threading.Semaphore(1)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._make, name="tradetrace-read-ahead", daemon=True
        )

    def __enter__(self) -> _ReadAhead:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._wanted.release()
        self._thread.join()

    def __iter__(self) -> Iterator:
        while True:
            item, error = self._made.get()
            if error is not None:
                raise error
            if item is _END:
                return
            self._wanted.release()  # make the next one while this one is processed
            yield item

    def _make(self) -> None:
        try:
            while self._want():
                try:
                    item = next(self._items)
                except StopIteration:
                    self._made.put((_END, None))
                    return
                self._made.put((item, None))
        except BaseException as exc:  # handed to the consuming thread, which raises it
            self._made.put((_END, exc))
        finally:
            close = getattr(self._items, "close", None)
            if close is not None:
                close()

    def _want(self) -> bool:
        self._wanted.acquire()
        return not self._stop.is_set()


@dataclass
class _Compiled:
    """A layout's statements, compiled once for all the files of that layout: the value
    lookups a batch materialises, then the two inserts, which normalise the rows on the way
    (the normalised rows are never materialised: that costs as much as writing them). The
    quarantine insert is compiled only when a batch first has rows to reject: compiling a
    statement costs about a second, and most files have none.
    """

    lookups: list[tuple[str, str]]
    load: Insert  # the good rows of the staged batch, into declaration_rows
    build_reject: Callable[[Store], Insert]  # the rows of REJECTED_TABLE, into quarantine_rows
    _reject: Insert | None = None

    def reject(self, store: Store) -> Insert:
        if self._reject is None:
            self._reject = self.build_reject(store)
        return self._reject


_COMPILED: dict[tuple, _Compiled] = {}


def _compiled(store: Store, mapping: Mapping, refs: References) -> _Compiled:
    key = (store.backend, repr(mapping), refs.names())  # names tables: fits any store
    if key not in _COMPILED:
        file = ibis.table(FILE_SCHEMA, name=FILE_TABLE)  # the file and run, staged per file
        stage = ibis.table(_stage_schema(mapping.header), name=STAGE_TABLE)
        *lookups, (_, rows) = normalise_steps(stage, mapping, refs)
        good = rows.filter(rows.reject_reason.isnull()).cross_join(file)
        good = with_provenance(good, good._file, good._ingest_id).select(*DECLARATION_COLUMNS)

        def build_reject(store: Store) -> Insert:
            """The rows of a batch not loaded, normalised again with the batch's lookups."""
            rejected = ibis.table(_stage_schema(mapping.header), name=REJECTED_TABLE)
            *_, (_, again) = normalise_steps(rejected, mapping, refs)
            bad = with_raw_rows(again.filter(again.reject_reason.notnull()), rejected, mapping)
            bad = bad.cross_join(file)
            return store.prepared_insert(
                "quarantine_rows",
                bad.select(
                    ingest_id=bad._ingest_id,
                    file=bad._file,
                    row=bad.source_row,
                    column=bad.reject_column,
                    value=bad.reject_value,
                    reason=bad.reject_reason,
                    raw=bad.raw,
                ),
            )

        _COMPILED[key] = _Compiled(
            lookups=[(name, store.prepared(expr)) for name, expr in lookups],
            load=store.prepared_insert("declaration_rows", good),
            build_reject=build_reject,
        )
    return _COMPILED[key]


def _find_rejected(store: Store, mapping: Mapping, ingest_id: str) -> str:
    """The staged rows the load left out: not in declaration_rows for this run. Compiled per
    file (the run's id is a literal, so the engine skips the other runs' data by its
    min/max statistics, as it skips the earlier batches by their row numbers)."""
    stage = ibis.table(_stage_schema(mapping.header), name=STAGE_TABLE)
    table = ibis.table(declarations_schema(), name="declaration_rows")
    first, last = stage[SOURCE_ROW].min(), stage[SOURCE_ROW].max()
    batch = table.filter((table.ingest_id == ingest_id) & table.source_row.between(first, last))
    return store.prepared(stage.anti_join(batch, stage[SOURCE_ROW] == batch.source_row))


def _stage_schema(header: tuple[str, ...]) -> ibis.Schema:
    return ibis.schema({**{f"c{i}": "string" for i in range(len(header))}, SOURCE_ROW: "int64"})


def _quarantine_malformed(store: Store, rows: list[Malformed], result: FileResult) -> None:
    if not rows:
        return
    table = pa.table(
        {
            "ingest_id": [result.sha256] * len(rows),
            "file": [result.file] * len(rows),
            "row": [m.row for m in rows],
            "column": [None] * len(rows),
            "value": [None] * len(rows),
            "reason": [m.reason for m in rows],
            "raw": [m.text for m in rows],
        },
        schema=QUARANTINE_SCHEMA.to_pyarrow(),
    )
    store.insert("quarantine_rows", table)
    result.rows_in += len(rows)
    result.quarantined += len(rows)


def _record_run(store: Store, result: FileResult, started: dt.datetime) -> None:
    finished = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    row = {
        "ingest_id": result.sha256,
        "file": result.file,
        "sha256": result.sha256,
        "profile": result.profile,
        "direction": result.reading.get("direction"),
        "reporter_country": result.reading.get("reporter_country"),
        "granularity": result.reading.get("granularity"),
        "reading": json.dumps(result.reading, ensure_ascii=False),
        "rows_in": result.rows_in,
        "loaded": result.loaded,
        "quarantined": result.quarantined,
        "synthetic": result.synthetic,
        "started": started,
        "finished": finished,
    }
    store.insert("ingest_runs", pa.Table.from_pylist([row]))


def is_synthetic(source: Source) -> bool:
    """Files made by ``tradetrace sample`` are marked so every report can say SYNTHETIC."""
    name = Path(source.member or source.path.name).name
    if "synthetic" in name.lower():
        return True
    manifest = source.path.parent / SYNTHETIC_MANIFEST
    if not manifest.exists():
        return False
    try:
        listed = {f["name"] for f in json.loads(manifest.read_text()).get("files", [])}
    except (ValueError, KeyError, TypeError):
        return False
    return name in listed


# -- seeing before loading ------------------------------------------------------------------------


def dry_run(
    paths: Sequence[Path], options: Options, fx_rates: Path | None = None, rows: int = 5
) -> list[dict]:
    """How each file would be read, with its first ``rows`` rows normalised; writes
    nothing (the rows go through the same normalisation in a throw-away embedded store)."""
    import tempfile

    from tradetrace.ingest.normalise import normalise
    from tradetrace.store import open_store

    previews = []
    sources = [source for path in paths for source in expand_sources(Path(path))]
    with (
        tempfile.TemporaryDirectory(prefix="tradetrace-dry-run-") as folder,
        open_store(Path(folder) / "dry-run.duckdb", backend="duckdb") as store,
    ):
        refs = _references(store, fx_rates)
        for source in sources:
            reading, first = _read_with_sample(source, options)
            shown: list[dict] = []
            if first is not None and first.num_rows:
                stage = store.stage(STAGE_TABLE, first.slice(0, rows))
                expr = normalise(stage, reading.mapping, refs, source.name, "dry-run")
                shown = store.to_arrow(expr.order_by("source_row")).to_pylist()
            previews.append({"file": source.name, **reading.describe(), "rows": shown})
    return previews


def infer_profile(path: Path, options: Options) -> str:
    """A profile (YAML) of how a file is read, for the user to check, edit and pass with
    ``--profile``: every field with its columns, and what the file is."""
    import yaml

    from tradetrace.version import __version__

    (source, *_) = expand_sources(Path(path))
    reading = read_source(source, options)
    mapping = reading.mapping
    fields: dict[str, list[str]] = {}
    for name, index in mapping.columns.items():
        fields[name] = [mapping.header[index]] + [
            mapping.header[i] for i in mapping.fallbacks.get(name, ())
        ]
    for name, index in mapping.alternates.items():
        fields[f"{name}_alt"] = [mapping.header[index]]
    currencies = {mapping.header[i]: c for i, c in mapping.value_currencies.items() if c}
    profile = {
        "name": Path(source.inner_name).stem,
        "description": f"inferred by tradetrace {__version__} from {source.name}; check and edit",
        "direction": reading.direction,
        "reporter": reading.reporter_country,
        "granularity": reading.granularity,
        "currency": reading.currency,
        "decimal": mapping.decimal,
        "fields": dict(sorted(fields.items())),
        "currencies": currencies,
    }
    why = "".join(f"# {key}: {text}\n" for key, text in reading.detected.items())
    body = yaml.safe_dump(
        {k: v for k, v in profile.items() if v not in (None, {}, [])},
        allow_unicode=True,
        sort_keys=False,
    )
    unmapped = ", ".join(reading.unmapped_columns)
    return why + body + (f"# kept in extra (no field): {unmapped}\n" if unmapped else "")
