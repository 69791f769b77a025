"""OpenSanctions data in FollowTheMoney (FtM) JSON lines: entity exports and deltas.

Two line formats are read, and may even be mixed in one file:

* plain entities, one per line: ``{"id", "schema", "properties": {...}, "datasets", ...}``
  (OpenSanctions ``entities.ftm.json``);
* delta lines ``{"op": "ADD" | "MOD" | "DEL", "entity": {...}}`` (OpenSanctions delta
  exports). Ops are applied in file order: ``ADD`` and ``MOD`` put the entity's full
  new state, ``DEL`` removes it (only ``entity.id`` is needed). What remains after the
  last line is loaded — a delta file on its own is therefore only the *changed*
  entities, not a whole list.

Entities are read with :mod:`followthemoney` (``model.get_proxy``), which also drops
properties the schema does not know and normalises countries to ISO codes.

One :class:`ListEntry` is made per sanctioned target: a Person, Organization, Company,
LegalEntity, Vessel or Airplane (or another ``Thing`` flagged ``target``) that is
flagged ``target``, has a ``sanction*`` topic, or is the ``entity`` of a ``Sanction``.
``Sanction`` entities linked to it give:

* ``listing_date`` — the earliest ``listingDate``; if none of its sanctions has one,
  the earliest ``startDate``; else the earliest ``date`` (older exports, like the
  2024 yente delta fixture, only carry ``startDate``/``date``).
  ``listing_date_note`` names the property used. Only full ``YYYY-MM-DD`` dates count.
* ``delisting_date`` — the latest ``endDate``, only when *every* linked sanction has
  ended (one running sanction keeps the target listed).
* ``programs`` — each sanction's ``programId``, else ``program``, else ``authority``.

Targets without a linked Sanction get no listing date (FtM ``createdAt`` and
OpenSanctions' ``first_seen`` are kept in ``extra`` but are not listing dates).

List name is ``opensanctions``; the entity's OpenSanctions datasets (``eu_fsf``,
``us_ofac_sdn`` ...) are in ``extra["datasets"]``.

Licence: OpenSanctions data is published under **CC BY-NC 4.0** (non-commercial use
only; commercial users need a licence from OpenSanctions). The files shipped in the
shared data folder are yente test fixtures: use them as format fixtures, not as a
source of truth.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from followthemoney import EntityProxy, model
from followthemoney.exc import FollowTheMoneyException
from followthemoney.types import registry

from tradetrace.resolve.identifiers import ids_in_text, normalise_imo, normalise_inn, normalise_ogrn
from tradetrace.screen.lists.common import LoaderError, clean, file_version, read_text, unique
from tradetrace.screen.lists.model import Alias, Identifier, ListEntry

__all__ = ["load_ftm"]

log = logging.getLogger(__name__)

LIST_NAME = "opensanctions"

_OPS = ("ADD", "MOD", "DEL")
_DATE_PROPS = ("listingDate", "startDate", "date")
_NAME_PROPS = (("name", "aka"), ("alias", "aka"), ("weakAlias", "weak"), ("previousName", "fka"))
# FtM property -> (identifier type, country); country None = take none.
_ID_PROPS: dict[str, tuple[str, str | None]] = {
    "innCode": ("inn", "RU"),
    "ogrnCode": ("ogrn", "RU"),
    "kppCode": ("kpp", "RU"),
    "okpoCode": ("okpo", "RU"),
    "bikCode": ("bik", "RU"),
    "imoNumber": ("imo", None),
    "mmsi": ("mmsi", None),
    "registrationNumber": ("registration", None),
    "taxNumber": ("tax", None),
    "vatCode": ("vat", None),
    "swiftBic": ("swift", None),
    "leiCode": ("lei", None),
    "dunsCode": ("duns", None),
    "passportNumber": ("passport", None),
    "idNumber": ("national_id", None),
    "socialSecurityNumber": ("ssn", None),
    "uscCode": ("usc", "CN"),
}
_SKIP_COUNTRY_PROPS = frozenset({"birthCountry", "deathCountry"})


def _schema(proxy: EntityProxy) -> str:
    schema = proxy.schema
    if schema.is_a("Person"):
        return "Person"
    if schema.is_a("Company"):
        return "Company"
    if schema.is_a("Organization"):
        return "Organization"
    if schema.is_a("LegalEntity"):
        return "LegalEntity"
    if schema.is_a("Vessel"):
        return "Vessel"
    if schema.is_a("Airplane"):
        return "Aircraft"
    return "Other"


def _is_target_schema(proxy: EntityProxy) -> bool:
    schema = proxy.schema
    return any(schema.is_a(name) for name in ("LegalEntity", "Vessel", "Airplane"))


def _full_date(value: str | None) -> str | None:
    value = (value or "").strip()[:10]
    return value if len(value) == 10 and value[4] == "-" and value[7] == "-" else None


# --------------------------------------------------------------------------------------
# Reading lines and applying ops
# --------------------------------------------------------------------------------------


def _shape_problem(entity: dict) -> str | None:
    """A top-level field of the wrong JSON type (FtM writes text and lists of text), or None;
    found by fuzzing: a number as ``schema`` or ``caption`` failed deep in the loader."""
    for key in ("schema", "caption"):
        if not isinstance(entity.get(key), str | None):
            return f"{key!r} is not text"
    for key in ("referents", "datasets"):
        if not isinstance(entity.get(key), list | None):
            return f"{key!r} is not a list"
    return None


def _read_entities(path: Path) -> tuple[dict[str, dict], dict[str, int]]:
    """Raw entity dicts by id after applying every op, and the line each came from."""
    text, _ = read_text(path)
    entities: dict[str, dict] = {}
    lines: dict[str, int] = {}
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise LoaderError(path, f"not JSON: {exc.msg}", lineno, exc.colno) from exc
        if not isinstance(obj, dict):
            raise LoaderError(path, "a line that is not a JSON object", lineno)
        if "op" in obj:
            op = str(obj["op"]).upper()
            entity = obj.get("entity")
            if op not in _OPS:
                raise LoaderError(path, f"unknown delta op {obj['op']!r}", lineno)
            if not isinstance(entity, dict) or not entity.get("id"):
                raise LoaderError(path, f"{op} line without an entity id", lineno)
            if op == "DEL":
                entities.pop(str(entity["id"]), None)
                lines.pop(str(entity["id"]), None)
                continue
        else:
            entity = obj
        if not entity.get("id") or not entity.get("schema"):
            raise LoaderError(path, "an entity without 'id' or 'schema'", lineno)
        if problem := _shape_problem(entity):
            raise LoaderError(path, problem, lineno)
        entities[str(entity["id"])] = entity
        lines[str(entity["id"])] = lineno
    return entities, lines


def _proxies(
    path: Path, entities: dict[str, dict], lines: dict[str, int]
) -> dict[str, EntityProxy]:
    proxies: dict[str, EntityProxy] = {}
    for entity_id, raw in entities.items():
        if not isinstance(raw.get("properties", {}), dict):
            raise LoaderError(path, "'properties' is not an object", lines.get(entity_id))
        try:
            proxies[entity_id] = model.get_proxy(raw, cleaned=False)
        except FollowTheMoneyException as exc:
            raise LoaderError(path, f"not an FtM entity: {exc}", lines.get(entity_id)) from exc
    return proxies


# --------------------------------------------------------------------------------------
# Building entries
# --------------------------------------------------------------------------------------


def _listing(sanctions: list[EntityProxy]) -> tuple[str | None, str | None]:
    """(listing_date, note) from the target's Sanction entities."""
    if not sanctions:
        return None, "no Sanction entity linked in this file"
    for prop in _DATE_PROPS:
        dates = sorted(d for s in sanctions for v in s.get(prop) if (d := _full_date(v)))
        if dates:
            count = len(sanctions)
            note = f"earliest Sanction.{prop} of {count} linked sanction(s)"
            if prop != "listingDate":
                note += " (no listingDate given)"
            return dates[0], note
    return None, "linked Sanction entities carry no listingDate/startDate/date"


def _delisting(sanctions: list[EntityProxy]) -> str | None:
    ends = [sorted(d for v in s.get("endDate") if (d := _full_date(v))) for s in sanctions]
    if not sanctions or not all(ends):
        return None
    return max(e[-1] for e in ends)


def _programs(sanctions: list[EntityProxy]) -> tuple[str, ...]:
    values: list[str] = []
    for sanction in sanctions:
        values.extend(
            sanction.get("programId") or sanction.get("program") or sanction.get("authority")
        )
    return unique(clean(v) for v in values)


def _identifiers(
    proxy: EntityProxy, countries: tuple[str, ...], documents: list[EntityProxy]
) -> tuple[Identifier, ...]:
    russian = "RU" in countries
    found: dict[tuple[str, str], Identifier] = {}

    def add(kind: str, value: str | None, country: str | None) -> None:
        value = clean(value)
        if value:
            found.setdefault((kind, value), Identifier(kind, value, country))

    for prop, (kind, country) in _ID_PROPS.items():
        if prop not in proxy.schema.properties:
            continue
        for value in proxy.get(prop):
            if kind == "inn":
                add("inn", normalise_inn(value) or value, country)
            elif kind == "ogrn":
                add("ogrn", normalise_ogrn(value) or value, country)
            elif kind == "imo":
                add("imo", normalise_imo(value) or value, country)
            elif kind == "tax" and russian and (inn := normalise_inn(value)):
                add("inn", inn, "RU")
            elif kind == "registration" and russian and (ogrn := normalise_ogrn(value)):
                add("ogrn", ogrn, "RU")
            elif kind == "swift":
                add("swift", value.replace(" ", "").upper(), country)
            else:
                add(kind, value, country)
    for doc in documents:
        kind = "passport" if doc.schema.is_a("Passport") else "national_id"
        doc_country = next((c.upper() for c in doc.get("country") if len(c) == 2), None)
        for number in doc.get("number"):
            add(kind, number, doc_country)
    for note in proxy.get("notes"):
        for kind, values in ids_in_text(note).items():
            for value in values:
                add(kind, value, None if kind == "imo" else "RU")
    return tuple(found.values())


def _countries(proxy: EntityProxy) -> tuple[str, ...]:
    codes: list[str] = []
    for prop, value in proxy.itervalues():
        if prop.type == registry.country and prop.name not in _SKIP_COUNTRY_PROPS:
            code = value.upper()
            if len(code) == 2 and code != "ZZ":
                codes.append(code)
    return unique(codes)


def _names(proxy: EntityProxy, raw: dict) -> tuple[str, tuple[Alias, ...]]:
    primary = clean(raw.get("caption")) or clean(proxy.caption) or proxy.id or ""
    aliases: dict[str, Alias] = {}
    for prop, kind in _NAME_PROPS:
        if prop not in proxy.schema.properties:
            continue
        for value in proxy.get(prop):
            name = clean(value)
            if name and name != primary and name.casefold() not in aliases:
                aliases[name.casefold()] = Alias(name, kind)
    return primary, tuple(a for k, a in aliases.items() if k != primary.casefold())


def _entry(
    proxy: EntityProxy,
    raw: dict,
    sanctions: list[EntityProxy],
    addresses: dict[str, str],
    documents: list[EntityProxy],
    path: Path,
    version: str,
) -> ListEntry:
    name, aliases = _names(proxy, raw)
    countries = _countries(proxy)
    listing_date, note = _listing(sanctions)
    address_texts = list(proxy.get("address")) if "address" in proxy.schema.properties else []
    if "addressEntity" in proxy.schema.properties:
        address_texts.extend(addresses[a] for a in proxy.get("addressEntity") if a in addresses)
    extra: dict[str, Any] = {
        "datasets": list(raw.get("datasets") or []),
        "topics": proxy.get("topics"),
        "sanction_ids": [s.id for s in sanctions],
        "first_seen": raw.get("first_seen"),
        "last_change": raw.get("last_change"),
        "created_at": proxy.get("createdAt"),
    }
    if proxy.schema.is_a("Person"):
        extra["birth_dates"] = proxy.get("birthDate")
    return ListEntry(
        list=LIST_NAME,
        list_entity_id=proxy.id or "",
        schema=_schema(proxy),
        name=name,
        aliases=aliases,
        identifiers=_identifiers(proxy, countries, documents),
        countries=countries,
        addresses=unique(clean(a) for a in address_texts),
        programs=_programs(sanctions),
        listing_date=listing_date,
        delisting_date=_delisting(sanctions),
        listing_date_note=note,
        remarks="\n".join(unique(clean(n) for n in proxy.get("notes"))) or None,
        source_file=path.name,
        version=version,
        extra=extra,
    )


def load_ftm(path: Path, version: str | None = None) -> Iterator[ListEntry]:
    """Sanctioned targets of an OpenSanctions FtM JSON-lines file (plain or .gz).

    ``version`` defaults to the newest ``last_change`` date in the file, else a date in
    the file name.
    """
    path = Path(path)
    entities, lines = _read_entities(path)
    proxies = _proxies(path, entities, lines)

    # Merged OpenSanctions entities list the source ids they absorbed as "referents";
    # links may use either, so both resolve to the canonical id.
    canonical = {
        str(ref): entity_id
        for entity_id, raw in entities.items()
        for ref in raw.get("referents") or []
    }
    canonical.update({entity_id: entity_id for entity_id in entities})
    sanctions: dict[str, list[EntityProxy]] = {}
    addresses: dict[str, str] = {}
    documents: dict[str, list[EntityProxy]] = {}
    for proxy in proxies.values():
        schema = proxy.schema
        if schema.is_a("Sanction"):
            for target in proxy.get("entity"):
                sanctions.setdefault(canonical.get(target, target), []).append(proxy)
        elif schema.is_a("Address"):
            text = clean(proxy.first("full")) or clean(proxy.caption)
            if text and proxy.id:
                addresses[proxy.id] = text
        elif schema.is_a("Identification"):
            for holder in proxy.get("holder"):
                documents.setdefault(canonical.get(holder, holder), []).append(proxy)
    for ref, entity_id in canonical.items():
        if entity_id in addresses:
            addresses.setdefault(ref, addresses[entity_id])

    stamps = [str(raw.get("last_change") or "")[:10] for raw in entities.values()]
    stamp = max((s for s in stamps if _full_date(s)), default=None)
    resolved = file_version(path, version, stamp)
    for entity_id, proxy in proxies.items():
        raw = entities[entity_id]
        linked = sanctions.get(entity_id, [])
        topics = proxy.get("topics") if "topics" in proxy.schema.properties else []
        flagged = bool(raw.get("target")) or any(t.startswith("sanction") for t in topics)
        if not (flagged or linked):
            continue
        if not (_is_target_schema(proxy) or (raw.get("target") and proxy.schema.is_a("Thing"))):
            continue
        if proxy.schema.is_a("Address"):
            continue
        yield _entry(proxy, raw, linked, addresses, documents.get(entity_id, []), path, resolved)
