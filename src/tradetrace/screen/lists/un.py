"""The UN Security Council Consolidated List (``consolidated.xml``) as list entries.

The UN list carries its own listing date (``LISTED_ON``), so no proxy is needed. The
file is streamed with defusedxml (entity expansion and external entities refused)
and each ``INDIVIDUAL`` / ``ENTITY`` element is dropped once read, so memory stays
flat whatever the list's size.

Mapping: ``list_entity_id`` is the UN reference number (``KPi.033``; ``DATAID`` when
missing); ``programs`` is the sanctions regime (``UN_LIST_TYPE``: "DPRK", "Al-Qaida"…);
alias QUALITY "Low" becomes alias type ``weak`` (the UN's own "low quality a.k.a.",
worth less as match evidence); ``NAME_ORIGINAL_SCRIPT`` becomes a ``non-latin`` alias.
Entities are ``LegalEntity``: the UN does not say whether one is a company or a group.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import Element

from tradetrace.resolve.identifiers import ids_in_text
from tradetrace.screen.lists.common import (
    LoaderError,
    LoadStats,
    clean,
    country_codes,
    file_version,
    iterparse_xml,
    local_name,
    parse_date,
    split_names,
    unique,
)
from tradetrace.screen.lists.model import Alias, Identifier, ListEntry

__all__ = ["UN_LIST", "load_un_xml"]

UN_LIST = "un"
_NAME_FIELDS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
_ADDRESS_FIELDS = ("STREET", "CITY", "STATE_PROVINCE", "ZIP_CODE", "COUNTRY")
_ALIAS_QUALITY = {"good": "aka", "a.k.a.": "aka", "low": "weak", "f.k.a.": "fka"}
_SCHEMAS = {"INDIVIDUAL": "Person", "ENTITY": "LegalEntity"}


def _child_text(elem: Element, name: str) -> str | None:
    """Cleaned text of the first direct child called ``name``."""
    for child in elem:
        if local_name(child.tag) == name:
            return clean(child.text)
    return None


def _children(elem: Element, name: str) -> list[Element]:
    return [child for child in elem if local_name(child.tag) == name]


def _values(elem: Element, name: str) -> list[str]:
    """``<NAME><VALUE>a</VALUE><VALUE>b</VALUE></NAME>`` -> ``["a", "b"]``."""
    return [
        text
        for group in _children(elem, name)
        for value in _children(group, "VALUE")
        if (text := clean(value.text))
    ]


def _aliases(elem: Element, kind: str, name: str) -> tuple[Alias, ...]:
    """Aliases of every quality, the original-script name, and the parts of a primary
    name that lists several names (``"A (CAGL) ; B (GLBC)"``)."""
    found: list[Alias] = []
    for alias in _children(elem, f"{kind}_ALIAS"):
        alias_name = _child_text(alias, "ALIAS_NAME")
        if alias_name:
            quality = (_child_text(alias, "QUALITY") or "").lower()
            found.append(Alias(alias_name, _ALIAS_QUALITY.get(quality, "aka")))
    original = _child_text(elem, "NAME_ORIGINAL_SCRIPT")
    if original:
        found.append(Alias(original, "non-latin"))
    parts = split_names(name)
    if len(parts) > 1:
        found.extend(Alias(part, "aka") for part in parts)
    seen = {name.casefold()}
    unique_aliases: list[Alias] = []
    for candidate in found:
        if candidate.name.casefold() not in seen:
            seen.add(candidate.name.casefold())
            unique_aliases.append(candidate)
    return tuple(unique_aliases)


def _addresses(elem: Element, kind: str) -> tuple[list[str], list[str]]:
    """``(address texts, ISO2 countries)`` from the address elements."""
    texts: list[str] = []
    countries: list[str] = []
    for address in _children(elem, f"{kind}_ADDRESS"):
        parts = [_child_text(address, f) for f in _ADDRESS_FIELDS]
        text = ", ".join(p for p in parts if p)
        note = _child_text(address, "NOTE")
        if text:
            texts.append(f"{text} ({note})" if note else text)
        countries.extend(country_codes(_child_text(address, "COUNTRY")))
    return texts, countries


def _document_type(label: str) -> str:
    """A UN document type ("Passport", "Numéro de passeport", "National Identification
    Number") as a short identifier type."""
    label = label.lower()
    if re.search(r"passport|passeport|pasaporte", label):
        return "passport"
    if "national" in label or "identi" in label:
        return "national_id"
    if "tax" in label:
        return "tax_id"
    return "document"


def _identifiers(elem: Element, kind: str, comments: str | None) -> tuple[Identifier, ...]:
    """Documents of individuals, plus INN/OGRN/IMO quoted with a label in the comments."""
    found: dict[tuple[str, str], Identifier] = {}
    for doc in _children(elem, f"{kind}_DOCUMENT"):
        number = _child_text(doc, "NUMBER")
        if not number:
            continue
        label = _child_text(doc, "TYPE_OF_DOCUMENT") or _child_text(doc, "TYPE_OF_DOCUMENT2")
        issuer = country_codes(
            _child_text(doc, "ISSUING_COUNTRY") or _child_text(doc, "COUNTRY_OF_ISSUE")
        )
        ident = Identifier(_document_type(label or ""), number, issuer[0] if issuer else None)
        found.setdefault((ident.type, ident.value), ident)
    for id_type, values in ids_in_text(comments or "").items():
        for value in values:
            ident = Identifier(id_type, value, None if id_type == "imo" else "RU")
            found.setdefault((ident.type, ident.value), ident)
    return tuple(found.values())


def _entry(elem: Element, kind: str, path: Path, version: str) -> ListEntry | None:
    """One ``INDIVIDUAL`` or ``ENTITY`` element as a :class:`ListEntry` (None if nameless)."""
    name = " ".join(p for f in _NAME_FIELDS if (p := _child_text(elem, f)))
    if not name:
        return None
    reference = _child_text(elem, "REFERENCE_NUMBER")
    dataid = _child_text(elem, "DATAID")
    addresses, address_countries = _addresses(elem, kind)
    nationalities = [c for v in _values(elem, "NATIONALITY") for c in country_codes(v)]
    comments = _child_text(elem, "COMMENTS1")
    program = _child_text(elem, "UN_LIST_TYPE")
    listed_on = _child_text(elem, "LISTED_ON")
    extra: dict = {"dataid": dataid, "last_updated": _values(elem, "LAST_DAY_UPDATED")}
    if designations := _values(elem, "DESIGNATION"):
        extra["designation"] = designations
    return ListEntry(
        list=UN_LIST,
        list_entity_id=reference or dataid or "",
        schema=_SCHEMAS[kind],
        name=name,
        aliases=_aliases(elem, kind, name),
        identifiers=_identifiers(elem, kind, comments),
        countries=unique(nationalities + address_countries),
        addresses=unique(addresses),
        programs=(program,) if program else (),
        listing_date=parse_date(listed_on),
        listing_date_note=None if parse_date(listed_on) else "no LISTED_ON date in the list",
        remarks=comments,
        source_file=str(path),
        version=version,
        extra=extra,
    )


def load_un_xml(
    path: Path, version: str | None = None, *, stats: LoadStats | None = None
) -> Iterator[ListEntry]:
    """Entries of the UN consolidated list XML (plain or gzipped).

    ``version``: the argument, else the root's ``dateGenerated`` date, else a date in
    the file name. A file whose root is not ``CONSOLIDATED_LIST`` is refused.
    """
    stats = stats if stats is not None else LoadStats()
    path = Path(path)
    version_set = False
    depth = 0
    for event, elem in iterparse_xml(path, ("start", "end")):
        if event == "start":
            depth += 1
            if depth == 1:
                if local_name(elem.tag) != "CONSOLIDATED_LIST":
                    raise LoaderError(
                        path, f"not a UN consolidated list (root <{local_name(elem.tag)}>)"
                    )
                stamp = parse_date(elem.get("dateGenerated"))
                version = file_version(path, version, stamp)
                stats.version = version
                version_set = True
            continue
        depth -= 1
        kind = local_name(elem.tag)
        if kind not in _SCHEMAS or depth != 2:
            continue
        stats.rows[kind.lower()] += 1
        entry = _entry(elem, kind, path, version or "")
        elem.clear()
        if entry is None:
            stats.skipped[f"{kind.lower()}_without_name"] += 1
            continue
        stats.entries += 1
        yield entry
    if not version_set:  # pragma: no cover - iterparse raises on an empty document first
        raise LoaderError(path, "empty XML document")
