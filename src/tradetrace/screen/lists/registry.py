"""Every sanctions list tradetrace reads, one entry each: a new list is one new entry.

A :class:`ListSource` is one list as the store names it (the ``list`` column of
``list_entries``): who designates on it, and how the findings, the report and the
FollowTheMoney export say so. It comes in one or more file formats; a
:class:`ListFormat` says how its files are recognised and which loader reads them.

``lists load`` detects and loads through :func:`detect` and :func:`get_format`; the
findings and report word a listing with :func:`list_authority` and :func:`list_short`;
the graph export names the keeper with :func:`list_source`. Loaders are imported on
first use, so reading a label does not import every parser.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

from tradetrace.errors import InputError

if TYPE_CHECKING:
    from tradetrace.screen.lists.model import ListEntry

__all__ = [
    "SOURCES",
    "ListFormat",
    "ListSource",
    "Peek",
    "detect",
    "format_ids",
    "get_format",
    "list_authority",
    "list_short",
    "list_source",
]

Loader = Callable[[Path], Iterable["ListEntry"]]
#: ``load_as_of(path, "2023-01-01")``: the list as it stood on an ISO date.
AsOfLoader = Callable[[Path, str], Iterable["ListEntry"]]

#: How much of a file detection reads: enough for an XML root and a CSV header row.
HEAD_BYTES = 65_536


@dataclass(frozen=True)
class Peek:
    """What detection sees of a file: its lower-case name and its first bytes as text."""

    path: Path
    name: str
    head: str

    @property
    def text(self) -> str:
        """The head without a byte-order mark or leading blank lines."""
        return self.head.lstrip("\ufeff \r\n\t")

    @property
    def xml(self) -> bool:
        return self.text.startswith("<") or self.name.endswith((".xml", ".xml.gz"))

    @property
    def json(self) -> bool:
        return self.text.startswith("{")


@dataclass(frozen=True)
class ListFormat:
    """One file format of a list: the ``--list`` value, how it is recognised, its loader.

    ``folder`` formats are read from a folder of tables (and only folders are offered to
    them); the others from one file, possibly gzipped. ``load_as_of`` rebuilds the list as
    it stood on a past date from a history of its entries (``lists load --as-of``); None
    for formats without one.
    """

    id: str
    recognises: Callable[[Peek], bool]
    load: Loader
    folder: bool = False
    load_as_of: AsOfLoader | None = None


@dataclass(frozen=True)
class ListSource:
    """One list, as its entries are named in the store, and how a reader is told about it.

    ``designated_by`` and ``which_list`` make the findings' prose ("designated by the US
    Treasury's OFAC (SDN list)"; ``which_list`` is empty when the authority keeps one list);
    ``short`` labels charts and table cells; ``authority`` is the keeper's formal name in
    the FollowTheMoney export, and ``entry_url`` the public page of one entry (``{id}``).
    """

    name: str
    designated_by: str
    which_list: str
    short: str
    authority: str | None
    formats: tuple[ListFormat, ...]
    entry_url: str | None = None

    def names(self) -> tuple[str, ...]:
        """Prefixes a list name is matched on: its own, and its formats' ``--list`` values."""
        return (self.name, *(f.id for f in self.formats))


def _lazy(module: str, function: str, **options: str) -> Loader:
    """``screen.lists.<module>.<function>``, imported when a file is first loaded."""

    def load(path: Path) -> Iterable[ListEntry]:
        loader: Callable[..., Iterable[ListEntry]]
        loader = getattr(import_module(f"tradetrace.screen.lists.{module}"), function)
        return loader(path, **options)

    return load


def _lazy_as_of(module: str, function: str, **options: str) -> AsOfLoader:
    """As :func:`_lazy`, for a loader that takes ``as_of`` (an ISO date)."""

    def load(path: Path, as_of: str) -> Iterable[ListEntry]:
        return _lazy(module, function, **options, as_of=as_of)(path)

    return load


def _sdn_csv(f: Peek) -> bool:
    """OFAC's legacy CSVs have no header: only the name tells ``sdn.csv`` from its side files."""
    sides = ("sdn_comments", "sdn_first_seen")
    return f.name.startswith("sdn") and ".csv" in f.name and not f.name.startswith(sides)


def _ofac_xml(f: Peek) -> bool:
    """OFAC's advanced XML: its parties or reference tables, or its usual file name."""
    markers = ("DistinctParty", "ReferenceValueSets")
    return f.xml and (any(m in f.head for m in markers) or "sdn_advanced" in f.name)


_OFAC = "US Department of the Treasury, Office of Foreign Assets Control (OFAC)"
_OFAC_ENTRY = "https://sanctionssearch.ofac.treas.gov/Details.aspx?id={id}"

#: Every list, in detection order: the first format that recognises a file reads it.
SOURCES: tuple[ListSource, ...] = (
    ListSource(
        name="ofac_cons",
        designated_by="the US Treasury's OFAC",
        which_list="non-SDN lists",
        short="OFAC non-SDN",
        authority=_OFAC,
        entry_url=_OFAC_ENTRY,
        formats=(
            ListFormat(
                "ofac_cons",
                lambda f: f.name.startswith("cons_prim"),
                _lazy("ofac", "load_ofac_csv_beside", list_name="ofac_cons"),
            ),
        ),
    ),
    ListSource(
        name="ofac_sdn",
        designated_by="the US Treasury's OFAC",
        which_list="SDN list",
        short="OFAC SDN",
        authority=_OFAC,
        entry_url=_OFAC_ENTRY,
        formats=(
            ListFormat(
                "ofac_sdn",
                _sdn_csv,
                _lazy("ofac", "load_ofac_csv_beside", list_name="ofac_sdn"),
                load_as_of=_lazy_as_of("ofac", "load_ofac_csv_beside", list_name="ofac_sdn"),
            ),
            ListFormat(
                "ofac_advanced",
                _ofac_xml,
                _lazy("ofac", "load_ofac_advanced_xml"),
            ),
        ),
    ),
    ListSource(
        name="un",
        designated_by="the UN Security Council",
        which_list="",
        short="UN",
        authority="United Nations Security Council",
        formats=(
            ListFormat(
                "un", lambda f: f.xml and "CONSOLIDATED_LIST" in f.head, _lazy("un", "load_un_xml")
            ),
        ),
    ),
    ListSource(
        name="eu",
        designated_by="the European Union",
        which_list="",
        short="EU",
        authority="European Union",
        formats=(
            ListFormat(
                "eu_xml",
                lambda f: f.xml and ("sanctionEntity" in f.head or "<export" in f.head),
                _lazy("eu", "load_eu_fsf_xml"),
            ),
            ListFormat(
                "eu_csv", lambda f: "Entity_LogicalId" in f.head, _lazy("eu", "load_eu_fsf_csv")
            ),
            ListFormat(
                "eu_pakote",
                lambda f: f.json and '"metadata"' in f.head[:2000] and '"entities"' in f.head,
                _lazy("eu", "load_pakote_json"),
            ),
        ),
    ),
    ListSource(
        name="uk_ofsi",
        designated_by="the United Kingdom",
        which_list="",
        short="UK",
        authority="HM Treasury, Office of Financial Sanctions Implementation (OFSI)",
        formats=(
            ListFormat(
                "uk_ofsi",
                lambda f: "Group ID" in f.head and "Name 6" in f.head,
                _lazy("uk", "load_ofsi_conlist"),
            ),
        ),
    ),
    ListSource(
        name="uk_sanctions_list",
        designated_by="the United Kingdom",
        which_list="",
        short="UK",
        authority="UK Foreign, Commonwealth and Development Office (UK Sanctions List)",
        formats=(
            ListFormat(
                "uk_sanctions_list",
                lambda f: (f.path / "subjects.csv").is_file(),
                _lazy("uk", "load_uk_sanctions_list"),
                folder=True,
            ),
        ),
    ),
    ListSource(
        name="opensanctions",
        designated_by="a sanctions authority",
        which_list="as recorded in OpenSanctions data",
        short="OpenSanctions",
        authority=None,  # OpenSanctions gathers many authorities' lists
        formats=(
            ListFormat(
                "opensanctions",
                lambda f: f.json and ('"schema"' in f.head or '"op"' in f.head),
                _lazy("opensanctions", "load_ftm"),
            ),
        ),
    ),
)


def _formats() -> list[ListFormat]:
    return [form for source in SOURCES for form in source.formats]


def format_ids() -> list[str]:
    """Every ``--list`` value, in detection order."""
    return [form.id for form in _formats()]


def get_format(format_id: str) -> ListFormat:
    """The format a ``--list`` value names; an :class:`InputError` listing them otherwise."""
    for form in _formats():
        if form.id == format_id:
            return form
    raise InputError(f"unknown list format {format_id!r}; known: {', '.join(format_ids())}")


def _head(path: Path) -> str:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            return handle.read(HEAD_BYTES).decode("utf-8", errors="replace")
    except (OSError, EOFError, zlib.error) as exc:  # zlib.error: a corrupt .gz
        raise InputError(f"{path}: cannot read ({exc})") from exc


def detect(path: Path) -> str:
    """The format of a list file (or folder of tables), from its name and first bytes."""
    path = Path(path)
    folder = path.is_dir()
    peek = Peek(path, path.name.lower(), "" if folder else _head(path))
    for form in _formats():
        if form.folder == folder and form.recognises(peek):
            return form.id
    known = ", ".join(form.id for form in _formats() if form.folder == folder)
    what = "a folder, but not the tables of a list" if folder else "not a sanctions list format"
    raise InputError(f"{path}: {what} tradetrace knows; use --list with one of {known}")


def list_source(name: str) -> ListSource | None:
    """The source of a list name (``ofac_sdn``, also ``ofac_advanced`` …); None if unknown."""
    return next((s for s in SOURCES if name.startswith(s.names())), None)


def list_authority(name: str) -> tuple[str, str]:
    """(who designates, which list), e.g. ("the US Treasury's OFAC", "SDN list")."""
    source = list_source(name)
    return (source.designated_by, source.which_list) if source else (name, "")


def list_short(name: str) -> str:
    """``OFAC SDN``: a list's name for charts and table cells (the name itself if unknown)."""
    source = list_source(name)
    return source.short if source else name
