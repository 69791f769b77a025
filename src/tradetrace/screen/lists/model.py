"""The normalised list entry: one sanctioned entity from any list.

Every loader yields :class:`ListEntry` objects; ``entries_table`` turns them into the
Arrow table stored as ``list_entries``. Dates are ISO strings (``YYYY-MM-DD``) or
None; ``listing_date_note`` says how the date was obtained when it is not the list's
own field (e.g. OFAC's first-seen proxy, or "censored" when the entry predates the
first snapshot and its true date is unknown).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pyarrow as pa

SCHEMAS = ("Person", "Company", "Organization", "LegalEntity", "Vessel", "Aircraft", "Other")


@dataclass(frozen=True)
class Alias:
    name: str
    type: str = "aka"  # "primary" | "aka" | "fka" | "weak" | "non-latin" ...
    script: str | None = None  # filled by the store loader from resolve.names.script_of


@dataclass(frozen=True)
class Identifier:
    type: str  # "inn" | "ogrn" | "kpp" | "imo" | "registration" | "passport" | "swift" | ...
    value: str
    country: str | None = None


@dataclass(frozen=True)
class ListEntry:
    list: str  # "ofac_sdn", "ofac_cons", "uk_ofsi", "uk_sanctions_list", "un", "eu" ...
    list_entity_id: str  # the list's own id (OFAC ent_num, UK group id, UN reference number ...)
    schema: str  # one of SCHEMAS
    name: str  # primary name as the list writes it
    aliases: tuple[Alias, ...] = ()
    identifiers: tuple[Identifier, ...] = ()
    countries: tuple[str, ...] = ()  # ISO 3166-1 alpha-2
    addresses: tuple[str, ...] = ()
    programs: tuple[str, ...] = ()  # programs / regimes, e.g. "RUSSIA-EO14024"
    listing_date: str | None = None
    delisting_date: str | None = None
    listing_date_note: str | None = None
    remarks: str | None = None
    source_file: str = ""
    version: str = ""  # the list's publication date or the file's own version stamp
    extra: dict = field(default_factory=dict, compare=False, hash=False)


ALIAS_TYPE = pa.struct([("name", pa.string()), ("type", pa.string()), ("script", pa.string())])
IDENTIFIER_TYPE = pa.struct(
    [("type", pa.string()), ("value", pa.string()), ("country", pa.string())]
)
ENTRIES_SCHEMA = pa.schema(
    [
        ("list", pa.string()),
        ("list_entity_id", pa.string()),
        ("schema", pa.string()),
        ("name", pa.string()),
        ("aliases", pa.list_(ALIAS_TYPE)),
        ("identifiers", pa.list_(IDENTIFIER_TYPE)),
        ("countries", pa.list_(pa.string())),
        ("addresses", pa.list_(pa.string())),
        ("programs", pa.list_(pa.string())),
        ("listing_date", pa.string()),
        ("delisting_date", pa.string()),
        ("listing_date_note", pa.string()),
        ("remarks", pa.string()),
        ("source_file", pa.string()),
        ("version", pa.string()),
    ]
)


def entries_table(entries: Iterable[ListEntry]) -> pa.Table:
    rows = [
        {
            "list": e.list,
            "list_entity_id": e.list_entity_id,
            "schema": e.schema,
            "name": e.name,
            "aliases": [{"name": a.name, "type": a.type, "script": a.script} for a in e.aliases],
            "identifiers": [
                {"type": i.type, "value": i.value, "country": i.country} for i in e.identifiers
            ],
            "countries": list(e.countries),
            "addresses": list(e.addresses),
            "programs": list(e.programs),
            "listing_date": e.listing_date,
            "delisting_date": e.delisting_date,
            "listing_date_note": e.listing_date_note,
            "remarks": e.remarks,
            "source_file": e.source_file,
            "version": e.version,
        }
        for e in entries
    ]
    return pa.Table.from_pylist(rows, schema=ENTRIES_SCHEMA)
