"""UK sanctions lists: the OFSI Consolidated List CSV and the UK Sanctions List tables.

Two sources, two list names:

``uk_ofsi`` — :func:`load_ofsi_conlist`
    HM Treasury / OFSI's *Consolidated List of Financial Sanctions Targets* as CSV
    (``ConList.csv``, or an xlsx export saved as CSV). One row per name or alias;
    rows sharing a ``Group ID`` are one target. Some exports start with title rows
    ("Last Updated 10/04/2025") before the header; the header is the first row that
    has both ``Name 6`` and ``Group ID``. ``Listed On`` (dd/mm/yyyy) is the listing
    date; a target listed under several regimes gets the earliest one (each regime's
    date is kept in ``extra["regime_listed_on"]``). OFSI announced the retirement of
    the Consolidated List in favour of the FCDO's UK Sanctions List (early 2026), so
    this format matters mostly for historical files.

``uk_sanctions_list`` — :func:`load_uk_sanctions_list`
    The FCDO's UK Sanctions List as normalised by the third-party ``covyr``
    project into five tables (``subjects.csv``, ``subject_names.csv``,
    ``subject_identifiers.csv``, ``subject_countries.csv[.gz]``,
    ``subject_dobs.csv``). ``date_designated`` is the listing date. These tables
    carry no regime names; the regime *code* is the letter prefix of the unique id
    (``RUS2127`` → ``RUS``) and is used as the program. covyr dropped duplicates and
    "least informative" names and DOBs, so names are fewer than the official list's.

Identifiers: passport and national-id columns are kept as ``passport`` /
``national_id`` (a national id that the list labels as an INN/TIN and that passes the
check digits becomes ``inn``). Russian INN/OGRN/KPP/IMO numbers are read from free
text with :func:`tradetrace.resolve.identifiers.ids_in_text` (labelled numbers only),
and from the "Business Reg No" field, where an *unlabelled* number is taken as an
INN/OGRN only when it passes the check digits and the target is Russian (Russia regime
or a Russian address/nationality).
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Iterator
from pathlib import Path

from tradetrace.resolve.identifiers import ids_in_text, normalise_imo, normalise_inn, normalise_ogrn
from tradetrace.resolve.names import script_of
from tradetrace.screen.lists.common import (
    LoaderError,
    clean,
    country_codes,
    date_in_name,
    parse_date,
    read_text,
    unique,
)
from tradetrace.screen.lists.model import Alias, Identifier, ListEntry

__all__ = ["load_ofsi_conlist", "load_uk_sanctions_list"]

log = logging.getLogger(__name__)

OFSI_LIST = "uk_ofsi"
UKSL_LIST = "uk_sanctions_list"

_GROUP_TYPES = {"individual": "Person", "entity": "Company", "ship": "Vessel"}
_SUBJECT_TYPES = {"individual": "Person", "entity": "Company", "ship": "Vessel"}
_NAME_COLUMNS = ("Name 1", "Name 2", "Name 3", "Name 4", "Name 5", "Name 6")
_ADDRESS_COLUMNS = (
    "Address 1", "Address 2", "Address 3", "Address 4", "Address 5", "Address 6",
    "Post/Zip Code", "Country",
)  # fmt: skip
_HEADER_SCAN_ROWS = 50
_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_ENUMERATOR = re.compile(r"\(\d{1,2}\)")
_DIGIT_RUN = re.compile(r"(?<![\dA-Za-z])\d+(?![\dA-Za-z])")
_SPACED_NUMBER = re.compile(r"[\d ]+")
_INN_LABEL = re.compile(r"\b(?:inn|tin|taxpayer|tax)\b|инн", re.IGNORECASE)
_BUSINESS_REG = re.compile(
    r"\(Business Reg No\)\s*:(?P<text>.*?)(?=\s*\([A-Z][A-Za-z' /-]{2,40}\)\s*:|\Z)", re.DOTALL
)
_NON_LATIN_REMARK = re.compile(
    r"Name \(non-Latin script\):\s*(?P<name>[^\n]+?)\s*(?:\.\s+Non Latin Script|\(UK |\n|$)"
)
_UKSL_REF = re.compile(r"UK Sanctions List Ref\)\s*:\s*(\w+)")
_FOREIGN_TAG = re.compile(r"\(([A-Za-z .'-]{3,40})\)")
_RUSSIA_WORDS = ("russia", "russian federation")
# Labels of other countries' registration numbers that can pass an INN check by chance.
_FOREIGN_LABEL = re.compile(
    r"\b(?:BIN|BR|CR|CRN|UEN|UNN|EDRPOU)\b|УНН|ЕГРПОУ|kazakhstan|belarus|ukrain", re.IGNORECASE
)
_RU_REGIMES = frozenset({"russia"})


# --------------------------------------------------------------------------------------
# Small shared helpers
# --------------------------------------------------------------------------------------


def _clean(value: str | None) -> str:
    """Whitespace-collapsed, stripped text ("" for None or blank)."""
    return clean(value) or ""


def _dmy(value: str | None) -> str | None:
    """``dd/mm/yyyy`` (or ISO ``yyyy-mm-dd``) as an ISO date; None if empty or impossible."""
    return parse_date(value, ("%d/%m/%Y", "%Y-%m-%d"))


def _iso2(text: str | None) -> str | None:
    """ISO2 for one country name, also when it carries a note ("Iraq (previous address)")."""
    text = _clean(text)
    if not text:
        return None
    codes = country_codes(text) or country_codes(re.sub(r"\([^)]*\)", " ", text))
    return codes[0] if len(codes) == 1 else None


class _Ids:
    """Identifiers in first-seen order, one per (type, value)."""

    def __init__(self) -> None:
        self._found: dict[tuple[str, str], Identifier] = {}

    def add(self, kind: str, value: str | None, country: str | None = None) -> None:
        value = _clean(value)
        if value and (kind, value) not in self._found:
            self._found[(kind, value)] = Identifier(kind, value, country)

    def from_text(self, text: str | None) -> None:
        """Labelled Russian INN/OGRN/KPP and IMO numbers in free text."""
        for kind, values in ids_in_text(text or "").items():
            for value in values:
                self.add(kind, value, None if kind == "imo" else "RU")

    def bare_russian(self, text: str | None) -> None:
        """Unlabelled numbers that pass the INN (10/12) or OGRN (13/15) check digits.

        Only for text known to hold registration numbers of a Russian target; an
        enumerated item tagged with another country ("(Kazakhstan)") is skipped.
        """
        text = text or ""
        items = _ENUMERATOR.split(text) if _ENUMERATOR.search(text) else [text]
        for item in items:
            tags = [t.lower() for t in _FOREIGN_TAG.findall(item)]
            if _FOREIGN_LABEL.search(item) or any(
                tag not in _RUSSIA_WORDS for tag in tags if _iso2(tag)
            ):
                continue
            runs = _DIGIT_RUN.findall(item)
            if _SPACED_NUMBER.fullmatch(item.strip()):
                runs.append(item.replace(" ", "").strip())
            for run in runs:
                if len(run) in (10, 12) and (inn := normalise_inn(run)) == run:
                    self.add("inn", inn, "RU")
                elif len(run) in (13, 15) and (ogrn := normalise_ogrn(run)):
                    self.add("ogrn", ogrn, "RU")

    def national(self, number: str | None, details: str | None, russian: bool) -> None:
        """A national-id cell: an INN when labelled as one (or a valid 12-digit number of a
        Russian person), otherwise ``national_id``."""
        for value in _split_enumerated(number):
            inn = normalise_inn(value)
            labelled = bool(_INN_LABEL.search(details or ""))
            if (
                inn
                and inn == re.sub(r"\D", "", value)
                and (labelled or (russian and len(inn) == 12))
            ):
                self.add("inn", inn, "RU")
            else:
                self.add("national_id", value)

    def values(self) -> tuple[Identifier, ...]:
        return tuple(self._found.values())


def _split_enumerated(cell: str | None) -> list[str]:
    """``"(1) 223611 (2) C00146605"`` → ``["223611", "C00146605"]``; a plain cell as is."""
    text = _clean(cell)
    if not text:
        return []
    if _ENUMERATOR.search(text):
        return [p.strip(" ,;") for p in _ENUMERATOR.split(text) if p.strip(" ,;")]
    return [text]


class _Aliases:
    """Names of one target: the primary name plus distinct aliases in first-seen order."""

    def __init__(self) -> None:
        self._seen: dict[str, Alias] = {}

    def add(self, name: str | None, kind: str, script: str | None = None) -> None:
        name = _clean(name)
        if name and name.casefold() not in self._seen:
            self._seen[name.casefold()] = Alias(name, kind, script)

    def without(self, primary: str) -> tuple[Alias, ...]:
        return tuple(a for key, a in self._seen.items() if key != primary.casefold())


# --------------------------------------------------------------------------------------
# OFSI Consolidated List
# --------------------------------------------------------------------------------------


def _ofsi_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]], str | None]:
    """(header, [(line, row)], "Last Updated" date from a title row)."""
    reader = csv.reader(io.StringIO(read_text(path)[0], newline=""))
    header: list[str] | None = None
    title_date: str | None = None
    rows: list[tuple[int, list[str]]] = []
    try:
        for row in reader:
            if header is None:
                cells = [c.strip() for c in row]
                if "Name 6" in cells and "Group ID" in cells:
                    header = cells
                    continue
                joined = " ".join(cells)
                if "last updated" in joined.lower() and (m := _DMY.search(joined)):
                    title_date = _dmy(m[0])
                if reader.line_num > _HEADER_SCAN_ROWS:
                    break
                continue
            rows.append((reader.line_num, row))
    except csv.Error as exc:
        raise LoaderError(path, f"bad CSV ({exc})", reader.line_num) from exc
    if header is None:
        raise LoaderError(
            path,
            f"no OFSI header row (a row with 'Name 6' and 'Group ID') "
            f"in the first {_HEADER_SCAN_ROWS} lines",
            1,
        )
    return header, rows, title_date


def _ofsi_name(row: dict[str, str]) -> str:
    return _clean(" ".join(row.get(c, "") for c in _NAME_COLUMNS))


def _ofsi_alias_kind(row: dict[str, str]) -> str:
    if row.get("Alias Quality", "").strip().lower().startswith("low"):
        return "weak"
    kind = row.get("Alias Type", "").strip().lower()
    return {"primary name": "primary", "primary name variation": "variation", "fka": "fka"}.get(
        kind, "aka"
    )


def _ofsi_entry(group_id: str, rows: list[dict[str, str]], path: Path, version: str) -> ListEntry:
    primary_row = next(
        (r for r in rows if r.get("Alias Type", "").strip().lower() == "primary name"),
        next(
            (r for r in rows if r.get("Alias Type", "").strip().lower().startswith("primary")),
            rows[0],
        ),
    )
    primary = _ofsi_name(primary_row)
    aliases = _Aliases()
    for row in rows:
        aliases.add(_ofsi_name(row), _ofsi_alias_kind(row))
    for row in rows:
        non_latin = _clean(row.get("Name Non-Latin Script"))
        if non_latin:
            aliases.add(non_latin, "non-latin", script_of(non_latin))

    regimes = unique(_clean(r.get("Regime")) for r in rows)
    countries = unique(_iso2(r.get(col)) for r in rows for col in ("Country", "Nationality"))
    russian = "RU" in countries or any(g.lower() in _RU_REGIMES for g in regimes)

    ids = _Ids()
    for row in rows:
        for passport in _split_enumerated(row.get("Passport Number")):
            ids.add("passport", passport)
        ids.national(
            row.get("National Identification Number"),
            row.get("National Identification Details"),
            russian,
        )
    remarks = unique(_clean(r.get("Other Information")) for r in rows)
    for remark in remarks:
        for m in _NON_LATIN_REMARK.finditer(remark):
            aliases.add(m["name"], "non-latin", script_of(m["name"]))
        ids.from_text(remark)
        if russian:
            for m in _BUSINESS_REG.finditer(remark):
                ids.bare_russian(m["text"])

    # A row whose only address cell is Country is no address (the country is kept above).
    addresses = unique(
        ", ".join(v for c in _ADDRESS_COLUMNS if (v := _clean(r.get(c))))
        for r in rows
        if any(_clean(r.get(c)) for c in _ADDRESS_COLUMNS[:-1])
    )
    regime_listed: dict[str, str] = {}
    for row in rows:
        listed = _dmy(row.get("Listed On"))
        regime = _clean(row.get("Regime"))
        if listed and (regime not in regime_listed or listed < regime_listed[regime]):
            regime_listed[regime] = listed
    listed_dates = sorted(regime_listed.values())
    designated = sorted(d for r in rows if (d := _dmy(r.get("UK Sanctions List Date Designated"))))
    updated = sorted(d for r in rows if (d := _dmy(r.get("Last Updated"))))
    extra: dict = {
        "group_id": group_id,
        "regime_listed_on": regime_listed,
        "uk_sanctions_list_date_designated": designated[0] if designated else None,
        "last_updated": updated[-1] if updated else None,
    }
    for key, column in (
        ("dob", "DOB"), ("title", "Title"), ("position", "Position"),
        ("town_of_birth", "Town of Birth"), ("country_of_birth", "Country of Birth"),
        ("passport_details", "Passport Details"),
        ("national_id_details", "National Identification Details"),
    ):  # fmt: skip
        values = unique(_clean(r.get(column)) for r in rows)
        if values:
            extra[key] = list(values)
    refs = unique(m[1] for remark in remarks for m in _UKSL_REF.finditer(remark))
    if refs:
        extra["uk_sanctions_list_ref"] = list(refs)
    return ListEntry(
        list=OFSI_LIST,
        list_entity_id=group_id,
        schema=_GROUP_TYPES.get(primary_row.get("Group Type", "").strip().lower(), "Other"),
        name=primary,
        aliases=aliases.without(primary),
        identifiers=ids.values(),
        countries=countries,
        addresses=addresses,
        programs=regimes,
        listing_date=listed_dates[0] if listed_dates else None,
        remarks="\n".join(remarks) or None,
        source_file=path.name,
        version=version,
        extra=extra,
    )


def load_ofsi_conlist(path: Path, version: str | None = None) -> Iterator[ListEntry]:
    """Entries of an OFSI Consolidated List CSV (plain or .gz), one per ``Group ID``.

    ``version`` defaults to the "Last Updated" date of a title row, else the date in the
    file name (``..._2025-04-10.csv.gz``), else the newest ``Last Updated`` cell.
    """
    path = Path(path)
    header, rows, title_date = _ofsi_rows(path)
    groups: dict[str, list[dict[str, str]]] = {}
    skipped = 0
    for line, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header) and any(c.strip() for c in row[len(header) :]):
            raise LoaderError(path, f"{len(row)} fields, the header has {len(header)}", line)
        record = dict(zip(header, row, strict=False))
        group_id = record.get("Group ID", "").strip()
        if not group_id:
            skipped += 1
            continue
        groups.setdefault(group_id, []).append(record)
    if skipped:
        log.warning("%s: %d rows without a Group ID skipped", path, skipped)
    if version is None:
        version = title_date or date_in_name(path)
    if version is None:
        updated = [d for g in groups.values() for r in g if (d := _dmy(r.get("Last Updated")))]
        version = max(updated, default="")
    for group_id, group in groups.items():
        yield _ofsi_entry(group_id, group, path, version)


# --------------------------------------------------------------------------------------
# UK Sanctions List (covyr tables)
# --------------------------------------------------------------------------------------

_COVYR_TABLES = {
    "subjects": ("unique_id", "subject_type", "date_designated", "last_updated"),
    "subject_names": ("unique_id", "name_type", "full_name"),
    "subject_identifiers": ("unique_id", "raw_value", "identifier_type"),
    "subject_countries": ("unique_id", "country_type", "iso"),
    "subject_dobs": ("unique_id", "year", "month", "day"),
}
_OPTIONAL_TABLES = frozenset({"subject_identifiers", "subject_countries", "subject_dobs"})


def _table_path(folder: Path, stem: str) -> Path | None:
    for suffix in (".csv", ".csv.gz"):
        candidate = folder / f"{stem}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def _read_table(folder: Path, stem: str) -> list[dict[str, str]]:
    path = _table_path(folder, stem)
    if path is None:
        if stem in _OPTIONAL_TABLES:
            log.warning("%s: no %s.csv; loading without it", folder, stem)
            return []
        raise LoaderError(folder, f"no {stem}.csv (UK Sanctions List tables)")
    # restval="": a short row's missing cells are empty text, not None (".strip()" on None)
    reader = csv.DictReader(io.StringIO(read_text(path)[0], newline=""), restval="")
    try:
        fields = [f.strip() for f in reader.fieldnames or []]
        missing = [c for c in _COVYR_TABLES[stem] if c not in fields]
        if missing:
            raise LoaderError(path, f"missing column(s) {', '.join(missing)}", 1)
        reader.fieldnames = fields
        return list(reader)
    except csv.Error as exc:
        raise LoaderError(path, f"bad CSV ({exc})", reader.line_num) from exc


def _by_subject(rows: list[dict[str, str]]) -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        out.setdefault((row.get("unique_id") or "").strip(), []).append(row)
    return out


def _covyr_name(row: dict[str, str]) -> str:
    name = _clean(row.get("full_name"))
    if name:
        return name
    parts = [row.get(f"name_{i}", "") for i in (1, 2, 3, 4, 5, 6)]
    return _clean(" ".join(parts))


def _covyr_dob(row: dict[str, str]) -> str:
    year, month, day = (row.get(k, "").strip() for k in ("year", "month", "day"))
    return "-".join(p for p in (year, month if year else "", day if year and month else "") if p)


def _covyr_entry(
    subject: dict[str, str],
    names: list[dict[str, str]],
    identifiers: list[dict[str, str]],
    countries: list[dict[str, str]],
    dobs: list[dict[str, str]],
    folder: Path,
    version: str,
) -> ListEntry:
    uid = subject["unique_id"].strip()
    names = sorted(names, key=lambda r: r.get("name_id", ""))
    primary_row = next((r for r in names if r.get("name_type") == "primary"), None)
    primary = _covyr_name(primary_row) if primary_row else ""
    aliases = _Aliases()
    for row in names:
        kind = row.get("name_type", "").strip()
        strength = row.get("alias_strength", "").strip()
        if strength.startswith("low"):
            alias_kind = "weak"
        else:
            alias_kind = {"primary": "primary", "primary_variation": "variation"}.get(kind, "aka")
        aliases.add(_covyr_name(row), alias_kind)
    if not primary:
        primary = next(iter(a.name for a in aliases.without("")), uid)

    listed_countries = unique(
        (r.get("iso") or "").strip().upper()
        for r in countries
        if r.get("country_type") in ("address", "nationality")
    )
    birth_countries = unique(
        (r.get("iso") or "").strip().upper() for r in countries if r.get("country_type") == "birth"
    )
    regime = re.match(r"[A-Z]+", uid)
    russian = "RU" in listed_countries or (regime is not None and regime[0] == "RUS")

    ids = _Ids()
    for row in identifiers:
        kind = row.get("identifier_type", "").strip()
        raw = _clean(row.get("raw_value"))
        info = row.get("additional_info", "")
        if kind == "passport":
            for value in _split_enumerated(raw):
                ids.add("passport", value)
        elif kind == "national":
            ids.national(raw, info, russian)
        elif kind == "imo":
            ids.add("imo", normalise_imo(raw) or raw)
        elif kind == "business_registration_numbers":
            ids.from_text(raw)
            if russian:
                ids.bare_russian(raw.strip("'"))
            token = raw.strip("' ")
            if token and " " not in token:
                ids.add("registration", token)
        else:
            ids.add(kind or "other", raw)

    last_updated = _dmy(subject.get("last_updated"))
    extra: dict = {
        "ofsi_group_id": (subject.get("ofsi_group_id") or "").strip() or None,
        "un_reference_number": (subject.get("un_reference_number") or "").strip() or None,
        "last_updated": last_updated,
        "regime_code": regime[0] if regime else None,
    }
    if birth_countries:
        extra["birth_countries"] = list(birth_countries)
    dob_values = unique(_covyr_dob(r) for r in dobs)
    if dob_values:
        extra["dob"] = list(dob_values)
    return ListEntry(
        list=UKSL_LIST,
        list_entity_id=uid,
        schema=_SUBJECT_TYPES.get(subject.get("subject_type", "").strip().lower(), "Other"),
        name=primary,
        aliases=aliases.without(primary),
        identifiers=ids.values(),
        countries=listed_countries,
        programs=(regime[0],) if regime else (),
        listing_date=_dmy(subject.get("date_designated")),
        source_file=folder.name,
        version=version,
        extra=extra,
    )


def load_uk_sanctions_list(folder: Path, version: str | None = None) -> Iterator[ListEntry]:
    """Entries of the UK Sanctions List from covyr's normalised tables in ``folder``.

    ``version`` defaults to the newest ``last_updated`` in ``subjects.csv``.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise LoaderError(folder, "not a folder (expected the UK Sanctions List tables)")
    subjects = _read_table(folder, "subjects")
    names = _by_subject(_read_table(folder, "subject_names"))
    identifiers = _by_subject(_read_table(folder, "subject_identifiers"))
    countries = _by_subject(_read_table(folder, "subject_countries"))
    dobs = _by_subject(_read_table(folder, "subject_dobs"))
    if version is None:
        version = max((d for s in subjects if (d := _dmy(s.get("last_updated")))), default="")
    for line, subject in enumerate(subjects, start=2):
        uid = (subject.get("unique_id") or "").strip()
        if not uid:
            raise LoaderError(folder / "subjects.csv", "no unique_id", line)
        yield _covyr_entry(
            subject,
            names.get(uid, []),
            identifiers.get(uid, []),
            countries.get(uid, []),
            dobs.get(uid, []),
            folder,
            version,
        )
