"""EU consolidated financial sanctions list: the FSF XML and CSV files, and the pakote JSON.

All three give list name ``eu`` and use the EU ``logicalId`` as the entity id, so a
pakote load and a later FSF load of the same entity line up.

``load_eu_fsf_xml``
    The Financial Sanctions Files (FSF) XML (``xmlFullSanctionsList_1_1``): an
    ``export`` root with ``generationDate`` and one ``sanctionEntity`` per target,
    carrying ``logicalId``, ``designationDate``, ``euReferenceNumber``,
    ``unitedNationId`` and children ``regulation``, ``subjectType``, ``nameAlias``,
    ``identification``, ``address``, ``citizenship``, ``birthdate``, ``remark``.
    Parsed as a stream (namespace-agnostic) with defusedxml; DTD entities and
    external references are refused.

``load_eu_fsf_csv``
    The same content as the FSF CSV (``csvFullSanctionsList_1_1``): semicolon
    delimited, one row per name / address / identification / citizenship / birth
    date line, every row repeating the ``Entity_*`` columns; rows are grouped by
    ``Entity_LogicalId``.

Listing date: the entity's ``designationDate``; when it is empty, the earliest
``publicationDate`` of the entity's regulations, with ``listing_date_note`` saying so.
That is the date of the Official Journal act that first listed the entity *as far as
the file still shows it* — the EU sometimes drops the original act once it has been
amended, so this fallback can be later than the true first listing.

``load_pakote_json``
    ``haverisenosku/pakote_data``'s ``all.json`` — an aggregate the pakote project
    builds from the EU FSF XML, the UN XML and OFAC's *non-SDN* consolidated XML.
    Only entities whose ``source`` includes ``"EU"`` are loaded (as list ``eu``);
    the UN and OFAC parts are left to the UN and OFAC loaders, which read those
    lists' own files *with* their dates. pakote keeps no designation dates,
    regimes or regulation references, so every entry has ``listing_date=None``
    and a note saying why. Its primary name is whichever name came first in the
    EU file (often not the English one); when that name is not in Latin script
    the first Latin-script alias is used instead and the original kept as an alias.

Identifiers: EU ``identificationTypeCode`` values are mapped to the model's types
(``regnumber`` → ``registration``, ``tax``/``taxid``/``fiscalcode`` → ``tax``,
``passport``, ``id`` → ``national_id``, ``imo``, ``swiftbic`` → ``swift``, ``euvat`` →
``vat`` ...). A Russian registration number that passes the OGRN check digits becomes
``ogrn``, and a Russian tax number that passes the INN check digits becomes ``inn``
("Russian" = issued in RU, or issuing country unknown and the entity is Russian by
address/citizenship/other identifiers). Labelled INN/OGRN numbers in remarks are
read with :func:`tradetrace.resolve.identifiers.ids_in_text`.
"""

from __future__ import annotations

import csv
import json
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import Element

from tradetrace.resolve.identifiers import ids_in_text, normalise_imo, normalise_inn, normalise_ogrn
from tradetrace.resolve.names import script_of
from tradetrace.screen.lists.common import (
    LoaderError,
    clean,
    file_version,
    iterparse_xml,
    local_name,
    open_text,
    parse_date,
    read_text,
    unique,
)
from tradetrace.screen.lists.model import Alias, Identifier, ListEntry

__all__ = ["load_eu_fsf_csv", "load_eu_fsf_xml", "load_pakote_json"]

log = logging.getLogger(__name__)

LIST_NAME = "eu"
PAKOTE_NOTE = "no dates in this source (pakote aggregate)"
REGULATION_NOTE = "earliest regulation publicationDate (the entity has no designationDate)"

_SUBJECT_TYPES = {
    "person": "Person", "p": "Person", "individual": "Person",
    "enterprise": "Company", "e": "Company", "entity": "Company",
    "vessel": "Vessel", "v": "Vessel",
}  # fmt: skip
_UNKNOWN_COUNTRIES = frozenset({"", "00", "XX", "ZZ"})
_EU_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")
# EU identificationTypeCode -> model identifier type; codes not listed keep their own name
# when they are EU codes, and unknown labels (pakote's merged OFAC remarks) are dropped.
_ID_TYPES = {
    "passport": "passport",
    "id": "national_id",
    "national identification number": "national_id",
    "nationcert": "national_id",
    "regnumber": "registration",
    "tax": "tax",
    "taxid": "tax",
    "fiscalcode": "tax",
    "imo": "imo",
    "swiftbic": "swift",
    "euvat": "vat",
    "other": "other",
    "birthcert": "birthcert",
    "drivinglicence": "drivinglicence",
    "residentperm": "residentperm",
    "travelcardid": "travelcardid",
    "electionid": "electionid",
    "ssn": "ssn",
    "unssn": "ssn",
    "tradelic": "tradelic",
}


# --------------------------------------------------------------------------------------
# One entity, built from XML elements or CSV rows
# --------------------------------------------------------------------------------------


def _country(code: str | None) -> str | None:
    code = (code or "").strip().upper()
    return None if code in _UNKNOWN_COUNTRIES or len(code) != 2 else code


def _flag(value: str | None, default: bool = True) -> bool:
    value = (value or "").strip().lower()
    return default if not value else value in ("true", "1", "yes", "y")


def _identifier(
    code: str | None, number: str | None, country: str | None, russian_entity: bool
) -> Identifier | None:
    """The model identifier for one EU identification (None for unknown kinds / no number)."""
    number = clean(number)
    kind = _ID_TYPES.get((code or "").strip().lower())
    if not number or kind is None:
        return None
    russian = country == "RU" or (country is None and russian_entity)
    digits = _digits(number)
    if kind == "registration" and russian and (ogrn := normalise_ogrn(number)) == digits:
        return Identifier("ogrn", ogrn, "RU")
    if kind == "tax" and russian and (inn := normalise_inn(number)) == digits:
        return Identifier("inn", inn, "RU")
    if kind == "imo":
        return Identifier("imo", normalise_imo(number) or number, country)
    if kind == "swift":
        return Identifier("swift", number.replace(" ", "").upper(), country)
    return Identifier(kind, number, country)


def _identifiers(
    raw: Iterable[tuple[str | None, str | None, str | None]], russian_entity: bool
) -> dict[tuple[str, str], Identifier]:
    """Model identifiers for (type code, number, country code) triples, deduplicated.

    Numbers with no issuing country are read as Russian INN/OGRN when the entity is
    Russian, or when a tax number passes the INN check *and* a registration number
    passes the OGRN check (two independent check digits; pakote often loses the
    country of EU identifications).
    """
    triples = [(code, number, _country(country)) for code, number, country in raw]
    if not russian_entity:
        unknown = [(_ID_TYPES.get((c or "").strip().lower()), n) for c, n, k in triples if not k]
        has_inn = any(
            kind == "tax" and len(_digits(n)) == 10 and normalise_inn(n) for kind, n in unknown
        )
        has_ogrn = any(
            kind == "registration" and len(_digits(n)) == 13 and normalise_ogrn(n)
            for kind, n in unknown
        )
        russian_entity = has_inn and has_ogrn
    found: dict[tuple[str, str], Identifier] = {}
    for code, number, country in triples:
        ident = _identifier(code, number, country, russian_entity)
        if ident is not None:
            found.setdefault((ident.type, ident.value), ident)
    return found


def _digits(value: str | None) -> str:
    return re.sub(r"\D", "", value or "")


@dataclass
class _Regulation:
    programme: str | None
    publication_date: str | None
    number_title: str | None
    regulation_type: str | None = None
    entry_into_force_date: str | None = None
    url: str | None = None


@dataclass
class _Entity:
    """Everything read for one ``sanctionEntity`` (or one ``Entity_LogicalId``)."""

    logical_id: str
    subject_type: str = ""
    designation_date: str | None = None
    delisting_date: str | None = None
    eu_reference: str | None = None
    un_id: str | None = None
    designation_details: str | None = None
    regulations: dict[tuple, _Regulation] = field(default_factory=dict)
    names: dict[str, tuple[str, bool, str]] = field(default_factory=dict)  # key->(name,strong,lang)
    functions: list[str] = field(default_factory=list)
    ids: list[tuple[str | None, str | None, str | None]] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    birth_dates: list[str] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)

    def add_regulation(self, reg: _Regulation) -> None:
        key = (reg.programme, reg.publication_date, reg.number_title)
        if any(key) and key not in self.regulations:
            self.regulations[key] = reg

    def add_name(self, whole: str | None, strong: bool, language: str | None, *parts) -> None:
        name = clean(whole) or clean(" ".join(p for p in parts if p))
        if not name:
            return
        key = name.casefold()
        previous = self.names.get(key)
        # A name given as strong anywhere is strong.
        if previous is None or (strong and not previous[1]):
            self.names[key] = (name, strong, (language or "").strip().upper())

    def add_address(self, parts: Iterable[str | None], country: str | None) -> None:
        text = ", ".join(p for p in (clean(x) for x in parts) if p)
        if text and text not in self.addresses:
            self.addresses.append(text)
        if country and country not in self.countries:
            self.countries.append(country)

    def add_country(self, country: str | None) -> None:
        if country and country not in self.countries:
            self.countries.append(country)

    def add_remark(self, text: str | None) -> None:
        text = clean(text)
        if text and text not in self.remarks:
            self.remarks.append(text)

    def entry(self, path: Path, version: str) -> ListEntry:
        names = list(self.names.values())
        primary = _pick_primary(names)
        aliases = tuple(
            Alias(name, "aka" if strong else "weak") for name, strong, _ in names if name != primary
        )
        regulations = list(self.regulations.values())
        listing_date, note = self.designation_date, None
        if listing_date is None:
            published = sorted(r.publication_date for r in regulations if r.publication_date)
            if published:
                listing_date, note = published[0], REGULATION_NOTE
        russian = "RU" in self.countries or any(_country(c) == "RU" for _, _, c in self.ids)
        identifiers = _identifiers(self.ids, russian)
        for remark in self.remarks:
            for kind, values in ids_in_text(remark).items():
                for value in values:
                    country = None if kind == "imo" else "RU"
                    identifiers.setdefault((kind, value), Identifier(kind, value, country))
        extra: dict = {
            "eu_reference_number": self.eu_reference,
            "un_id": self.un_id,
            "designation_details": self.designation_details,
            "regulations": [
                {
                    "programme": r.programme,
                    "publication_date": r.publication_date,
                    "number_title": r.number_title,
                    "regulation_type": r.regulation_type,
                    "entry_into_force_date": r.entry_into_force_date,
                    "url": r.url,
                }
                for r in regulations
            ],
        }
        if self.birth_dates:
            extra["birth_dates"] = list(self.birth_dates)
        if self.functions:
            extra["functions"] = list(self.functions)
        return ListEntry(
            list=LIST_NAME,
            list_entity_id=self.logical_id,
            schema=_SUBJECT_TYPES.get(self.subject_type.strip().lower(), "Other"),
            name=primary,
            aliases=aliases,
            identifiers=tuple(identifiers.values()),
            countries=tuple(self.countries),
            addresses=tuple(self.addresses),
            programs=unique(r.programme for r in regulations),
            listing_date=listing_date,
            delisting_date=self.delisting_date,
            listing_date_note=note,
            remarks="\n".join(self.remarks) or None,
            source_file=path.name,
            version=version,
            extra=extra,
        )


def _pick_primary(names: list[tuple[str, bool, str]]) -> str:
    """The first strong English (or language-less) name, else the first strong, else first."""
    for name, strong, language in names:
        if strong and language in ("", "EN"):
            return name
    for name, strong, _ in names:
        if strong:
            return name
    return names[0][0] if names else ""


# --------------------------------------------------------------------------------------
# FSF XML
# --------------------------------------------------------------------------------------


def _date(value: str | None) -> str | None:
    return parse_date(value, _EU_DATE_FORMATS)


def _children(elem: Element) -> Iterator[tuple[str, Element]]:
    for child in elem:
        yield local_name(child.tag), child


def _xml_regulation(elem: Element) -> _Regulation:
    url = elem.get("publicationUrl")
    for name, child in _children(elem):
        if name == "publicationUrl" and child.text:
            url = child.text.strip()
    return _Regulation(
        programme=clean(elem.get("programme")),
        publication_date=_date(elem.get("publicationDate")),
        number_title=clean(elem.get("numberTitle")),
        regulation_type=clean(elem.get("regulationType")),
        entry_into_force_date=_date(elem.get("entryIntoForceDate")),
        url=url,
    )


def _xml_entity(elem: Element) -> _Entity:
    ent = _Entity(
        logical_id=(elem.get("logicalId") or "").strip(),
        designation_date=_date(elem.get("designationDate")),
        delisting_date=_date(elem.get("delistingDate")),
        eu_reference=clean(elem.get("euReferenceNumber")),
        un_id=clean(elem.get("unitedNationId")),
        designation_details=clean(elem.get("designationDetails")),
    )
    for name, child in _children(elem):
        get = child.get
        if name == "regulation":
            ent.add_regulation(_xml_regulation(child))
        elif name == "subjectType":
            ent.subject_type = get("code") or get("classificationCode") or ""
        elif name == "nameAlias":
            ent.add_name(
                get("wholeName"),
                _flag(get("strong")),
                get("nameLanguage"),
                get("firstName"),
                get("middleName"),
                get("lastName"),
            )
            function = clean(get("function"))
            if function and function not in ent.functions:
                ent.functions.append(function)
        elif name == "identification":
            ent.ids.append(
                (get("identificationTypeCode"), get("number") or get("latinNumber"),
                 get("countryIso2Code"))
            )  # fmt: skip
        elif name == "address":
            ent.add_address(
                (get("street"), get("poBox"), get("city"), get("zipCode"), get("region"),
                 get("place"), get("countryDescription")),
                _country(get("countryIso2Code")),
            )  # fmt: skip
        elif name == "citizenship":
            ent.add_country(_country(get("countryIso2Code")))
        elif name == "birthdate":
            born = _date(get("birthdate")) or clean(get("year"))
            if born and born not in ent.birth_dates:
                ent.birth_dates.append(born)
        elif name == "remark":
            ent.add_remark(child.text)
    return ent


def load_eu_fsf_xml(path: Path, version: str | None = None) -> Iterator[ListEntry]:
    """Entries of an EU FSF consolidated-list XML file (plain or .gz), streamed.

    ``version`` defaults to the root's ``generationDate`` (date part), else a date in
    the file name.
    """
    path = Path(path)
    stamp: str | None = None
    root: Element | None = None
    seen_root = False
    for event, elem in iterparse_xml(path, events=("start", "end")):
        if event == "start":
            if not seen_root:
                seen_root = True
                root = elem
                stamp = _date(elem.get("generationDate"))
                if local_name(elem.tag) != "export":
                    raise LoaderError(
                        path, f"root element is <{local_name(elem.tag)}>, not an EU FSF <export>"
                    )
            continue
        if local_name(elem.tag) != "sanctionEntity":
            continue
        ent = _xml_entity(elem)
        if root is not None:
            root.clear()  # drop finished entities; the root's stamp is already read
        if not ent.logical_id:
            log.warning("%s: a sanctionEntity without logicalId skipped", path)
            continue
        yield ent.entry(path, file_version(path, version, stamp))
    if not seen_root:
        raise LoaderError(path, "empty XML document")


# --------------------------------------------------------------------------------------
# FSF CSV
# --------------------------------------------------------------------------------------

_CSV_REQUIRED = ("Entity_LogicalId", "NameAlias_WholeName")
_HEADER_SCAN_LINES = 10


def _csv_row_into(ent: _Entity, row: dict[str, str]) -> None:
    get = row.get
    ent.subject_type = ent.subject_type or get("Entity_SubjectType") or ""
    if not ent.subject_type:
        ent.subject_type = get("Entity_SubjectType_ClassificationCode") or ""
    ent.designation_date = ent.designation_date or _date(get("Entity_DesignationDate"))
    ent.delisting_date = ent.delisting_date or _date(get("Entity_DelistingDate"))
    ent.eu_reference = ent.eu_reference or clean(get("Entity_EU_ReferenceNumber"))
    ent.un_id = ent.un_id or clean(get("Entity_UnitedNationId"))
    ent.designation_details = ent.designation_details or clean(get("Entity_DesignationDetails"))
    ent.add_remark(get("Entity_Remark"))
    ent.add_regulation(
        _Regulation(
            programme=clean(get("Entity_Regulation_Programme")),
            publication_date=_date(get("Entity_Regulation_PublicationDate")),
            number_title=clean(get("Entity_Regulation_NumberTitle")),
            regulation_type=clean(get("Entity_Regulation_Type")),
            entry_into_force_date=_date(get("Entity_Regulation_EntryIntoForceDate")),
            url=clean(get("Entity_Regulation_PublicationUrl")),
        )
    )
    ent.add_name(
        get("NameAlias_WholeName"),
        _flag(get("NameAlias_Strong")),
        get("NameAlias_NameLanguage"),
        get("NameAlias_FirstName"),
        get("NameAlias_MiddleName"),
        get("NameAlias_LastName"),
    )
    function = clean(get("NameAlias_Function"))
    if function and function not in ent.functions:
        ent.functions.append(function)
    number = clean(get("Identification_Number")) or clean(get("Identification_LatinNumber"))
    if number:
        ident = (get("Identification_TypeCode"), number, get("Identification_CountryIso2Code"))
        if ident not in ent.ids:
            ent.ids.append(ident)
    address = (
        get("Address_Street"), get("Address_PoBox"), get("Address_City"), get("Address_ZipCode"),
        get("Address_Region"), get("Address_Place"), get("Address_CountryDescription"),
    )  # fmt: skip
    ent.add_address(address, _country(get("Address_CountryIso2Code")))
    ent.add_country(_country(get("Citizenship_CountryIso2Code")))
    born = _date(get("BirthDate_BirthDate")) or clean(get("BirthDate_Year"))
    if born and born not in ent.birth_dates:
        ent.birth_dates.append(born)


def load_eu_fsf_csv(path: Path, version: str | None = None) -> Iterator[ListEntry]:
    """Entries of an EU FSF consolidated-list CSV (semicolon-delimited, plain or .gz).

    ``version`` defaults to the ``fileGenerationDate`` column (or a
    ``fileGenerationDate;<date>`` line before the header), else a date in the file name.
    """
    path = Path(path)
    reader = csv.reader(open_text(path), delimiter=";")
    header: list[str] | None = None
    stamp: str | None = None
    entities: dict[str, _Entity] = {}
    try:
        for row in reader:
            if header is None:
                cells = [c.strip().lstrip("\ufeff") for c in row]
                if all(col in cells for col in _CSV_REQUIRED):
                    header = cells
                elif cells and cells[0] == "fileGenerationDate" and len(cells) > 1:
                    stamp = _date(cells[1])
                elif reader.line_num >= _HEADER_SCAN_LINES:
                    break
                continue
            if not any(c.strip() for c in row):
                continue
            record = dict(zip(header, row, strict=False))
            logical_id = (record.get("Entity_LogicalId") or "").strip()
            if not logical_id:
                raise LoaderError(path, "row without Entity_LogicalId", reader.line_num)
            stamp = stamp or _date(record.get("fileGenerationDate"))
            ent = entities.get(logical_id)
            if ent is None:
                ent = entities[logical_id] = _Entity(logical_id)
            _csv_row_into(ent, record)
    except csv.Error as exc:
        raise LoaderError(path, f"bad CSV ({exc})", reader.line_num) from exc
    if header is None:
        raise LoaderError(
            path,
            "no EU FSF CSV header (semicolon-delimited, with "
            + " and ".join(_CSV_REQUIRED)
            + f") in the first {_HEADER_SCAN_LINES} lines",
            1,
        )
    resolved = file_version(path, version, stamp)
    for ent in entities.values():
        yield ent.entry(path, resolved)


# --------------------------------------------------------------------------------------
# pakote aggregate JSON
# --------------------------------------------------------------------------------------


def _pakote_primary(name: str | None, aliases: list[str]) -> tuple[str, list[str]]:
    """(primary, other names): pakote's first name unless it is not Latin script and a
    Latin-script alias exists."""
    names = list(unique(clean(n) for n in [name, *aliases]))
    if not names:
        return "", []
    if script_of(names[0]) != "Latin":
        latin = next((n for n in names if script_of(n) == "Latin"), None)
        if latin is not None:
            return latin, [n for n in names if n != latin]
    return names[0], names[1:]


_PAKOTE_TEXT = ("name", "type")
_PAKOTE_TEXT_LISTS = ("aliases", "source", "birthdates")
_PAKOTE_ID_TEXT = ("type", "number", "country")


def _pakote_problem(item: dict) -> str | None:
    """What is wrong with the JSON types of one pakote entity, or None.

    The loader reads names, aliases and identifiers as text; a number or a list where text
    belongs is a broken file, said as such rather than failing deep inside with a TypeError.
    """
    for key in _PAKOTE_TEXT:
        if not isinstance(item.get(key), str | None):
            return f"{key!r} is not text"
    if not isinstance(item.get("source_id"), str | int | None):
        return "'source_id' is not text"
    for key in _PAKOTE_TEXT_LISTS:
        values = item.get(key)
        if values is not None and not (
            isinstance(values, list) and all(isinstance(v, str | None) for v in values)
        ):
            return f"{key!r} is not a list of text"
    identifiers = item.get("identifiers")
    if identifiers is not None and not isinstance(identifiers, list):
        return "'identifiers' is not a list"
    for ident in identifiers or []:
        if isinstance(ident, dict) and not all(
            isinstance(ident.get(k), str | None) for k in _PAKOTE_ID_TEXT
        ):
            return "an identifier's type, number or country is not text"
    return None


def _pakote_entry(item: dict, path: Path, version: str) -> ListEntry | None:
    primary, others = _pakote_primary(item.get("name"), list(item.get("aliases") or []))
    source_id = str(item.get("source_id") or "").strip()
    if not primary or not source_id:
        return None
    raw_ids = [i for i in item.get("identifiers") or [] if isinstance(i, dict)]
    countries = unique(_country(i.get("country")) for i in raw_ids)
    russian = "RU" in countries
    identifiers = _identifiers(
        ((raw.get("type"), raw.get("number"), raw.get("country")) for raw in raw_ids), russian
    )
    extra: dict = {"sources": list(item.get("source") or []), "pakote_name": item.get("name")}
    if item.get("birthdates"):
        extra["birth_dates"] = list(item["birthdates"])
    return ListEntry(
        list=LIST_NAME,
        list_entity_id=source_id,
        schema=_SUBJECT_TYPES.get(str(item.get("type") or "").strip().lower(), "Other"),
        name=primary,
        aliases=tuple(Alias(n, "aka") for n in others),
        identifiers=tuple(identifiers.values()),
        listing_date=None,
        listing_date_note=PAKOTE_NOTE,
        source_file=path.name,
        version=version,
        extra=extra,
    )


def load_pakote_json(path: Path, version: str | None = None) -> Iterator[ListEntry]:
    """EU entries of pakote's ``all.json`` (plain or .gz), without listing dates.

    UN-only and OFAC-only entities are skipped (their own loaders read the dated
    originals). ``version`` defaults to ``metadata.generated`` (date part).
    """
    path = Path(path)
    text, _ = read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LoaderError(path, f"not JSON: {exc.msg}", exc.lineno, exc.colno) from exc
    if not isinstance(data, dict) or not isinstance(data.get("entities"), list):
        raise LoaderError(path, "not a pakote JSON file (no top-level 'entities' list)", 1)
    metadata = data.get("metadata")
    if not isinstance(metadata, dict):
        metadata = {}
    generated = metadata.get("generated")
    stamp = parse_date(generated) if isinstance(generated, str) else None
    resolved = file_version(path, version, stamp)
    for index, item in enumerate(data["entities"]):
        if not isinstance(item, dict):
            continue
        if problem := _pakote_problem(item):
            raise LoaderError(path, f"entities[{index}]: {problem}")
        if "EU" not in (item.get("source") or []):
            continue
        entry = _pakote_entry(item, path, resolved)
        if entry is not None:
            yield entry
