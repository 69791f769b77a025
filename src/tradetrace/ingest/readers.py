"""Readers: any supported file → batches of raw text cells, never a lost row.

Every reader yields Arrow record batches whose columns are ``c0 … cN`` (the
file's columns by position, all strings, exactly as written) plus
``_source_row``, the 1-based data record number. Records that cannot even be
split into cells (a CSV line with the wrong number of fields, a JSON line that
is not an object) are reported as :class:`Malformed` so the pipeline can
quarantine them: ``rows_in = len(good rows) + len(malformed)`` always.

Values stay text here; typing and normalisation happen in one vectorised
expression (``ingest.normalise``) so that the same code runs on every backend.
"""

from __future__ import annotations

import bisect
import collections
import csv
import datetime as dt
import gzip
import hashlib
import io
import json
import lzma
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from xml.etree.ElementTree import ParseError

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from charset_normalizer import from_bytes
from defusedxml import DefusedXmlException

from tradetrace.errors import InputError

SOURCE_ROW = "_source_row"
BATCH_ROWS = 100_000
#: Arrow parses a CSV block at a time; small blocks stay in the CPU cache (about twice as fast
#: as 64 MB ones). A record longer than a block is read again with bigger blocks, up to the max.
CSV_BLOCK_BYTES = 4 << 20
CSV_MAX_BLOCK_BYTES = 1 << 30
SAMPLE_BYTES = 256 << 10

DELIMITED = {".csv", ".tsv", ".txt", ".tab"}
EXCEL = {".xlsx", ".xlsm"}
PARQUET = {".parquet", ".pq"}
JSON_LINES = {".jsonl", ".ndjson", ".json"}
ZIP_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
#: What a damaged file raises while it is read: a cut or corrupt .gz (``zlib.error`` is not an
#: ``OSError``), a zip member failing its CRC, a broken Parquet page (pyarrow's ``OSError``), a
#: zip feature zipfile lacks (``NotImplementedError``: strong encryption, "zip file version 6.3").
READ_ERRORS = (
    OSError, EOFError, zlib.error, lzma.LZMAError, zipfile.BadZipFile, NotImplementedError,
    pa.ArrowException,
)  # fmt: skip


@dataclass(frozen=True)
class Malformed:
    row: int
    text: str
    reason: str


@dataclass
class Source:
    """One logical input file: a plain file, a ``.gz`` file or one member of a zip."""

    path: Path
    member: str | None = None

    @property
    def name(self) -> str:
        """``path`` or ``path:member``; a member name with a newline (hostile zips) is shown as
        ``repr`` so every message about it stays on one line."""
        if not self.member:
            return str(self.path)
        member = self.member if self.member.isprintable() else repr(self.member)
        return f"{self.path}:{member}"

    @property
    def inner_name(self) -> str:
        """The name that decides the format: ``x.csv.gz`` → ``x.csv``."""
        name = self.member or self.path.name
        return name[:-3] if name.lower().endswith(".gz") else name

    @property
    def suffix(self) -> str:
        return Path(self.inner_name).suffix.lower()

    @property
    def size(self) -> int:
        if self.member:
            with zipfile.ZipFile(self.path) as archive:
                return archive.getinfo(self.member).compress_size
        return self.path.stat().st_size

    def open_raw(self) -> IO[bytes]:
        """The compressed bytes as stored (what progress is measured on)."""
        if self.member:
            archive = zipfile.ZipFile(self.path)
            return archive.open(self.member)
        return open(self.path, "rb")

    def open(self, raw: IO[bytes] | None = None) -> IO[bytes]:
        """The decompressed bytes."""
        raw = raw or self.open_raw()
        name = (self.member or self.path.name).lower()
        return _ClosingGzipFile(fileobj=raw) if name.endswith(".gz") else raw  # type: ignore[return-value]

    def sha256(self) -> str:
        """Reads the whole member of a zip, so a CRC error past the sample shows up here."""
        digest = hashlib.sha256()
        try:
            with self.open_raw() as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
        except READ_ERRORS as exc:
            raise InputError(f"{self.name}: cannot read file ({_one_line(exc)})") from exc
        return digest.hexdigest()


class _ClosingGzipFile(gzip.GzipFile):
    """Closes the stored file with itself (``GzipFile(fileobj=...)`` leaves it open)."""

    def close(self) -> None:
        raw = self.fileobj
        try:
            super().close()
        finally:
            if raw is not None:
                # typeshed types ``fileobj`` as a read/write protocol without close(); ours is
                # always the real file object that open_raw() returned.
                raw.close()  # type: ignore[union-attr]


def expand_sources(path: Path) -> list[Source]:
    """A path as the logical files it holds (zips hold several)."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory; give the files inside it")
    if path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as archive:
                infos = [
                    info
                    for info in archive.infolist()  # a nameless member breaks is_dir()
                    if info.filename
                    and not info.is_dir()
                    and not Path(info.filename).name.startswith(".")
                ]
        except (*READ_ERRORS, UnicodeDecodeError) as exc:  # a name flagged UTF-8 that is not
            raise InputError(f"{path}: not a readable zip archive ({_one_line(exc)})") from exc
        infos = [info for info in infos if _format_of(Source(path, info.filename)) is not None]
        if not infos:
            raise InputError(f"{path}: the archive holds no supported file")
        for info in infos:
            _check_member(path, info)
        return [Source(path, info.filename) for info in infos]
    return [Source(path)]


def _check_member(path: Path, info: zipfile.ZipInfo) -> None:
    """Encrypted members and methods zipfile cannot read (Deflate64, which Windows uses for
    large archives) would otherwise fail mid-read with a RuntimeError or NotImplementedError."""
    name = Source(path, info.filename).name
    if info.flag_bits & 0x1:
        raise InputError(f"{name}: encrypted; extract it first")
    if info.compress_type not in ZIP_METHODS:
        raise InputError(
            f"{name}: zip compression method {info.compress_type} cannot be read; "
            "extract it first or re-zip it"
        )


def _format_of(source: Source) -> str | None:
    suffix = source.suffix
    for fmt, suffixes in (
        ("delimited", DELIMITED),
        ("excel", EXCEL),
        ("parquet", PARQUET),
        ("jsonl", JSON_LINES),
    ):
        if suffix in suffixes:
            return fmt
    return None


class ProgressFile(io.RawIOBase):
    """Counts the bytes read from the stored file, for the progress bar."""

    def __init__(self, inner: IO[bytes], on_read: Callable[[int], None]):
        self._inner = inner
        self._on_read = on_read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        data = self._inner.read(len(buffer))
        buffer[: len(data)] = data
        self._on_read(len(data))
        return len(data)

    def close(self) -> None:
        self._inner.close()
        super().close()


@dataclass
class TableReader:
    """What every reader exposes: a header and a stream of raw batches."""

    source: Source
    header: list[str]
    encoding: str | None = None
    delimiter: str | None = None
    malformed: list[Malformed] = field(default_factory=list)
    _batches: Iterator[pa.RecordBatch] | None = None

    def batches(self) -> Iterator[pa.RecordBatch]:
        assert self._batches is not None
        return self._batches

    def take_malformed(self) -> list[Malformed]:
        taken, self.malformed = self.malformed, []
        return taken


def open_table(source: Source, on_read: Callable[[int], None] = lambda n: None) -> TableReader:
    """Open a source for reading; raises :class:`InputError` for unreadable files."""
    fmt = _format_of(source)
    if fmt is None:
        raise InputError(
            f"{source.name}: unsupported file type {source.suffix or '(none)'!r}; "
            "expected .csv, .tsv, .txt, .xlsx, .parquet, .jsonl (optionally .gz or inside .zip)"
        )
    _check_magic(source, fmt)
    opener = {
        "delimited": _open_delimited,
        "excel": _open_excel,
        "parquet": _open_parquet,
        "jsonl": _open_jsonl,
    }[fmt]
    try:
        reader = opener(source, on_read)
    except READ_ERRORS as exc:
        raise InputError(f"{source.name}: cannot read file ({_one_line(exc)})") from exc
    reader._batches = _guarded(source, reader.batches())
    return reader


def _guarded(source: Source, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Damage met while streaming (a .gz cut after the sample, a broken Parquet page) is an
    :class:`InputError` naming the file, like damage met when opening it."""
    try:
        yield from batches
    except READ_ERRORS as exc:
        raise InputError(f"{source.name}: cannot read file ({_one_line(exc)})") from exc


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _check_magic(source: Source, fmt: str) -> None:
    """Catch the classic mistake of an .xlsx renamed .csv (or the reverse)."""
    try:  # the first open of a zip member: its local header's name may not decode
        with source.open() as handle:
            head = handle.read(8)
    except (*READ_ERRORS, UnicodeDecodeError) as exc:
        raise InputError(f"{source.name}: cannot read file ({_one_line(exc)})") from exc
    if not head:
        raise InputError(f"{source.name}: empty file")
    is_zip = head.startswith(b"PK\x03\x04")
    is_parquet = head.startswith(b"PAR1")
    if fmt == "excel" and not is_zip:
        raise InputError(f"{source.name}: not an Excel .xlsx file (no zip signature)")
    if fmt == "parquet" and not is_parquet:
        raise InputError(f"{source.name}: not a Parquet file (no PAR1 signature)")
    if fmt in {"delimited", "jsonl"} and (is_zip or is_parquet):
        kind = "an Excel or zip" if is_zip else "a Parquet"
        raise InputError(f"{source.name}: looks like {kind} file, not text; rename it")


# -- delimited text ---------------------------------------------------------------------------


def detect_encoding(sample: bytes, *, complete: bool = False) -> str:
    """UTF-8 (with or without BOM) when it decodes, cp1251 when it reads as Russian, else
    charset-normalizer's guess.

    Russian customs exports are UTF-8 or cp1251; a cp1251 file almost never decodes as
    UTF-8, so trying UTF-8 first is both fast and safe. charset-normalizer alone misreads
    short cp1251 samples (as cp1250 or even cp932), hence the explicit Russian check.
    ``complete`` says the sample is the whole file: a character cut at its end is then a
    decoding error, not the sample boundary.
    """
    if sample.startswith(b"\xef\xbb\xbf"):
        try:  # a BOM that lies would reach Arrow unchecked and fail on a confusing row
            sample[3:].decode("utf-8")
        except UnicodeDecodeError as exc:
            if complete or exc.reason != "unexpected end of data":
                raise InputError(
                    f"starts with a UTF-8 byte-order mark but is not UTF-8 text "
                    f"(byte 0x{sample[3 + exc.start]:02x} at offset {3 + exc.start})"
                ) from exc
        return "utf-8-sig"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if not complete and exc.reason == "unexpected end of data":  # cut by the sample boundary
            return "utf-8"
    if _reads_as_russian(sample.decode("cp1251", errors="replace")):
        return "cp1251"
    best = from_bytes(sample).best()
    if best is None:
        raise InputError("cannot detect the text encoding (binary file?)")
    return best.encoding


_WORD = re.compile(r"[^\W\d_]+")
_RUSSIAN_WORD = re.compile(r"[А-Яа-яЁё]+")


def _reads_as_russian(text: str) -> bool:
    """Nearly every non-ASCII word is Cyrillic in a normal case ("ООО", "Ромашка", "болт").

    Latin-1 text read as cp1251 mixes scripts inside words ("Mьller"); KOI8-R or Greek read as
    cp1251 give odd capitalisation ("пРИВЕТ", "БиЮнб").
    """
    words = [w for w in _WORD.findall(text) if not w.isascii()]
    russian = [
        w
        for w in words
        if _RUSSIAN_WORD.fullmatch(w) and (w.islower() or w.isupper() or w.istitle())
    ]
    return bool(words) and len(russian) >= 0.9 * len(words)


def sniff_delimiter(text: str, suffix: str) -> str:
    if suffix in {".tsv", ".tab"}:
        return "\t"
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|").delimiter
    except csv.Error:
        header = lines[0]
        return max(",;\t|", key=header.count)


def _open_delimited(source: Source, on_read: Callable[[int], None]) -> TableReader:
    with source.open() as handle:
        sample = handle.read(SAMPLE_BYTES)
    if not sample.strip():
        raise InputError(f"{source.name}: empty file")
    try:
        encoding = detect_encoding(sample, complete=len(sample) < SAMPLE_BYTES)
    except InputError as exc:
        raise InputError(f"{source.name}: {exc}") from exc
    text = sample.decode(encoding, errors="ignore")
    blank = _LEADING_BLANK_LINES.match(text).group()  # type: ignore[union-attr]
    text = text[len(blank) :]
    skip_rows = len(_NEWLINE.findall(blank)) + 1  # the blank lines and the header
    delimiter = sniff_delimiter(text, source.suffix)
    try:  # newline="": a lone CR ends a line, as it does for the Arrow reader
        header = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
    except csv.Error as exc:  # e.g. a header cell over the csv module's field size limit
        raise InputError(f"{source.name}: line {skip_rows}: unreadable header ({exc})") from exc
    header = [h.strip() for h in header]
    if not any(header):  # checked before dedupe_header names the blanks
        raise InputError(f"{source.name}: line {skip_rows}: no header row")
    header = dedupe_header(header)
    reader = TableReader(source, header, encoding=encoding, delimiter=delimiter)
    reader._batches = _delimited_batches(source, reader, on_read, skip_rows)
    return reader


_NEWLINE = re.compile(r"\r\n|\r|\n")
_LEADING_BLANK_LINES = re.compile(r"(?:[ \t]*(?:\r\n|\r|\n))*")


def _delimited_batches(
    source: Source, reader: TableReader, on_read: Callable[[int], None], skip_rows: int
) -> Iterator[pa.RecordBatch]:
    """Small blocks parse about twice as fast as big ones (they stay in the CPU cache), but a
    record must fit in one block: on a longer one, read again with bigger blocks, going on
    after the records already given (their numbers do not depend on the block size)."""
    bad_rows: set[int] = set()  # malformed records already reported (in any attempt)
    block_size, resume = CSV_BLOCK_BYTES, 1
    while True:
        attempt = _delimited_attempt(
            source, reader, on_read, skip_rows, block_size, resume, bad_rows
        )
        try:
            yield from attempt
            return
        except _RecordTooLong as exc:
            if block_size >= CSV_MAX_BLOCK_BYTES:
                raise InputError(f"{source.name}: row after {exc.next_row - 1}: {exc}") from None
            block_size, resume = min(block_size * 8, CSV_MAX_BLOCK_BYTES), exc.next_row


class _RecordTooLong(Exception):
    def __init__(self, message: str, next_row: int):
        super().__init__(message)
        self.next_row = next_row


def _delimited_attempt(
    source: Source,
    reader: TableReader,
    on_read: Callable[[int], None],
    skip_rows: int,
    block_size: int,
    resume: int,
    bad_rows: set[int],
) -> Iterator[pa.RecordBatch]:
    """Read with ``block_size`` blocks, giving the records from number ``resume`` on."""
    names = [f"c{i}" for i in range(len(reader.header))]
    width = len(names)
    numbers = _RecordNumbers()

    def on_invalid(row: pacsv.InvalidRow) -> str:
        record = (row.number or 0) - skip_rows  # pyarrow counts the skipped lines too
        numbers.skip(record)
        if record not in bad_rows and record >= resume:
            bad_rows.add(record)
            reader.malformed.append(
                Malformed(
                    record,
                    row.text,
                    f"malformed line: expected {row.expected_columns} fields, "
                    f"found {row.actual_columns}",
                )
            )
        return "skip"

    encoding = "utf8" if reader.encoding in {"utf-8", "utf-8-sig"} else reader.encoding
    stream = source.open(ProgressFile(source.open_raw(), on_read))  # type: ignore[arg-type]
    try:
        try:  # opening reads (and converts) the first block already
            csv_reader = pacsv.open_csv(
                stream,
                read_options=pacsv.ReadOptions(
                    use_threads=False,  # row numbers of bad lines are only known single-threaded
                    block_size=block_size,
                    skip_rows=skip_rows,
                    column_names=names,
                    encoding=encoding,
                ),
                parse_options=pacsv.ParseOptions(
                    delimiter=reader.delimiter,
                    newlines_in_values=True,
                    invalid_row_handler=on_invalid,
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(names, pa.string()),
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
        except pa.ArrowInvalid as exc:
            if _STRADDLING in str(exc):
                raise _RecordTooLong(_one_line(exc), numbers.next) from exc
            raise InputError(f"{source.name}: {_one_line(exc)}") from exc
        except UnicodeDecodeError as exc:
            raise _not_encoded(source, reader, exc, numbers.next) from exc
        while True:
            try:
                batch = csv_reader.read_next_batch()
            except StopIteration:
                break
            except pa.ArrowInvalid as exc:
                if _STRADDLING in str(exc):
                    raise _RecordTooLong(_one_line(exc), numbers.next) from exc
                raise InputError(
                    f"{source.name}: row after {numbers.next - 1}: {_one_line(exc)}"
                ) from exc
            except UnicodeDecodeError as exc:
                raise _not_encoded(source, reader, exc, numbers.next) from exc
            rows = numbers.take(batch.num_rows)
            skip = bisect.bisect_left(rows, resume)  # given by an earlier attempt
            if skip == len(rows):
                continue
            columns = [batch.column(i) for i in range(width)]
            batch = pa.RecordBatch.from_arrays(
                [*columns, pa.array(rows, pa.int64())], names=[*names, SOURCE_ROW]
            )
            yield batch.slice(skip) if skip else batch
    finally:
        stream.close()


#: pyarrow's message for a record longer than a block
_STRADDLING = "straddling object straddles two block boundaries"


def _not_encoded(
    source: Source, reader: TableReader, exc: UnicodeDecodeError, next_row: int
) -> InputError:
    """A byte the detected code page does not define (0x98 in cp1251), met by Arrow's
    transcoder; its position is within a block, so the message names the rows instead."""
    byte = exc.object[exc.start : exc.start + 1].hex()
    return InputError(
        f"{source.name}: row after {next_row - 1}: not {reader.encoding} text "
        f"(byte 0x{byte} cannot be decoded)"
    )


class _RecordNumbers:
    """The record numbers of the good rows of each batch, around the malformed records (which
    the invalid-row handler reports, in order, while the batch holding them is parsed)."""

    def __init__(self) -> None:
        self.next = 1  # the number of the next record
        self._skipped: collections.deque[int] = collections.deque()

    def skip(self, record: int) -> None:
        self._skipped.append(record)

    def take(self, count: int) -> list[int]:
        rows: list[int] = []
        row = self.next
        while self._skipped and self._skipped[0] - row < count - len(rows):
            skipped = self._skipped.popleft()
            rows.extend(range(row, skipped))
            row = max(row, skipped + 1)
        rows.extend(range(row, row + count - len(rows)))
        self.next = rows[-1] + 1 if rows else row
        return rows


def dedupe_header(header: list[str]) -> list[str]:
    """Blank and repeated column names get a position suffix so every column is addressable.

    NUL is dropped: names end up in the compiled SQL, where the engine's parser stops at a NUL.
    """
    out: list[str] = []
    taken: set[str] = set()
    for i, name in enumerate(header):
        base = name.lstrip("\ufeff").replace("\x00", "").strip() or f"column_{i + 1}"
        name, n = base, 1
        while name in taken:  # "a", "a_2", "a" must not give "a_2" twice
            n += 1
            name = f"{base}_{n}"
        taken.add(name)
        out.append(name)
    return out


# -- Excel ----------------------------------------------------------------------------------------


def cell_text(value: object) -> str:
    """A spreadsheet cell as the text a user would see (dates ISO, whole floats without .0)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def _open_excel(source: Source, on_read: Callable[[int], None]) -> TableReader:
    import openpyxl

    handle = source.open()
    data = handle.read()
    handle.close()
    on_read(source.size)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many unrelated types for a broken file
        raise InputError(
            f"{source.name}: not a readable Excel workbook ({_one_line(exc)})"
        ) from exc
    for sheet in book.worksheets:  # the first sheet with any content (cover sheets may be empty)
        rows = _sheet_rows(source, sheet.title, sheet.iter_rows(values_only=True))
        header_cells = next((cells for cells in rows if not _empty_row(cells)), None)
        if header_cells is not None:
            break
    else:
        book.close()
        raise InputError(f"{source.name}: no sheet has a header row")
    header = dedupe_header([cell_text(c) for c in header_cells])
    while header and header[-1].startswith("column_"):
        header.pop()
    reader = TableReader(source, header)
    reader._batches = _excel_batches(rows, reader, book)
    return reader


#: What openpyxl raises for a damaged sheet, found by fuzzing: cut or invalid sheet XML,
#: entities (defusedxml), a cell reference or number or date it cannot read (ValueError).
SHEET_ERRORS = (*READ_ERRORS, ParseError, DefusedXmlException, ValueError)


def _sheet_rows(source: Source, title: str, rows: Iterator[tuple]) -> Iterator[tuple]:
    """A sheet's rows; openpyxl in read-only mode parses the sheet while it is iterated, so
    damage shows up here, after ``load_workbook`` succeeded."""
    done = 0
    try:
        for cells in rows:
            yield cells
            done += 1
    except SHEET_ERRORS as exc:
        raise InputError(
            f"{source.name}: sheet {title!r}, after row {done}: not a readable Excel sheet "
            f"({_one_line(exc)})"
        ) from exc


def _excel_batches(rows: Iterator[tuple], reader: TableReader, book) -> Iterator[pa.RecordBatch]:
    width = len(reader.header)
    names = [f"c{i}" for i in range(width)]
    buffer: list[list[str]] = [[] for _ in range(width)]
    numbers: list[int] = []
    record = 0
    try:
        for cells in rows:
            if _empty_row(cells):
                continue  # empty spreadsheet rows are layout, not records
            record += 1
            texts = [cell_text(c) for c in cells]
            extra = [t for t in texts[width:] if t]
            if extra:
                reason = f"cells beyond the header's {width} columns"
                reader.malformed.append(Malformed(record, "\t".join(texts), reason))
                continue
            texts += [""] * (width - len(texts))
            for i in range(width):
                buffer[i].append(texts[i])
            numbers.append(record)
            if len(numbers) >= BATCH_ROWS:
                yield _batch_from_columns(names, buffer, numbers)
                buffer, numbers = [[] for _ in range(width)], []
        if numbers:
            yield _batch_from_columns(names, buffer, numbers)
    finally:
        book.close()


def _empty_row(cells: tuple) -> bool:
    return all(c in (None, "") for c in cells)


def _batch_from_columns(names: list[str], columns: list[list[str]], rows: list[int]):
    arrays = [pa.array(col, pa.string()) for col in columns] + [pa.array(rows, pa.int64())]
    return pa.RecordBatch.from_arrays(arrays, names=[*names, SOURCE_ROW])


# -- Parquet ---------------------------------------------------------------------------------------


def _open_parquet(source: Source, on_read: Callable[[int], None]) -> TableReader:
    handle: IO[bytes] = source.open()
    if source.member or source.path.name.lower().endswith(".gz"):
        with handle:
            data = handle.read()
        handle = io.BytesIO(data)  # Parquet needs random access
    try:
        parquet = pq.ParquetFile(handle)
        names = list(parquet.schema_arrow.names)
    except (*READ_ERRORS, UnicodeDecodeError) as exc:  # a column name that is not UTF-8
        handle.close()
        raise InputError(f"{source.name}: not a readable Parquet file ({_one_line(exc)})") from exc
    header = dedupe_header(names)
    reader = TableReader(source, header)
    reader._batches = _parquet_batches(parquet, handle, reader, on_read)
    return reader


def _parquet_batches(parquet: pq.ParquetFile, handle: IO[bytes], reader: TableReader, on_read):
    names = [f"c{i}" for i in range(len(reader.header))]
    total = max(parquet.metadata.num_rows, 1)
    size = reader.source.size
    start = 1
    try:
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
            columns = [_as_text(batch.column(i)) for i in range(batch.num_columns)]
            _check_utf8(reader, columns, start)
            rows = pa.array(range(start, start + batch.num_rows), pa.int64())
            start += batch.num_rows
            on_read(size * batch.num_rows // total)
            yield pa.RecordBatch.from_arrays([*columns, rows], names=[*names, SOURCE_ROW])
    finally:
        handle.close()


def _check_utf8(reader: TableReader, columns: list[pa.Array], start: int) -> None:
    """Parquet does not check that its strings are UTF-8, and the store refuses them later
    with an engine error; say here which column holds them."""
    for name, column in zip(reader.header, columns, strict=False):
        try:
            column.validate(full=True)
        except pa.ArrowInvalid as exc:
            end = start + len(column) - 1
            raise InputError(
                f"{reader.source.name}: column {name!r}, rows {start}-{end}: text that is not "
                f"UTF-8 ({_one_line(exc)})"
            ) from exc


def _as_text(column: pa.Array) -> pa.Array:
    """Typed Parquet values back to text, so every format meets the same normaliser."""
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        return column.cast(pa.string()).fill_null("")
    if pa.types.is_timestamp(column.type) and _all_midnight(column):
        column = column.cast(pa.timestamp("s")).cast(pa.date32())
    if pa.types.is_floating(column.type):
        return pa.array([cell_text(v) for v in column.to_pylist()], pa.string())
    try:
        return column.cast(pa.string()).fill_null("")
    except pa.ArrowException:
        return pa.array([cell_text(v) for v in column.to_pylist()], pa.string())


def _all_midnight(column: pa.Array) -> bool:
    values = [v for v in column.to_pylist() if v is not None]
    return all(v.time() == dt.time() for v in values)


# -- JSON lines ------------------------------------------------------------------------------------

HEADER_SCAN_LINES = 10_000


def _open_jsonl(source: Source, on_read: Callable[[int], None]) -> TableReader:
    keys: dict[str, None] = {}
    with source.open() as handle:
        for i, line in enumerate(handle):
            if i >= HEADER_SCAN_LINES:
                break
            obj = _json_object(line)
            if isinstance(obj, dict):
                keys.update(dict.fromkeys(str(k) for k in obj))
    if not keys:
        raise InputError(f"{source.name}: no JSON object found in the first lines")
    reader = TableReader(source, dedupe_header(list(keys)))  # keys may be "" or hold a NUL
    reader._batches = _jsonl_batches(source, reader, list(keys), on_read)
    return reader


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _json_object(line: bytes) -> object:
    """The parsed line, or None when it is not JSON (``[[[[…`` nested past Python's recursion
    limit counts as not JSON: it is a malformed record, not a reason to stop).

    An unpaired surrogate escape (``"\\ud800"``) parses, but is no text Arrow or the store can
    hold, so such a line is malformed too (and kept, as written, in quarantine).
    """
    try:
        obj = json.loads(line)
        if _SURROGATE_ESCAPE.search(line):
            json.dumps(obj, ensure_ascii=False).encode("utf-8")
        return obj
    except (ValueError, UnicodeDecodeError, UnicodeEncodeError, RecursionError):
        return None


def _jsonl_batches(source: Source, reader: TableReader, keys: list[str], on_read):
    header = keys  # the objects' own keys, in the order of the (deduplicated) header
    names = [f"c{i}" for i in range(len(header))]
    buffer: list[list[str]] = [[] for _ in header]
    numbers: list[int] = []
    record = 0
    with source.open(ProgressFile(source.open_raw(), on_read)) as handle:  # type: ignore[arg-type]
        for line in handle:
            if not line.strip():
                continue
            record += 1
            obj = _json_object(line)
            if not isinstance(obj, dict):
                text = line.decode("utf-8", errors="replace").rstrip("\r\n")
                reason = "malformed line: not a JSON object"
                reader.malformed.append(Malformed(record, text, reason))
                continue
            for i, key in enumerate(header):
                buffer[i].append(_json_text(obj.get(key)))
            numbers.append(record)
            if len(numbers) >= BATCH_ROWS:
                yield _batch_from_columns(names, buffer, numbers)
                buffer, numbers = [[] for _ in header], []
    if numbers:
        yield _batch_from_columns(names, buffer, numbers)


def _json_text(value: object) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return cell_text(value)
