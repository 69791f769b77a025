"""Catalogue of reference files: what each is, where it lives locally, where it comes from.

``tradetrace data import DIR`` copies known files from a directory laid out like the project's
shared data (``hs/``, ``export_controls/``, ``sanctions/<list>/``, ``countries/``) into the
local data store; ``tradetrace data update`` downloads the official versions into the same
layout. Both record what they stored, with SHA-256 and origin, in ``index.json`` so every
screening result can be traced back to the exact file it used.

Files are stored under ``dest/<kind>/...`` at the same relative path as in the source
layout (e.g. ``sanctions/ofac/sdn_2024-05-03.csv.gz``), so :func:`find_sources` works on the
destination too. Dated file names sort chronologically, which is why "newest" means
"greatest name".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import http.client
import json
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Literal

from tradetrace.version import __version__

__all__ = [
    "INDEX_NAME",
    "SOURCES",
    "DownloadError",
    "FoundSource",
    "Kind",
    "Source",
    "atomic_write",
    "download_sources",
    "failure_reason",
    "find_sources",
    "get_source",
    "import_sources",
    "read_index",
    "urllib_fetch",
    "write_index",
]

Kind = Literal["hs", "sanctions", "export_controls", "countries"]
Fetch = Callable[[str, Path], None]

INDEX_NAME = "index.json"
_OFAC = "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/"
_HS = "https://raw.githubusercontent.com/datasets/harmonized-system/"


@dataclass(frozen=True)
class Source:
    """One reference file: where it sits in a data directory and where to download it.

    ``pattern`` is a glob relative to the data directory whose first component is ``kind``.
    ``filename`` is the name a download is saved under (``{date}`` = UTC download date); it
    must match ``pattern``. ``url`` is None for derived or fixture files with no official
    download. ``default`` says whether ``download_sources()`` fetches it when no keys are
    given (off for huge or non-commercial datasets).
    """

    key: str
    kind: Kind
    pattern: str
    url: str | None = None
    filename: str | None = None
    default: bool = True
    note: str = ""

    def __post_init__(self) -> None:
        if self.pattern.split("/", 1)[0] != self.kind:
            raise ValueError(f"{self.key}: pattern {self.pattern!r} must start with {self.kind}/")
        if (self.url is None) != (self.filename is None):
            raise ValueError(f"{self.key}: url and filename go together")

    def download_path(self, day: dt.date) -> str:
        """Relative path a download made on ``day`` is stored under."""
        if self.filename is None:
            raise ValueError(f"{self.key} has no official download")
        directory = self.pattern.rsplit("/", 1)[0]
        return f"{directory}/{self.filename.format(date=day.isoformat())}"


def _ofac(key: str, stem: str, export: str, note: str = "") -> Source:
    ext = export.rsplit(".", 1)[1].lower()
    return Source(
        key,
        "sanctions",
        f"sanctions/ofac/{stem}_[0-9]*.{ext}*",
        _OFAC + export,
        f"{stem}_{{date}}.{ext}",
        note=note,
    )


def _covyr(table: str) -> Source:
    return Source(
        f"uk_covyr_{table}",
        "sanctions",
        f"sanctions/uk_covyr/{table}.csv*",
        note="third-party normalisation of the FCDO UK Sanctions List (covyr/uk-sanctions-list)",
    )


#: Every reference file tradetrace knows, in load order.
SOURCES: tuple[Source, ...] = (
    Source(
        "hs2022",
        "hs",
        "hs/hs2022_nomenclature*.csv",
        _HS + "main/data/harmonized-system.csv",
        "hs2022_nomenclature_{date}.csv",
        note="DataHub core dataset (ODC-PDDL); main branch follows the current HS edition",
    ),
    Source(
        "hs2017",
        "hs",
        "hs/hs2017_nomenclature*.csv",
        _HS + "a72bef25b2749cd04a824b8b46b71c89e566b4bb/data/harmonized-system.csv",
        "hs2017_nomenclature_{date}.csv",
        note="pinned to the commit that completed the HS2017 edition",
    ),
    Source(
        "hs_sections",
        "hs",
        "hs/hs_sections*.csv",
        _HS + "main/data/sections.csv",
        "hs_sections_{date}.csv",
    ),
    Source(
        "chpl",
        "export_controls",
        "export_controls/chpl_hs6_*.csv",
        note="transcription of the BIS/EU/UK/Japan CHPL; also shipped as tradetrace.reference.chpl",
    ),
    Source(
        "ru_goods_sanctions_ldt2022",
        "export_controls",
        "export_controls/russia_goods_sanctions_by_hs_*.csv*",
        note="hackathon compilation of goods-based sanctions by HS code, ~Oct 2022",
    ),
    _ofac("ofac_sdn", "sdn", "SDN.CSV", "legacy CSV without header; '-0-' means empty"),
    _ofac("ofac_alt", "alt", "ALT.CSV"),
    _ofac("ofac_add", "add", "ADD.CSV"),
    _ofac("ofac_comments", "sdn_comments", "SDN_COMMENTS.CSV"),
    _ofac("ofac_sdn_advanced", "sdn_advanced", "SDN_ADVANCED.XML"),
    Source(
        "ofac_first_seen",
        "sanctions",
        "sanctions/ofac/sdn_first_seen_*.csv*",
        note="derived from a git-scraper history of sdn.csv; proxy for designation dates",
    ),
    _ofac("ofac_cons_prim", "cons_prim", "CONS_PRIM.CSV"),
    _ofac("ofac_cons_alt", "cons_alt", "CONS_ALT.CSV"),
    _ofac("ofac_cons_add", "cons_add", "CONS_ADD.CSV"),
    _ofac("ofac_cons_comments", "cons_comments", "CONS_COMMENTS.CSV"),
    Source(
        "uk_ofsi_conlist",
        "sanctions",
        "sanctions/uk_ofsi/uk_ofsi_conlist_*.csv*",
        "https://ofsistorage.blob.core.windows.net/publishlive/2022format/ConList.csv",
        "uk_ofsi_conlist_{date}.csv",
        note="OFSI has announced that the FCDO UK Sanctions List replaces this list; the URL "
        "may stop working",
    ),
    _covyr("subjects"),
    _covyr("subject_names"),
    _covyr("subject_identifiers"),
    _covyr("subject_dobs"),
    _covyr("subject_countries"),
    Source(
        "un_consolidated",
        "sanctions",
        "sanctions/un/un_consolidated_*.xml*",
        "https://scsanctions.un.org/resources/xml/en/consolidated.xml",
        "un_consolidated_{date}.xml",
    ),
    Source(
        "eu_fsf",
        "sanctions",
        "sanctions/eu_fsf/eu_fsf_*.csv*",
        "https://webgate.ec.europa.eu/fsd/fsf/public/files/csvFullSanctionsList_1_1/content"
        "?token=dG9rZW4tMjAxNw",
        "eu_fsf_{date}.csv",
        note="EU Financial Sanctions Files, full list with designation dates",
    ),
    Source(
        "eu_pakote",
        "sanctions",
        "sanctions/eu_un_ofac_pakote/all_*.json*",
        note="derived EU+UN+OFAC names/identifiers without dates (haverisenosku/pakote_data)",
    ),
    Source(
        "opensanctions_delta",
        "sanctions",
        "sanctions/opensanctions/yente_fixture_entities.delta_*.json*",
        note="yente test fixture; OpenSanctions data is CC BY-NC 4.0",
    ),
    Source(
        "opensanctions_t1",
        "sanctions",
        "sanctions/opensanctions/yente_fixture_t1_entities.ftm.json*",
        note="yente test fixture in entities.ftm.json format; CC BY-NC 4.0",
    ),
    Source(
        "opensanctions_default",
        "sanctions",
        "sanctions/opensanctions/opensanctions_default_*.ftm.json*",
        "https://data.opensanctions.org/datasets/latest/default/entities.ftm.json",
        "opensanctions_default_{date}.ftm.json",
        default=False,
        note="several GB and CC BY-NC 4.0 (commercial use needs a licence): only on request",
    ),
    Source(
        "ru_unfriendly",
        "countries",
        "countries/russia_unfriendly_countries*.csv",
        note="hackathon encoding of Government Order 430-r; not the legal text",
    ),
)

_BY_KEY: dict[str, Source] = {s.key: s for s in SOURCES}


def get_source(key: str) -> Source:
    """Catalogue entry for ``key``; ValueError listing the known keys otherwise."""
    try:
        return _BY_KEY[key]
    except KeyError:
        raise ValueError(f"unknown source {key!r}; known: {', '.join(_BY_KEY)}") from None


@dataclass(frozen=True)
class FoundSource:
    """A catalogued file present on disk, identified by content hash."""

    source: Source
    path: Path
    sha256: str
    size: int


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _newest(data_dir: Path, source: Source) -> Path | None:
    matches = [
        p for p in data_dir.glob(source.pattern) if p.is_file() and not p.name.startswith(".")
    ]
    return max(matches, key=lambda p: p.name) if matches else None


def find_sources(data_dir: Path) -> list[FoundSource]:
    """Catalogued files present under ``data_dir``, the newest (greatest name) per source."""
    data_dir = Path(data_dir)
    if not data_dir.exists():
        raise FileNotFoundError(f"data directory not found: {data_dir}")
    if not data_dir.is_dir():
        raise NotADirectoryError(f"not a directory: {data_dir}")
    found = []
    for source in SOURCES:
        path = _newest(data_dir, source)
        if path is not None:
            found.append(FoundSource(source, path, _sha256(path), path.stat().st_size))
    return found


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def read_index(dest: Path) -> dict[str, dict[str, Any]]:
    """Entries of ``dest/index.json`` by source key (empty if there is no index yet)."""
    path = Path(dest) / INDEX_NAME
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text("utf-8"))
        return {entry["key"]: entry for entry in data["files"]}
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not a tradetrace data index ({exc})") from exc


def write_index(dest: Path, entries: dict[str, dict[str, Any]]) -> None:
    order = {s.key: n for n, s in enumerate(SOURCES)}
    files = sorted(entries.values(), key=lambda e: (order.get(e["key"], len(order)), e["key"]))
    payload = json.dumps({"version": 1, "files": files}, indent=2, ensure_ascii=False)
    atomic_write(dest / INDEX_NAME, lambda tmp: tmp.write_text(payload + "\n", "utf-8"))


def atomic_write(target: Path, write: Callable[[Path], object]) -> None:
    """Write via a hidden temp file in the target directory, then ``os.replace``.

    Readers never see a half-written file, and an interrupted run leaves only a dot-file
    that no catalogue pattern matches.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _entry(found: FoundSource, dest: Path, origin: str) -> dict[str, Any]:
    return {
        "key": found.source.key,
        "kind": found.source.kind,
        "file": found.path.relative_to(dest).as_posix(),
        "sha256": found.sha256,
        "size": found.size,
        "imported_at": _now(),
        "origin": origin,
    }


def _holds(target: Path, item: FoundSource) -> bool:
    """True if ``target`` already has ``item``'s content (size checked first: cheap)."""
    return (
        target.is_file() and target.stat().st_size == item.size and _sha256(target) == item.sha256
    )


def import_sources(data_dir: Path, dest: Path) -> list[FoundSource]:
    """Copy every catalogued file found in ``data_dir`` into ``dest``; return the new copies.

    Files already in ``dest`` with the same SHA-256 are not copied again (and not returned),
    so re-running an import is cheap and leaves ``imported_at`` unchanged.
    """
    data_dir, dest = Path(data_dir), Path(dest)
    if not data_dir.exists():
        raise FileNotFoundError(f"data directory not found: {data_dir}")
    found = find_sources(data_dir)
    if not found:
        patterns = ", ".join(s.pattern for s in SOURCES)
        raise ValueError(f"{data_dir} contains none of the known reference files ({patterns})")
    before = read_index(dest)
    index = dict(before)
    copied: list[FoundSource] = []
    for item in found:
        rel = item.path.relative_to(data_dir)
        target = dest / rel
        stored = FoundSource(item.source, target, item.sha256, item.size)
        if not _holds(target, item):
            atomic_write(target, partial(shutil.copyfile, item.path))  # copyfile(src, tmp)
            copied.append(stored)
            index[item.source.key] = _entry(stored, dest, str(item.path.resolve()))
        elif index.get(item.source.key, {}).get("sha256") != item.sha256:
            index[item.source.key] = _entry(stored, dest, str(item.path.resolve()))
    if index != before:
        write_index(dest, index)
    return copied


def urllib_fetch(url: str, dest_path: Path, timeout: float = 120.0) -> None:
    """Stream ``url`` into ``dest_path`` with a timeout and an identifying User-Agent."""
    request = urllib.request.Request(
        url, headers={"User-Agent": f"tradetrace/{__version__} (reference data update)"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response, dest_path.open("wb") as fh:
        shutil.copyfileobj(response, fh, 1 << 20)


class DownloadError(Exception):
    """A source could not be fetched; the message names it and its address for the user."""

    def __init__(self, source: Source, url: str, reason: str) -> None:
        super().__init__(f"{source.key}: cannot download {url} ({reason})")
        self.source, self.url, self.reason = source, url, reason


def failure_reason(exc: BaseException) -> str:
    """Why a fetch failed, in words: ``Temporary failure…``, not ``<urlopen error […]>``."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):  # wraps the socket error: say that one
        reason = exc.reason
        return failure_reason(reason) if isinstance(reason, BaseException) else str(reason)
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def _selected(keys: Iterable[str] | None) -> list[tuple[Source, str]]:
    """(source, url) pairs to download; all default downloadable sources when keys is None."""
    if keys is None:
        return [(s, s.url) for s in SOURCES if s.url is not None and s.default]
    chosen = [get_source(k) for k in keys]
    missing = [s.key for s in chosen if s.url is None]
    if missing:
        raise ValueError(f"no official download for: {', '.join(missing)}")
    return [(s, s.url) for s in chosen if s.url is not None]


def download_sources(
    dest: Path,
    keys: list[str] | None = None,
    fetch: Fetch = urllib_fetch,
    today: dt.date | None = None,
) -> list[FoundSource]:
    """Download official files into ``dest`` (same layout as import) and index them.

    ``keys=None`` means every source with a URL and ``default=True``. ``fetch(url, path)``
    writes the body to ``path``; it is injectable so tests never touch the network. A failed
    download raises :class:`DownloadError` naming the source and its URL, and leaves no
    partial file; downloads completed before it are still indexed.
    """
    dest = Path(dest)
    day = today or dt.datetime.now(dt.UTC).date()
    index = read_index(dest)
    done: list[FoundSource] = []
    try:
        for source, url in _selected(keys):
            target = dest / source.download_path(day)

            def _fetch(tmp: Path, source: Source = source, url: str = url) -> None:
                try:
                    fetch(url, tmp)
                except (OSError, http.client.HTTPException) as exc:
                    raise DownloadError(source, url, failure_reason(exc)) from exc
                if tmp.stat().st_size == 0:
                    raise DownloadError(source, url, "the server sent an empty file")

            atomic_write(target, _fetch)
            found = FoundSource(source, target, _sha256(target), target.stat().st_size)
            index[source.key] = _entry(found, dest, url)
            done.append(found)
    finally:
        if done:
            write_index(dest, index)
    return done
