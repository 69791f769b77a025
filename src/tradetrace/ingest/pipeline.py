"""Lossless, atomic, idempotent ingest of declaration files into the store.

For every file: ``rows_in = loaded + quarantined`` (checked before commit), the
file becomes visible all at once when its run is recorded (see ``store``), and a
file whose sha256 is already in ``ingest_runs`` is skipped. Batches stream
through, so memory does not grow with the file.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import ibis
import pyarrow as pa

from tradetrace.errors import InputError, ProfileError, StoreError
from tradetrace.ingest.normalise import (
    References,
    normalise_steps,
    normalised_schema,
    trim_cells,
    with_provenance,
    with_raw_rows,
)
from tradetrace.ingest.profiles import Mapping, resolve_mapping
from tradetrace.ingest.readers import SOURCE_ROW, Malformed, Source, expand_sources, open_table
from tradetrace.model import DECLARATION_COLUMNS, QUARANTINE_SCHEMA
from tradetrace.reference.countries import country_alias_table
from tradetrace.reference.fx import currency_alias_table, ecb_usd_rates, load_user_rates
from tradetrace.store import Store

SYNTHETIC_MANIFEST = "synthetic_manifest.json"
FX_SCHEMA = pa.schema(
    [("currency", pa.string()), ("date", pa.date32()), ("usd_per_unit", pa.float64())]
)

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
            "files": [asdict(f) for f in self.files],
        }


def ingest(
    store: Store,
    paths: Sequence[Path],
    profile: str | None = None,
    overrides: dict[str, str] | None = None,
    fx_rates: Path | None = None,
    on_progress: ProgressCallback | None = None,
) -> IngestResult:
    """Ingest files one by one, each atomically.

    Every file's header is mapped before anything is written, so a typo in the
    tenth file's profile does not leave the first nine loaded and the rest not.
    """
    sources = [source for path in paths for source in expand_sources(Path(path))]
    for source in sources:
        try:
            resolve_mapping(open_table(source).header, profile, overrides)
        except ProfileError as exc:  # the mapper sees a header, not a file: name the file here
            raise ProfileError(f"{source.name}: {exc}") from exc
    refs = _references(store, fx_rates)
    result = IngestResult()
    for source in sources:
        result.files.append(
            ingest_source(store, source, refs, profile, overrides or {}, on_progress)
        )
    return result


def _references(store: Store, fx_rates: Path | None) -> References:
    user = (
        load_user_rates(fx_rates).select(FX_SCHEMA.names) if fx_rates else FX_SCHEMA.empty_table()
    )
    return References(
        country_aliases=store.reference("ref_country_aliases", country_alias_table),
        currency_aliases=store.reference("ref_currency_aliases", currency_alias_table),
        fx_ecb=store.reference("ref_fx_ecb", ecb_usd_rates),
        fx_user=store.stage("_fx_user", user.cast(FX_SCHEMA)),
    )


def ingest_source(
    store: Store,
    source: Source,
    refs: References,
    profile: str | None,
    overrides: dict[str, str],
    on_progress: ProgressCallback | None = None,
) -> FileResult:
    sha256 = source.sha256()
    if _already_ingested(store, sha256):
        return FileResult(source.name, sha256, profile, skipped=True)
    total = source.size
    done = 0

    def on_read(n: int) -> None:
        nonlocal done
        done += n
        if on_progress:
            on_progress(source.name, min(done, total), total)

    reader = open_table(source, on_read)
    mapping = resolve_mapping(reader.header, profile, overrides)
    result = FileResult(
        source.name,
        sha256,
        mapping.profile.name,
        synthetic=is_synthetic(source),
        encoding=reader.encoding,
        delimiter=reader.delimiter,
    )
    started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    store.discard_uncommitted(sha256)  # what a killed earlier attempt left behind
    try:
        _load_batches(store, reader, mapping, refs, result)
        if result.rows_in != result.loaded + result.quarantined:
            raise StoreError(
                f"{source.name}: {result.rows_in} rows read but {result.loaded} loaded + "
                f"{result.quarantined} quarantined; nothing was written"
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
    store: Store, reader, mapping: Mapping, refs: References, result: FileResult
) -> None:
    steps = _compiled_steps(store, mapping, refs)
    load, reject = _compiled_inserts(store, mapping, result)
    try:
        for batch in reader.batches():
            store.stage_copy("_stage", trim_cells(batch))
            for name, sql in steps:
                store.run_prepared_into(name, sql)
            loaded = store.run_prepared(load)
            if loaded < batch.num_rows:
                store.run_prepared(reject)
            result.rows_in += batch.num_rows
            result.loaded += loaded
            result.quarantined += batch.num_rows - loaded
            _quarantine_malformed(store, reader.take_malformed(), result)
        _quarantine_malformed(store, reader.take_malformed(), result)
    except pa.ArrowException as exc:
        raise InputError(f"{result.file}: cannot read file ({exc})") from exc


def _compiled_inserts(store: Store, mapping: Mapping, result: FileResult) -> tuple[str, str]:
    """The two inserts of a batch (good rows, rejected rows), compiled once per file."""
    stage = ibis.table(_stage_schema(mapping.header), name="_stage")
    norm = ibis.table(normalised_schema(), name="_norm")
    good = norm.reject_reason.isnull()
    rows = with_provenance(norm.filter(good), result.file, result.sha256)
    rejected = with_raw_rows(norm.filter(~good), stage, mapping)
    return (
        store.prepared_insert("declaration_rows", rows.select(*DECLARATION_COLUMNS)),
        store.prepared_insert("quarantine_rows", _quarantine_rows(rejected, result)),
    )


_COMPILED: dict[tuple, list[tuple[str, str]]] = {}


def _compiled_steps(store: Store, mapping: Mapping, refs: References) -> list[tuple[str, str]]:
    """Compiling the steps costs about a second; files of one layout share the result."""
    key = (store.backend, repr(mapping), refs.names())  # names tables: fits any store
    if key not in _COMPILED:
        stage = ibis.table(_stage_schema(mapping.header), name="_stage")
        steps = normalise_steps(stage, mapping, refs)
        _COMPILED[key] = [(name, store.prepared(expr)) for name, expr in steps]
    return _COMPILED[key]


def _stage_schema(header: tuple[str, ...]) -> ibis.Schema:
    return ibis.schema({**{f"c{i}": "string" for i in range(len(header))}, SOURCE_ROW: "int64"})


def _quarantine_rows(rejected, result: FileResult):
    return rejected.select(
        ingest_id=ibis.literal(result.sha256),
        file=ibis.literal(result.file),
        row=rejected.source_row,
        column=rejected.reject_column,
        value=rejected.reject_value,
        reason=rejected.reject_reason,
        raw=rejected.raw,
    )


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
