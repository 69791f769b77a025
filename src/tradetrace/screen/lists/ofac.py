"""OFAC loaders: the legacy CSV files (SDN and non-SDN consolidated) and ``sdn_advanced.xml``.

Why two formats: the legacy CSVs (``sdn.csv``, ``alt.csv``, ``add.csv``,
``sdn_comments.csv``; ``cons_prim/alt/add/comments.csv`` for the non-SDN list) are what
git scrapers keep, so they are what historical snapshots exist for; the advanced XML
is OFAC's full model and the only OFAC file with a real listing date (its
``EntryEvent`` "Created").

Listing dates for the CSVs: the legacy CSV has none, so they come from a derived
"first seen" table built from scraper snapshots (``sdn_first_seen_….csv``): the date
of the first snapshot containing the entry, usually the designation date or one day
later. Entries already present in the first snapshot get ``listing_date=None`` with a
note, because their true date is earlier and unknown — a missing date must never
read as "listed recently".

The list as it stood on a past date (``as_of="2023-01-01"``, ``lists load --as-of``) is
rebuilt from the same table: an entry was on the list on DATE when its first snapshot
is on or before DATE (censored entries: the first snapshot) and it was not removed by
then (``removed_by_date`` empty or after DATE). Entries removed before the ``sdn``
file's date come from the table alone (name, type, programs); none has a delisting
date, since the list of that day could not know it. The others keep the names,
aliases, addresses and remarks of the ``sdn`` file, the only content at hand. The
version is DATE, which must lie within the history (first snapshot to the earlier of
its last snapshot and the ``sdn`` file's date).

Identifiers come from the Remarks (OFAC writes them there: ``Tax ID No. 7743237789
(Russia); Registration Number 5177746340998 (Russia)``). Russian tax and registration
numbers that pass their check digits become ``inn`` / ``ogrn``; other numbers keep a
generic short type (``tax_id``, ``registration``, ``passport``, ``national_id``,
``swift``, ``imo``, ``bik``, ``lei``) with the issuing country when given.

Usage::

    stats = LoadStats()
    entries = list(load_ofac_csv(sdn, alt, add, comments, first_seen, stats=stats))
    stats.skipped["alt_without_sdn_row"]   # aliases of entities missing from sdn.csv

    load_ofac_csv(cons_prim, cons_alt, cons_add, cons_comments, list_name="ofac_cons")

    load_ofac_csv(sdn, alt, add, comments, first_seen, as_of="2023-01-01", stats=stats)
    stats.skipped["as_of_first_seen_after_date"]   # entries listed after 2023-01-01
"""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import Element

from tradetrace.dates import parse_date as to_date
from tradetrace.reference.countries import to_iso2
from tradetrace.resolve.identifiers import (
    ids_in_text,
    normalise_imo,
    normalise_inn,
    normalise_ogrn,
)
from tradetrace.screen.lists.common import (
    LoaderError,
    LoadStats,
    clean,
    country_codes,
    file_version,
    iterparse_xml,
    local_name,
    parse_date,
    read_text,
    unique,
)
from tradetrace.screen.lists.model import Alias, Identifier, ListEntry

__all__ = [
    "FIRST_SEEN_NOTE",
    "classify_identifier",
    "load_ofac_advanced_xml",
    "load_ofac_csv",
    "load_ofac_csv_beside",
    "parse_programs",
    "parse_remarks",
]

SDN_COLUMNS = (
    "ent_num", "SDN_Name", "SDN_Type", "Program", "Title", "Call_Sign", "Vess_type",
    "Tonnage", "GRT", "Vess_flag", "Vess_owner", "Remarks",
)  # fmt: skip
ALT_COLUMNS = ("ent_num", "alt_num", "alt_type", "alt_name", "alt_remarks")
ADD_COLUMNS = ("ent_num", "add_num", "address", "city_state_zip", "country", "add_remarks")
COMMENTS_COLUMNS = ("ent_num", "remarks_continuation")
FIRST_SEEN_REQUIRED = ("ent_num", "first_seen_date", "first_seen_is_censored", "removed_by_date")

FIRST_SEEN_NOTE = (
    "first seen in OFAC SDN snapshots (proxy: usually the designation date or 1 day later)"
)
CENSORED_NOTE = "listed before {first} (first snapshot); exact date unknown"
DELISTED_NOTE = "delisting_date = first snapshot without the entry"
NO_DATE_NOTE = "OFAC legacy CSV has no listing date"

_NULL = "-0-"
_REMARKS_CAP = 1000  # OFAC cuts Remarks at 1,000 characters; sdn_comments holds the rest
_SCHEMAS = {"individual": "Person", "vessel": "Vessel", "aircraft": "Aircraft", "entity": "Company"}
_ALIAS_TYPES = {"aka": "aka", "fka": "fka", "nka": "nka"}


# --- identifiers and remarks ------------------------------------------------------------

# Label (as OFAC writes it, lower-case, "alt." removed) -> identifier type.
_LABEL_KINDS: dict[str, str] = {
    "tax id no.": "tax_id",
    "r.f.c.": "tax_id",
    "v.a.t. number": "tax_id",
    "registration number": "registration",
    "registration id": "registration",
    "business registration number": "registration",
    "public registration number": "registration",
    "commercial registry number": "registration",
    "company number": "registration",
    "uk company number": "registration",
    "business number": "registration",
    "enterprise number": "registration",
    "chamber of commerce number": "registration",
    "unified social credit code (uscc)": "registration",
    "passport": "passport",
    "diplomatic passport": "passport",
    "national id no.": "national_id",
    "identification number": "national_id",
    "personal id card": "national_id",
    "cedula no.": "national_id",
    "c.u.r.p.": "national_id",
    "d.n.i.": "national_id",
    "vessel registration identification": "imo",
    "imo": "imo",
    "swift/bic": "swift",
    "bik (ru)": "bik",
    "legal entity number": "lei",
}
_LABEL = re.compile(
    r"^(?P<label>"
    + "|".join(re.escape(k) for k in sorted(_LABEL_KINDS, key=len, reverse=True))
    + r")(?![a-z])\s*:?\s*(?P<rest>.+)$",
    re.IGNORECASE,
)
# "753129173 (Russia) expires 29 Apr 2026", "AABA 670850 Y", "T321642 issued 2005"
_VALUE_COUNTRY = re.compile(
    r"^(?P<value>[^()]*?)\s*"
    r"(?:\((?P<country>[^()]*)\).*|\s(?:issued|expires?|expired|valid|dated)\b.*)?$",
    re.IGNORECASE,
)
_SWIFT = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?$")
_ALIAS_CLAUSE = re.compile(r"^(?P<kind>a\.k\.a\.|f\.k\.a\.|n\.k\.a\.)\s*'(?P<name>.+)'$", re.I)
_REMARK_ALIAS_TYPES = {"a.k.a.": "weak", "f.k.a.": "fka", "n.k.a.": "nka"}
_NATIONALITY = re.compile(r"^(?:nationality|citizen)\s+(?P<country>.+)$", re.IGNORECASE)
_QUALIFIER = re.compile(r"\(([^()]{2,60})\)")
_LISTING_DATE = re.compile(
    r"Listing Date \((?P<what>[^)]*)\):?\s*(?P<date>\d{1,2} [A-Z][a-z]{2} \d{4})"
)
_RUSSIA = (None, "RU")


def classify_identifier(label: str, value: str, country: str | None = None) -> Identifier | None:
    """One OFAC identifier (label as OFAC writes it, raw value, ISO2 country) as an
    :class:`Identifier`, or ``None`` for labels we do not keep or invalid values.

    Russian tax and registration numbers with valid check digits become ``inn`` /
    ``ogrn`` (country ``RU``), because those are what customs declarations carry and
    what the matcher treats as decisive. IMO numbers must pass their check digit.
    """
    kind = _LABEL_KINDS.get(" ".join(label.lower().split()))
    value = " ".join(value.split()).strip(" .,;")
    if kind is None or not value:
        return None
    if kind == "imo":
        imo = normalise_imo(value)
        return Identifier("imo", imo) if imo else None
    if kind == "bik":  # the label itself says "(RU)": Bank of Russia bank code
        return Identifier("bik", value.replace(" ", ""), "RU")
    if kind == "swift":
        bic = value.replace(" ", "").upper()
        if not _SWIFT.fullmatch(bic):
            return None
        return Identifier("swift", bic, country or to_iso2(bic[4:6]))
    if kind == "tax_id" and country in _RUSSIA and (inn := normalise_inn(value)):
        return Identifier("inn", inn, "RU")
    if kind == "registration" and country in _RUSSIA and (ogrn := normalise_ogrn(value)):
        return Identifier("ogrn", ogrn, "RU")
    if not any(ch.isdigit() for ch in value):
        return None
    return Identifier(kind, value, country)


@dataclass
class RemarkFacts:
    """What the Remarks say about an entry besides free text."""

    identifiers: list[Identifier] = field(default_factory=list)
    aliases: list[Alias] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    listing_dates: list[tuple[str, str]] = field(default_factory=list)  # (what, ISO date)


def _qualifier_countries(clause: str) -> list[str]:
    """Countries in ``(Russia)``-style qualifiers; 2-letter ones only as upper-case codes,
    so the roman numerals ``(ii)``/``(vi)`` of enumerations are not read as countries."""
    found: list[str] = []
    for text in _QUALIFIER.findall(clause):
        text = text.strip()
        if len(text) < 4 and not (len(text) == 2 and text.isupper()):
            continue
        found.extend(country_codes(text))
    return found


def parse_remarks(remarks: str | None) -> RemarkFacts:
    """Identifiers, weak aliases, countries and listing dates from an OFAC Remarks field.

    Remarks are ``; ``-separated clauses (``Tax ID No. 7743237789 (Russia)``,
    ``a.k.a. 'JUD'``, ``nationality Russia``, ``Linked To: X``). Quoted a.k.a.s in
    Remarks are OFAC's low-quality ("weak") aliases. ``Linked To:`` clauses describe
    another party, so their countries are not this entry's.
    """
    facts = RemarkFacts()
    if not remarks:
        return facts
    seen: set[tuple[str, str]] = set()

    def add(identifier: Identifier | None) -> None:
        if identifier and (identifier.type, identifier.value) not in seen:
            seen.add((identifier.type, identifier.value))
            facts.identifiers.append(identifier)

    for raw in remarks.split(";"):
        clause = raw.strip().rstrip(".").strip()
        if not clause or clause.lower().startswith("linked to"):
            continue
        if m := _ALIAS_CLAUSE.match(clause):
            kind = _REMARK_ALIAS_TYPES[m["kind"].lower()]
            facts.aliases.append(Alias(" ".join(m["name"].split()), kind))
            continue
        clause = re.sub(r"^alt\.\s+", "", clause, flags=re.IGNORECASE)
        if m := _NATIONALITY.match(clause):
            facts.countries.extend(country_codes(m["country"]))
            continue
        facts.countries.extend(_qualifier_countries(clause))
        if m := _LISTING_DATE.search(clause):
            if iso := parse_date(m["date"], ("%d %b %Y",)):
                facts.listing_dates.append((m["what"], iso))
            continue
        if (m := _LABEL.match(clause)) and (v := _VALUE_COUNTRY.match(m["rest"])):
            codes = country_codes(v["country"])
            value = v["value"].split(",")[0]
            add(classify_identifier(m["label"], value, codes[0] if codes else None))
    for kind, values in ids_in_text(remarks).items():
        for value in values:
            add(Identifier(kind, value, None if kind == "imo" else "RU"))
    facts.countries = list(unique(facts.countries))
    return facts


def parse_programs(text: str | None) -> tuple[str, ...]:
    """``"[RUSSIA-EO14024] [UKRAINE-EO13662]"``, ``"FTO] [SDGT"`` or ``"CUBA"`` -> programs."""
    if not text:
        return ()
    return unique(p.strip(" []") for p in re.split(r"\]\s*\[", text))


# --- legacy CSV -------------------------------------------------------------------------


def _cell(value: str) -> str | None:
    """A CSV cell with OFAC's ``-0-`` (empty) marker and padding removed."""
    value = clean(value)  # type: ignore[assignment]
    return None if value is None or value == _NULL else value


def _read_rows(
    path: Path,
    columns: Sequence[str],
    kind: str,
    stats: LoadStats,
    seen: Counter[str] | None = None,
) -> Iterator[tuple[int, list[str | None]]]:
    """``(line, cells)`` for each row of a headerless OFAC CSV; wrong widths are errors.

    A row of the wrong width means the file is not what we think it is (or is cut),
    and silently shifting columns would attach names to the wrong entities.
    """
    text, encoding = read_text(path)
    stats.encodings[str(path)] = encoding
    reader = csv.reader(text.splitlines(keepends=True), strict=True)
    line = 0
    try:
        for row in reader:
            line = reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != len(columns):
                raise LoaderError(
                    path,
                    f"{kind} row has {len(row)} columns, expected {len(columns)} "
                    f"({','.join(columns)})",
                    line,
                )
            cells = [_cell(v) for v in row]
            if not cells[0]:
                raise LoaderError(path, f"{kind} row has no ent_num", line)
            stats.rows[kind] += 1
            if seen is not None:
                seen[cells[0]] += 1
            yield line, cells
    except csv.Error as exc:
        raise LoaderError(path, f"bad CSV: {exc}", reader.line_num or line) from exc


def _read_alt(path: Path, stats: LoadStats, seen: Counter[str]) -> dict[str, list[Alias]]:
    """Aliases per ent_num from ``alt.csv``."""
    aliases: dict[str, list[Alias]] = defaultdict(list)
    rows = _read_rows(path, ALT_COLUMNS, "alt", stats, seen)
    for _line, (ent, _num, alt_type, name, _remarks) in rows:
        if not name:
            continue
        kind = _ALIAS_TYPES.get((alt_type or "aka").lower().replace(".", ""), "aka")
        aliases[ent].append(Alias(name, kind))  # type: ignore[index]
    return aliases


@dataclass(frozen=True)
class _Address:
    text: str | None
    countries: tuple[str, ...]


def _read_add(path: Path, stats: LoadStats, seen: Counter[str]) -> dict[str, list[_Address]]:
    """Addresses per ent_num from ``add.csv`` (all-empty rows are dropped)."""
    addresses: dict[str, list[_Address]] = defaultdict(list)
    for _line, cells in _read_rows(path, ADD_COLUMNS, "add", stats, seen):
        ent, _num, street, city, country, _remarks = cells
        text = ", ".join(p for p in (street, city, country) if p) or None
        codes = country_codes(country)
        if text or codes:
            addresses[ent].append(_Address(text, codes))  # type: ignore[index]
    return addresses


def _read_comments(path: Path, stats: LoadStats, seen: Counter[str]) -> dict[str, str]:
    """Remarks continuations per ent_num, concatenated in file order."""
    comments: dict[str, str] = defaultdict(str)
    for _line, (ent, text) in _read_rows(path, COMMENTS_COLUMNS, "comments", stats, seen):
        if text:
            comments[ent] += text  # type: ignore[index]
    return comments


@dataclass(frozen=True)
class _FirstSeen:
    rows: dict[str, dict[str, str]]
    first_snapshot: str
    last_snapshot: str


def _read_first_seen(path: Path, stats: LoadStats) -> _FirstSeen:
    """The derived first-seen table, keyed by ent_num."""
    text, encoding = read_text(path)
    stats.encodings[str(path)] = encoding
    reader = csv.DictReader(text.splitlines(keepends=True))
    missing = [c for c in FIRST_SEEN_REQUIRED if c not in (reader.fieldnames or ())]
    if missing:
        raise LoaderError(path, f"first-seen table lacks columns {', '.join(missing)}", 1)
    rows: dict[str, dict[str, str]] = {}
    try:
        for row in reader:
            if None in row or not row.get("ent_num"):
                raise LoaderError(
                    path, "first-seen row has the wrong number of columns", reader.line_num
                )
            rows[row["ent_num"].strip()] = row
    except csv.Error as exc:
        raise LoaderError(path, f"bad CSV: {exc}", reader.line_num) from exc
    stats.rows["first_seen"] += len(rows)
    firsts = [r["first_seen_date"] for r in rows.values() if r["first_seen_date"]]
    lasts = [r.get("last_seen_date") or "" for r in rows.values()]
    return _FirstSeen(rows, min(firsts, default=""), max(lasts, default=""))


def _dates_from_first_seen(
    row: dict[str, str] | None, table: _FirstSeen | None, as_of: str | None = None
) -> tuple[str | None, str | None, str]:
    """``(listing_date, delisting_date, note)`` for one ent_num from the first-seen table.

    ``as_of``: the list as it stood on that date, which knows no later delisting.
    """
    if table is None:
        return None, None, NO_DATE_NOTE
    if row is None:
        return (
            None,
            None,
            (
                f"not in the first-seen table (snapshots {table.first_snapshot} to "
                f"{table.last_snapshot}); listing date unknown"
            ),
        )
    delisted = parse_date(row.get("removed_by_date"))
    if as_of and delisted and delisted > as_of:
        delisted = None
    if _censored(row):
        listed, note = None, CENSORED_NOTE.format(first=table.first_snapshot)
    else:
        listed, note = parse_date(row.get("first_seen_date")), FIRST_SEEN_NOTE
    if delisted:
        note += f"; {DELISTED_NOTE}"
    return listed, delisted, note


def _censored(row: dict[str, str]) -> bool:
    """Already on the list at the first snapshot: its true listing date is earlier."""
    return (row.get("first_seen_is_censored") or "").strip().lower() == "true"


def _as_of_day(
    as_of: str,
    sdn: Path,
    version: str,
    first_seen: Path | None,
    table: _FirstSeen | None,
    list_name: str,
) -> str:
    """``as_of`` as an ISO date the first-seen table can rebuild the list for, else a
    one-line :class:`LoaderError` (no table, or a date outside the history)."""
    if table is None or first_seen is None:
        raise LoaderError(
            sdn,
            f"no history known for list {list_name}; --as-of needs its first-seen table "
            "(sdn_first_seen_….csv) beside the SDN file",
        )
    day = to_date(as_of, "as_of").isoformat()
    end = min(table.last_snapshot, version)
    if not table.first_snapshot <= day <= end:
        raise LoaderError(
            first_seen,
            f"history covers {table.first_snapshot} to {end}; cannot rebuild the list as of {day}",
        )
    return day


def _absent_on(day: str, row: dict[str, str] | None, table: _FirstSeen) -> str | None:
    """Why an entry was not on the list on ``day`` (a ``stats.skipped`` key); None if it was."""
    if row is None:
        return "as_of_missing_from_history"
    first = table.first_snapshot if _censored(row) else parse_date(row.get("first_seen_date"))
    if not first:
        return "as_of_missing_from_history"
    if first > day:
        return "as_of_first_seen_after_date"
    removed = parse_date(row.get("removed_by_date"))
    if removed and removed <= day:
        return "as_of_removed_by_date"
    return None


def _csv_schema(sdn_type: str | None) -> str:
    """OFAC SDN_Type -> model schema; an empty type means an entity (a company)."""
    return _SCHEMAS.get((sdn_type or "entity").lower(), "Other")


def _join_remarks(
    remarks: str | None, continuation: str | None, same_version: bool, stats: LoadStats
) -> str | None:
    """Remarks plus their ``sdn_comments`` overflow.

    OFAC cuts Remarks at 1,000 characters and puts the rest, mid-word, in the
    comments file, so the two are glued without a separator. When the comments file
    is from another list version (or the Remarks were not cut), the cut does not
    fall at the same place: the Remarks' cut-off last clause and the overflow's
    leading fragment are dropped, and the whole clauses after it (often the Tax ID
    and Registration Number) are appended after ``; ``.
    """
    if not continuation:
        return remarks
    cut = remarks if remarks and len(remarks) >= _REMARKS_CAP else None  # the cut Remarks
    if same_version and cut is not None:
        return cut + continuation
    stats.skipped["comments_partial_clause_dropped"] += 1
    if cut is not None:
        remarks = cut.rsplit(";", 1)[0] if ";" in cut else ""
    rest = continuation.split(";", 1)[1].strip() if ";" in continuation else ""
    if not rest:
        return remarks or None
    return f"{remarks.rstrip(' .;')}; {rest}" if remarks else rest


_NAME_STAMP = re.compile(r"(?<!\d)\d{4}-\d{2}(?:-\d{2})?(?!\d)")


def _same_version(a: Path, b: Path | None) -> bool:
    """False when both file names carry a date stamp and the stamps disagree
    (``sdn_2024-05-03`` vs ``sdn_comments_2025-12``); unknown counts as the same."""
    if b is None:
        return True
    stamp_a, stamp_b = _NAME_STAMP.findall(a.name), _NAME_STAMP.findall(Path(b).name)
    if not stamp_a or not stamp_b:
        return True
    x, y = stamp_a[-1], stamp_b[-1]
    return x.startswith(y) or y.startswith(x)


def load_ofac_csv(
    sdn: Path,
    alt: Path | None = None,
    add: Path | None = None,
    comments: Path | None = None,
    first_seen: Path | None = None,
    list_name: str = "ofac_sdn",
    version: str | None = None,
    *,
    include_delisted: bool = False,
    as_of: str | None = None,
    stats: LoadStats | None = None,
) -> Iterator[ListEntry]:
    """Entries of an OFAC legacy CSV list (SDN, or non-SDN with ``list_name="ofac_cons"``).

    ``alt``/``add``/``comments`` rows whose ent_num has no row in ``sdn`` are skipped
    and counted in ``stats.skipped`` (``alt_without_sdn_row`` …): the published side
    files can be newer than the main file. With ``first_seen`` the listing dates come
    from the first-seen table (see the module note). ``include_delisted`` also yields
    the table's entries that were removed before the ``sdn`` file's date (name, type,
    programs and dates from the table), so past exposure can be screened.

    ``as_of`` (ISO date, needs ``first_seen``): the list as it stood on that date,
    version ``as_of`` (see the module note). Entries not on it are counted in
    ``stats.skipped``: ``as_of_missing_from_history`` (``sdn`` rows the table lacks),
    ``as_of_first_seen_after_date``, ``as_of_removed_by_date``. A date outside the
    table's history, or no table, is a :class:`LoaderError`.
    Files are read when iteration starts; ``stats`` is complete once it ends.
    """
    stats = stats if stats is not None else LoadStats()
    sdn, source = Path(sdn), str(sdn)
    version = file_version(sdn, version)
    stats.version = version
    rows: dict[str, list[str | None]] = {}
    for _line, cells in _read_rows(sdn, SDN_COLUMNS, "sdn", stats):
        if cells[0] in rows:  # never seen in OFAC files; keep the first, count the rest
            stats.skipped["sdn_duplicate_ent_num"] += 1
            continue
        rows[cells[0]] = cells  # type: ignore[index]
    table = _read_first_seen(Path(first_seen), stats) if first_seen else None
    day = None
    if as_of is not None:
        day = _as_of_day(as_of, sdn, version, first_seen, table, list_name)
        stats.notes.append(
            f"the list as of {day}, rebuilt from {Path(first_seen or '').name}; names, "
            f"aliases, addresses and remarks are those of {sdn.name} ({version})"
        )
    delisted_ids: list[str] = []
    if table and day:  # every entry only the table knows; those not listed on the day drop
        delisted_ids = [ent for ent in table.rows if ent not in rows]
    elif table and include_delisted:
        delisted_ids = [
            ent for ent, r in table.rows.items() if ent not in rows and r.get("removed_by_date")
        ]
    known = set(rows) | set(delisted_ids)
    seen: dict[str, Counter[str]] = {kind: Counter() for kind in ("alt", "add", "comments")}
    aliases = _read_alt(Path(alt), stats, seen["alt"]) if alt else {}
    addresses = _read_add(Path(add), stats, seen["add"]) if add else {}
    overflow = _read_comments(Path(comments), stats, seen["comments"]) if comments else {}
    for kind, per_entity in seen.items():
        orphans = [ent for ent in per_entity if ent not in known]
        if orphans:
            stats.skipped[f"{kind}_without_sdn_row"] += sum(per_entity[e] for e in orphans)
            stats.skipped[f"{kind}_entities_without_sdn_row"] += len(orphans)
    if table and table.last_snapshot and table.last_snapshot < version and not day:
        stats.notes.append(
            f"first-seen table ends {table.last_snapshot}, before the list version {version}: "
            "entries added since have no listing date"
        )
    same_version = _same_version(sdn, comments)
    if comments and overflow and not same_version:
        stats.notes.append(
            f"{Path(comments).name} is not from the same list version as {sdn.name}: "
            "Remarks continuations are appended without the partial clause at the cut"
        )
    if day:
        version = stats.version = day
    for ent, cells in rows.items():
        if day and table and (why := _absent_on(day, table.rows.get(ent), table)):
            stats.skipped[why] += 1
            continue
        remarks = _join_remarks(cells[11], overflow.get(ent), same_version, stats)
        yield _csv_entry(
            cells, remarks, aliases.get(ent, ()), addresses.get(ent, ()),
            table, list_name, source, version, as_of=day,
        )  # fmt: skip
        stats.entries += 1
    for ent in delisted_ids:
        if day and table and (why := _absent_on(day, table.rows[ent], table)):
            stats.skipped[why] += 1
            continue
        yield _delisted_entry(
            ent,
            table,
            aliases.get(ent, ()),
            addresses.get(ent, ()),
            list_name,
            str(first_seen),
            version,
            as_of=day,
        )
        stats.entries += 1
        stats.rows["delisted_from_first_seen"] += 1


def _beside(path: Path, prefix: str) -> Path | None:
    """The greatest-named (newest dated) file beside ``path`` whose name starts with ``prefix``."""
    found = sorted(p for p in path.parent.glob(f"{prefix}*") if p.is_file())
    return found[-1] if found else None


def load_ofac_csv_beside(
    main: Path, list_name: str = "ofac_sdn", as_of: str | None = None
) -> Iterator[ListEntry]:
    """The list from its main file (``sdn…csv`` / ``cons_prim…csv``) and the side files beside it.

    ``lists load`` is given only the main file; OFAC publishes aliases, addresses and
    comments as separate files, which the shared data layout keeps in the same folder.
    The SDN list also takes its listing dates from a ``sdn_first_seen…`` table there,
    and with ``as_of`` is rebuilt from it as it stood on that date.
    """
    main = Path(main)
    cons = list_name == "ofac_cons"
    prefix = "cons_" if cons else ""
    return load_ofac_csv(
        main,
        alt=_beside(main, f"{prefix}alt"),
        add=_beside(main, f"{prefix}add"),
        comments=_beside(main, f"{prefix}comments" if cons else "sdn_comments"),
        first_seen=None if cons else _beside(main, "sdn_first_seen"),
        list_name=list_name,
        as_of=as_of,
    )


def _merge_aliases(name: str, *groups: Iterable[Alias]) -> tuple[Alias, ...]:
    """Aliases once each (case-insensitively), never repeating the primary name."""
    seen = {name.casefold()}
    merged: list[Alias] = []
    for alias in (a for group in groups for a in group):
        key = alias.name.casefold()
        if key not in seen:
            seen.add(key)
            merged.append(alias)
    return tuple(merged)


def _csv_entry(
    cells: list[str | None],
    remarks: str | None,
    alt_aliases: Iterable[Alias],
    addresses: Iterable[_Address],
    table: _FirstSeen | None,
    list_name: str,
    source: str,
    version: str,
    *,
    as_of: str | None = None,
) -> ListEntry:
    """One SDN/cons row with its aliases, addresses, remark facts and dates (on the list
    ``as_of``, when given: nothing it could not know then)."""
    ent, name, sdn_type, program, title, call_sign, vess_type, tonnage, grt, flag, owner = cells[
        :11
    ]
    name = name or ""
    facts = parse_remarks(remarks)
    fs_row = table.rows.get(ent) if table else None  # type: ignore[arg-type]
    listed, delisted, note = _dates_from_first_seen(fs_row, table, as_of)
    if table is None and facts.listing_dates:
        what, listed = min(facts.listing_dates, key=lambda wd: wd[1])
        note = f"from the Remarks: 'Listing Date ({what})'"
    addresses = list(addresses)
    extra = {
        k: v
        for k, v in (
            ("title", title), ("call_sign", call_sign), ("vessel_type", vess_type),
            ("tonnage", tonnage), ("grt", grt), ("vessel_flag", flag), ("vessel_owner", owner),
        )
        if v
    }  # fmt: skip
    if fs_row:
        keys = ("name_at_first_seen", "programs_at_first_seen")
        for key in keys if as_of else (*keys, "last_seen_date"):
            if fs_row.get(key):
                extra[key] = fs_row[key]
    return ListEntry(
        list=list_name,
        list_entity_id=ent,  # type: ignore[arg-type]
        schema=_csv_schema(sdn_type),
        name=name,
        aliases=_merge_aliases(name, alt_aliases, facts.aliases),
        identifiers=tuple(facts.identifiers),
        countries=unique(
            [c for a in addresses for c in a.countries]
            + facts.countries
            + list(country_codes(flag))
        ),
        addresses=unique(a.text for a in addresses),
        programs=parse_programs(program),
        listing_date=listed,
        delisting_date=delisted,
        listing_date_note=note,
        remarks=remarks,
        source_file=source,
        version=version,
        extra=extra,
    )


def _delisted_entry(
    ent: str,
    table: _FirstSeen | None,
    alt_aliases: Iterable[Alias],
    addresses: Iterable[_Address],
    list_name: str,
    source: str,
    version: str,
    *,
    as_of: str | None = None,
) -> ListEntry:
    """An entry known only from the first-seen table: delisted before the sdn file (on
    the list ``as_of``, when given: then without its later delisting and last sighting)."""
    assert table is not None
    row = table.rows[ent]
    name = clean(row.get("sdn_name")) or ""
    listed, delisted, note = _dates_from_first_seen(row, table, as_of)
    extra: dict[str, object] = {"from_first_seen_only": True}
    if not as_of:
        extra["last_seen_date"] = row.get("last_seen_date")
    addresses = list(addresses)
    return ListEntry(
        list=list_name,
        list_entity_id=ent,
        schema=_csv_schema(row.get("sdn_type")),
        name=name,
        aliases=_merge_aliases(name, alt_aliases),
        countries=unique(c for a in addresses for c in a.countries),
        addresses=unique(a.text for a in addresses),
        programs=parse_programs(row.get("programs")),
        listing_date=listed,
        delisting_date=delisted,
        listing_date_note=note,
        source_file=source,
        version=version,
        extra=extra,
    )


# --- advanced XML ---------------------------------------------------------------------

_SUBTYPE_FALLBACK = {"1": "Vessel", "2": "Aircraft", "3": "Company", "4": "Person"}
_PARTY_TYPES = {"individual": "Person", "entity": "Company"}
_ALIAS_TYPE_NAMES = {"name": "primary", "a.k.a.": "aka", "f.k.a.": "fka", "n.k.a.": "nka"}
_ALIAS_TYPE_FALLBACK = {"1403": "primary", "1400": "aka", "1401": "fka", "1402": "nka"}
_LATIN_SCRIPT_ID = "215"

Refs = dict[str, dict[str, tuple[str, dict[str, str]]]]  # set -> ID -> (text, attributes)


@dataclass
class _NamePart:
    group: str | None
    script: str | None
    text: str


@dataclass
class _XmlName:
    alias_type: str | None
    primary: bool
    low_quality: bool
    parts: list[_NamePart]
    groups: dict[str, str]  # NamePartGroup ID -> NamePartTypeID


@dataclass
class _Feature:
    type_id: str | None
    details: list[tuple[str | None, str | None]]  # (text, DetailReferenceID)
    location_ids: list[str]


@dataclass
class _Party:
    fixed_ref: str
    profile_id: str
    subtype_id: str | None
    names: list[_XmlName]
    identity_ids: list[str]
    features: list[_Feature]


@dataclass
class _Location:
    country_ids: list[str]
    parts: list[tuple[str | None, str]]  # (LocPartTypeID, value)


@dataclass
class _Document:
    type_id: str | None
    identity_id: str | None
    country_id: str | None
    number: str


@dataclass
class _Sanction:
    events: list[tuple[str | None, str | None]] = field(default_factory=list)  # (type, date)
    measures: list[tuple[str | None, str]] = field(default_factory=list)  # (type, comment)


@dataclass
class _AdvancedFile:
    refs: Refs = field(default_factory=lambda: defaultdict(dict))
    locations: dict[str, _Location] = field(default_factory=dict)
    documents: list[_Document] = field(default_factory=list)
    parties: list[_Party] = field(default_factory=list)
    sanctions: dict[str, _Sanction] = field(default_factory=dict)
    date_of_issue: str | None = None


def _children(elem: Element, name: str) -> Iterator[Element]:
    """Direct children with local name ``name`` (namespace ignored)."""
    return (child for child in elem if local_name(child.tag) == name)


def _descendants(elem: Element, name: str) -> Iterator[Element]:
    """All descendants with local name ``name`` (namespace ignored)."""
    return (e for e in elem.iter() if local_name(e.tag) == name)


def _text(elem: Element | None) -> str:
    return " ".join((elem.text or "").split()) if elem is not None else ""


def _ymd(elem: Element) -> str | None:
    """``<Year/><Month/><Day/>`` children as an ISO date (``None`` if incomplete)."""
    values = {local_name(c.tag): _text(c) for c in elem}
    try:
        y, m, d = int(values["Year"]), int(values["Month"]), int(values["Day"])
    except (KeyError, ValueError):
        return None
    return parse_date(f"{y:04d}-{m:02d}-{d:02d}")


def _read_refs(elem: Element, refs: Refs) -> None:
    """``ReferenceValueSets``: every ``<XValues><X ID=..>text</X>`` into ``refs["X"]``."""
    for value_set in elem:
        for item in value_set:
            if (ref_id := item.get("ID")) is not None:
                refs[local_name(item.tag)][ref_id] = (_text(item), dict(item.attrib))


def _read_location(elem: Element) -> _Location:
    parts: list[tuple[str | None, str]] = []
    for part in _children(elem, "LocationPart"):
        values = list(_children(part, "LocationPartValue"))
        chosen = next(
            (v for v in values if v.get("Primary") == "true"), values[0] if values else None
        )
        text = _text(next(_children(chosen, "Value"), None)) if chosen is not None else ""
        if text:
            parts.append((part.get("LocPartTypeID"), text))
    countries = [
        c.get("CountryID") for c in _children(elem, "LocationCountry") if c.get("CountryID")
    ]
    return _Location(countries, parts)  # type: ignore[arg-type]


def _read_document(elem: Element) -> _Document:
    return _Document(
        elem.get("IDRegDocTypeID"),
        elem.get("IdentityID"),
        elem.get("IssuedBy-CountryID"),
        _text(next(_children(elem, "IDRegistrationNo"), None)),
    )


def _read_party(elem: Element) -> _Party:
    profile = next(_descendants(elem, "Profile"), elem)
    names: list[_XmlName] = []
    identity_ids: list[str] = []
    for identity in _descendants(profile, "Identity"):
        if identity.get("ID"):
            identity_ids.append(identity.get("ID"))  # type: ignore[arg-type]
        groups = {
            g.get("ID"): g.get("NamePartTypeID")
            for g in _descendants(identity, "NamePartGroup")
            if g.get("ID")
        }
        for alias in _children(identity, "Alias"):
            for documented in _children(alias, "DocumentedName"):
                parts = [
                    _NamePart(v.get("NamePartGroupID"), v.get("ScriptID"), _text(v))
                    for v in _descendants(documented, "NamePartValue")
                    if _text(v)
                ]
                if parts:
                    names.append(_XmlName(
                        alias.get("AliasTypeID"), alias.get("Primary") == "true",
                        alias.get("LowQuality") == "true", parts, groups,  # type: ignore[arg-type]
                    ))  # fmt: skip
    features = [
        _Feature(
            f.get("FeatureTypeID"),
            [
                (_text(d) or None, d.get("DetailReferenceID"))
                for d in _descendants(f, "VersionDetail")
            ],
            [
                location_id
                for v in _descendants(f, "VersionLocation")
                if (location_id := v.get("LocationID"))
            ],
        )
        for f in _descendants(elem, "Feature")
    ]
    fixed_ref = elem.get("FixedRef") or profile.get("ID") or ""
    return _Party(
        fixed_ref,
        profile.get("ID") or fixed_ref,
        profile.get("PartySubTypeID"),
        names,
        identity_ids,
        features,
    )  # type: ignore[arg-type]


def _read_sanction(elem: Element) -> _Sanction:
    sanction = _Sanction()
    for event in _children(elem, "EntryEvent"):
        when = next(_children(event, "Date"), None)
        sanction.events.append(
            (event.get("EntryEventTypeID"), _ymd(when) if when is not None else None)
        )
    for measure in _children(elem, "SanctionsMeasure"):
        comment = _text(next(_children(measure, "Comment"), None))
        if comment:
            sanction.measures.append((measure.get("SanctionsTypeID"), comment))
    return sanction


def _scan_advanced(path: Path) -> _AdvancedFile:
    """One streaming pass: reference values, locations, documents, parties, sanctions.

    Sections are kept as small records and joined afterwards, because the file
    puts ``SanctionsEntries`` (programs, dates) after ``DistinctParties``.
    """
    data = _AdvancedFile()
    for _event, elem in iterparse_xml(path, ("end",)):
        tag = local_name(elem.tag)
        if tag == "ReferenceValueSets":
            _read_refs(elem, data.refs)
        elif tag == "Location":
            if elem.get("ID"):
                data.locations[elem.get("ID")] = _read_location(elem)  # type: ignore[index]
        elif tag == "IDRegDocument":
            data.documents.append(_read_document(elem))
        elif tag == "DistinctParty":
            data.parties.append(_read_party(elem))
        elif tag == "SanctionsEntry":
            key = elem.get("ProfileID") or ""
            data.sanctions.setdefault(key, _Sanction())
            found = _read_sanction(elem)
            data.sanctions[key].events += found.events
            data.sanctions[key].measures += found.measures
        elif tag == "DateOfIssue":
            data.date_of_issue = _ymd(elem)
        else:
            continue
        elem.clear()
    return data


def _ref_text(refs: Refs, set_name: str, ref_id: str | None) -> str | None:
    found = refs.get(set_name, {}).get(ref_id or "")
    return found[0] if found else None


def _country_iso(refs: Refs, country_id: str | None) -> str | None:
    """A ``CountryValues`` entry as ISO2: its ``ISO2`` attribute, else its name."""
    found = refs.get("Country", {}).get(country_id or "")
    if not found:
        return None
    text, attrib = found
    iso = (attrib.get("ISO2") or "").upper()
    if iso and to_iso2(iso):
        return iso
    codes = country_codes(text)
    return codes[0] if codes else None


def _xml_schema(refs: Refs, subtype_id: str | None) -> str:
    subtype = refs.get("PartySubType", {}).get(subtype_id or "")
    if subtype:
        text, attrib = subtype
        if text in ("Vessel", "Aircraft"):
            return text
        party_type = _ref_text(refs, "PartyType", attrib.get("PartyTypeID"))
        if party_type and party_type.lower() in _PARTY_TYPES:
            return _PARTY_TYPES[party_type.lower()]
    return _SUBTYPE_FALLBACK.get(subtype_id or "", "Other")


def _name_text(refs: Refs, name: _XmlName) -> str:
    """Name parts joined; individuals as OFAC writes them, ``LAST, First Middle``."""
    typed = [
        (_ref_text(refs, "NamePartType", name.groups.get(p.group or "")), p.text)
        for p in name.parts
    ]
    last = [text for kind, text in typed if kind == "Last Name"]
    rest = [text for kind, text in typed if kind != "Last Name"]
    if last and rest:
        return f"{' '.join(last)}, {' '.join(rest)}"
    return " ".join(text for _kind, text in typed)


def _is_latin(refs: Refs, name: _XmlName) -> bool:
    scripts = {p.script for p in name.parts if p.script}
    if not scripts:
        return True
    return all(
        (_ref_text(refs, "Script", s) or ("Latin" if s == _LATIN_SCRIPT_ID else "")) == "Latin"
        for s in scripts
    )


def _alias_kind(refs: Refs, name: _XmlName) -> str:
    label = (_ref_text(refs, "AliasType", name.alias_type) or "").lower()
    kind = _ALIAS_TYPE_NAMES.get(label) or _ALIAS_TYPE_FALLBACK.get(name.alias_type or "", "aka")
    if name.low_quality:
        return "weak"
    if not _is_latin(refs, name):
        return "non-latin"
    return kind


def _party_names(refs: Refs, party: _Party) -> tuple[str, tuple[Alias, ...]]:
    """Primary name (first Latin name of the primary alias) and the other names."""
    texts = [(_name_text(refs, n), n) for n in party.names]
    primary = next(
        (t for t, n in texts if n.primary and _is_latin(refs, n)),
        next((t for t, n in texts if n.primary), texts[0][0] if texts else ""),
    )
    aliases = [
        Alias(t, "aka" if _alias_kind(refs, n) == "primary" else _alias_kind(refs, n))
        for t, n in texts
    ]
    return primary, _merge_aliases(primary, aliases)


def _location_text(refs: Refs, location: _Location) -> str | None:
    names = [_ref_text(refs, "Country", c) for c in location.country_ids]
    text = ", ".join([value for _kind, value in location.parts] + [n for n in names if n])
    return text if location.parts else None


def _advanced_entry(
    data: _AdvancedFile,
    party: _Party,
    documents: dict[str, list[_Document]],
    list_name: str,
    source: str,
    version: str,
) -> ListEntry:
    """Join one party with its locations, documents and sanctions entry."""
    refs = data.refs
    name, aliases = _party_names(refs, party)
    identifiers: list[Identifier] = []
    countries: list[str | None] = []
    addresses: list[str | None] = []
    extra: dict[str, list[str]] = defaultdict(list)
    for feature in party.features:
        ftype = _ref_text(refs, "FeatureType", feature.type_id) or f"feature {feature.type_id}"
        for location_id in feature.location_ids:
            location = data.locations.get(location_id)
            if location:
                countries.extend(_country_iso(refs, c) for c in location.country_ids)
                addresses.append(_location_text(refs, location))
        for text, ref_id in feature.details:
            value = text or _ref_text(refs, "DetailReference", ref_id)
            if not value:
                continue
            if ftype == "SWIFT/BIC":
                identifiers.append(classify_identifier(ftype, value) or Identifier("swift", value))
            elif "flag" in ftype.lower() or "nationality" in ftype.lower():
                countries.extend(country_codes(value))
            else:
                extra[ftype].append(value)
    for identity_id in party.identity_ids:
        for doc in documents.get(identity_id, ()):
            label = _ref_text(refs, "IDRegDocType", doc.type_id) or ""
            found = classify_identifier(label, doc.number, _country_iso(refs, doc.country_id))
            if found:
                identifiers.append(found)
            elif doc.number:
                extra["documents"].append(f"{label or doc.type_id}: {doc.number}")
    sanction = data.sanctions.get(party.profile_id) or data.sanctions.get(party.fixed_ref)
    listed, delisted, programs = _sanction_facts(refs, sanction)
    return ListEntry(
        list=list_name,
        list_entity_id=party.fixed_ref,
        schema=_xml_schema(refs, party.subtype_id),
        name=name,
        aliases=aliases,
        identifiers=tuple(dict.fromkeys(identifiers)),
        countries=unique(countries),
        addresses=unique(addresses),
        programs=programs,
        listing_date=listed,
        delisting_date=delisted,
        listing_date_note=None if sanction else "no SanctionsEntry for this party in the file",
        source_file=source,
        version=version,
        extra=dict(extra),
    )


def _sanction_facts(
    refs: Refs, sanction: _Sanction | None
) -> tuple[str | None, str | None, tuple[str, ...]]:
    """``(listing_date, delisting_date, programs)`` from a party's sanctions entry."""
    if sanction is None:
        return None, None, ()
    created: list[str] = []
    removed: list[str] = []
    for type_id, when in sanction.events:
        label = (_ref_text(refs, "EntryEventType", type_id) or "").lower()
        if not when:
            continue
        if label == "created" or (not label and type_id == "1"):
            created.append(when)
        elif "delist" in label or "remov" in label:
            removed.append(when)
    has_types = bool(refs.get("SanctionsType"))
    programs = unique(
        comment
        for type_id, comment in sanction.measures
        if not has_types or _ref_text(refs, "SanctionsType", type_id) == "Program"
    )
    return min(created, default=None), max(removed, default=None), programs


def load_ofac_advanced_xml(
    path: Path,
    list_name: str = "ofac_sdn",
    version: str | None = None,
    *,
    stats: LoadStats | None = None,
) -> Iterator[ListEntry]:
    """Entries of OFAC's advanced XML (``sdn_advanced.xml`` / ``cons_advanced.xml``).

    The listing date is the sanctions entry's ``EntryEvent`` of type "Created" (OFAC's
    own date); programs are the ``SanctionsMeasure`` comments of type "Program".
    Parsed by local element name, so both OFAC namespaces work. ``version``: the
    argument, else the file's ``DateOfIssue``, else a date in its name.
    """
    stats = stats if stats is not None else LoadStats()
    path = Path(path)
    data = _scan_advanced(path)
    version = file_version(path, version, data.date_of_issue)
    stats.version = version
    stats.rows["parties"] += len(data.parties)
    stats.rows["id_documents"] += len(data.documents)
    documents: dict[str, list[_Document]] = defaultdict(list)
    for doc in data.documents:
        documents[doc.identity_id or ""].append(doc)
    for party in data.parties:
        if not party.fixed_ref:
            stats.skipped["party_without_fixed_ref"] += 1
            continue
        yield _advanced_entry(data, party, documents, list_name, str(path), version)
        stats.entries += 1
