"""Small helpers every sanctions-list loader needs, so each loader reads files the same way.

Lists arrive gzipped or not, in UTF-8 or in Windows code pages, with dates in several
styles and country names in the list's own spelling ("Congo, Democratic Republic of
the", "Region: Gaza"). Errors must reach the user as one line naming the file and the
place, never as a traceback, so every loader raises :class:`LoaderError` (an
:class:`~tradetrace.errors.InputError`).

Public API (kept small and stable; other loaders import it):

- :class:`LoaderError` — one-line error naming file and line/position.
- :class:`LoadStats` — counts a loader fills in while it is iterated.
- :func:`open_binary`, :func:`read_text`, :func:`open_text` — gzip-aware reading with
  encoding detection.
- :func:`iterparse_xml`, :func:`local_name` — safe streaming XML (defusedxml).
- :func:`parse_date`, :func:`date_in_name`, :func:`file_version` — dates and versions.
- :func:`country_codes`, :func:`split_names`, :func:`clean`, :func:`unique` — values.
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser
from defusedxml.ElementTree import iterparse as _defused_iterparse

from tradetrace.errors import InputError
from tradetrace.reference.countries import to_iso2

__all__ = [
    "LoadStats",
    "LoaderError",
    "clean",
    "country_codes",
    "date_in_name",
    "decode_bytes",
    "file_version",
    "iterparse_xml",
    "local_name",
    "open_binary",
    "open_text",
    "parse_date",
    "read_text",
    "split_names",
    "unique",
]

_GZIP_MAGIC = b"\x1f\x8b"
_DOS_EOF = "\x1a"  # OFAC's legacy CSVs end with a Ctrl-Z byte


class LoaderError(InputError):
    """A list file cannot be read; the message names the file and the line or position."""

    def __init__(
        self, path: Path | str, message: str, line: int | None = None, column: int | None = None
    ) -> None:
        where = str(path)
        if line is not None:
            where += f": line {line}"
            if column is not None:
                where += f", column {column}"
        # One line: the CLI prints the message as is.
        super().__init__(f"{where}: {' '.join(str(message).split())}")
        self.path = str(path)
        self.line = line
        self.column = column


@dataclass
class LoadStats:
    """What a loader saw, filled in while its iterator runs (complete once exhausted).

    Loaders are generators, so they cannot return counts; the caller passes a
    ``LoadStats`` in and reads it after iterating. ``skipped`` counts rows that were
    read but not used, by reason (e.g. ``"alt_without_sdn_row"``); ``notes`` holds
    human-readable caveats worth printing once.
    """

    entries: int = 0
    rows: Counter[str] = field(default_factory=Counter)  # rows read, per file kind
    skipped: Counter[str] = field(default_factory=Counter)
    encodings: dict[str, str] = field(default_factory=dict)  # file -> encoding used
    version: str = ""
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain-data view for JSON output or logging."""
        return {
            "entries": self.entries,
            "rows": dict(self.rows),
            "skipped": dict(self.skipped),
            "encodings": dict(self.encodings),
            "version": self.version,
            "notes": list(self.notes),
        }


# --- reading files --------------------------------------------------------------------


def open_binary(path: Path) -> IO[bytes]:
    """Open ``path`` for binary reading, decompressing gzip (detected by its magic bytes,
    so a ``.gz`` name is not required and a mis-named plain file still opens)."""
    try:
        handle = open(path, "rb")  # noqa: SIM115 - returned to the caller
    except OSError as exc:
        raise LoaderError(path, f"cannot open: {exc.strerror or exc}") from exc
    if handle.peek(2)[:2] == _GZIP_MAGIC:
        handle.close()
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return handle


def decode_bytes(data: bytes) -> tuple[str, str]:
    """``(text, encoding)``: UTF-8 (BOM dropped) if valid, else cp1252, else latin-1.

    OFAC and other publishers have shipped Windows-1252 files; latin-1 decodes any
    byte, so the last fallback never fails (it only misreads cp1252's 0x80-0x9F).
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def read_text(path: Path) -> tuple[str, str]:
    """The whole file as text and the encoding used; a trailing Ctrl-Z is dropped.

    List files are a few MB, so reading them whole is cheap and lets the encoding be
    decided from all bytes rather than a guess from the first block.
    """
    try:
        with open_binary(path) as handle:
            data = handle.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise LoaderError(path, f"cannot read (damaged gzip?): {exc}") from exc
    text, encoding = decode_bytes(data)
    return text.rstrip(_DOS_EOF), encoding


def open_text(path: Path) -> io.StringIO:
    """The file as a text stream for :mod:`csv` (line endings untouched: ``newline=""``)."""
    return io.StringIO(read_text(path)[0], newline="")


# --- XML ------------------------------------------------------------------------------


def local_name(tag: str | Any) -> str:
    """Tag without its namespace (``{ns}Alias`` -> ``Alias``), so parsers ignore schema
    namespace changes between list versions."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def iterparse_xml(path: Path, events: Sequence[str] = ("end",)) -> Iterator[tuple[str, Element]]:
    """Stream ``(event, element)`` from ``path`` (gzip-aware) with defusedxml.

    Any DTD is refused: entity declarations (billion laughs), external entities (XXE) and
    external DTDs.
    Every parse failure becomes a :class:`LoaderError` with the line and column.
    Callers should ``elem.clear()`` what they have consumed to keep memory flat.
    """
    # forbid_dtd: no published list has a DOCTYPE, so any DTD (an external one, which expat
    # would silently skip, or entity declarations) is refused rather than half-trusted.
    parser = DefusedXMLParser(target=TreeBuilder(), forbid_dtd=True)
    with open_binary(path) as handle:
        try:
            yield from _defused_iterparse(handle, events=tuple(events), parser=parser)
        except ParseError as exc:
            line, column = getattr(exc, "position", (None, None))
            message = re.sub(r":\s*line \d+, column \d+\s*$", "", str(exc))
            raise LoaderError(path, f"malformed XML: {message}", line, column) from exc
        except DefusedXmlException as exc:
            expat = parser.parser
            raise LoaderError(
                path,
                f"unsafe XML refused ({type(exc).__name__}: entities/DTD are not allowed)",
                expat.CurrentLineNumber,
                expat.CurrentColumnNumber,
            ) from exc
        except (OSError, EOFError, zlib.error) as exc:
            raise LoaderError(path, f"cannot read (damaged gzip?): {exc}") from exc
        except (LookupError, ValueError) as exc:  # the declared encoding: unknown / multi-byte
            expat = parser.parser
            raise LoaderError(
                path,
                f"unsupported XML encoding ({exc})",
                expat.CurrentLineNumber,
                expat.CurrentColumnNumber,
            ) from exc


# --- dates and versions -----------------------------------------------------------------

_NAME_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")


def parse_date(text: str | None, formats: Iterable[str] = ("%Y-%m-%d",)) -> str | None:
    """ISO ``YYYY-MM-DD`` for the first format that parses ``text``, else ``None``.

    Empty input is ``None``. With ``%Y-%m-%d`` among the formats an ISO timestamp
    (``2026-02-27T00:00:09.554Z``) or an ``xs:date`` with a zone (``2015-04-07-04:00``,
    as the UN list writes some dates) is accepted too, by its date part.
    """
    text = (text or "").strip()
    if not text:
        return None
    formats = tuple(formats)
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    if "%Y-%m-%d" in formats and len(text) > 10 and text[10] in "T +-Z":
        try:
            return date.fromisoformat(text[:10]).isoformat()
        except ValueError:
            return None
    return None


def date_in_name(path: Path | str) -> str | None:
    """The last valid ``YYYY-MM-DD`` in a file name (``sdn_2024-05-03.csv.gz``), if any."""
    for match in reversed(list(_NAME_DATE.finditer(Path(path).name))):
        found = parse_date(match.group(0))
        if found:
            return found
    return None


def file_version(path: Path, version: str | None = None, own_stamp: str | None = None) -> str:
    """A list file's version: the caller's ``version``, else the file's own stamp (e.g.
    an XML ``dateGenerated``), else a date in its name, else its modification date.

    An explicit argument wins because the caller knows better than a file name.
    """
    if version:
        return version
    if own_stamp:
        return own_stamp
    named = date_in_name(path)
    if named:
        return named
    try:
        return date.fromtimestamp(Path(path).stat().st_mtime).isoformat()
    except OSError:
        return ""


# --- values ---------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")


def clean(value: str | None) -> str | None:
    """Whitespace collapsed and stripped; ``None`` for missing or blank values."""
    if value is None:
        return None
    value = _SPACES.sub(" ", value).strip()
    return value or None


def unique(values: Iterable[str | None]) -> tuple[str, ...]:
    """Non-empty values once each, in first-seen order."""
    return tuple(dict.fromkeys(v for v in values if v))


def split_names(text: str | None, separators: str = ";") -> list[str]:
    """Split a cell holding several names (``"A ; B"``) into cleaned, distinct names."""
    if not text:
        return []
    pattern = "|".join(re.escape(sep) for sep in separators)
    return list(unique(clean(part) for part in re.split(pattern, text)))


# Names used by sanctions lists for places ISO 3166 has no key for in our alias table.
# (Kept here rather than in the reference YAML because they are list-specific.)
_LIST_PLACES = {
    "PALESTINIAN": "PS",
    "PALESTINIAN AUTHORITY": "PS",
    "WEST BANK": "PS",
    "GAZA": "PS",
    "GAZA STRIP": "PS",
    "NORTH GAZA": "PS",
    "NORTHERN GAZA": "PS",
    "CRIMEA": "UA",
}
_REGION_PREFIX = re.compile(r"^\s*region\s*:\s*", re.IGNORECASE)
_LIST_SEPARATORS = re.compile(r"\s*(?:[;,/]|\band\b)\s*", re.IGNORECASE)


def _one_country(text: str) -> str | None:
    """ISO2 for one country phrase, trying the list styles ``to_iso2`` does not know:
    a ``Region:`` prefix and inverted names (``Congo, Democratic Republic of the``)."""
    text = _REGION_PREFIX.sub("", text).strip()
    if not text:
        return None
    found = to_iso2(text) or _LIST_PLACES.get(" ".join(text.upper().split()))
    if found:
        return found
    if text.count(",") == 1:
        head, tail = (part.strip() for part in text.split(","))
        tail = re.sub(r"^the\s+", "", tail, flags=re.IGNORECASE)
        return to_iso2(f"{tail} {head}")
    return None


def country_codes(text: str | None) -> tuple[str, ...]:
    """ISO2 codes named by ``text``: one country, or a list (``"Russia; Belarus"``).

    The whole phrase is tried first (``"Korea, North"`` is one country); only if it
    is unknown is it split on ``, ; / and``. Unknown parts are dropped.
    """
    if not text or not text.strip():
        return ()
    whole = _one_country(text)
    if whole:
        return (whole,)
    return unique(_one_country(part) for part in _LIST_SEPARATORS.split(text))
