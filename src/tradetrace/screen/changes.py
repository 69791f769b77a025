"""What changed since the last screening: the list entries, and the parties of the store.

A screening keeps what it screened, so that the next one (``tradetrace watch``) can
screen only what changed and still give what a full ``screen`` would:

* ``screened_list_entries``: the list entries it screened against, each with a digest of
  its content (names, identifiers, countries, programmes, dates);
* ``screened_entities``: each entity's screening input (its names in order, country and
  identifiers) as one text, compared as a whole;
* ``screening_keys``: the index keys of every alias of every screened entity, which the
  candidate join (``screen.candidates``) reads;
* ``screening_identifiers``: each screened entity's identifiers, normalised as the list
  index normalises them.

Why the incremental result equals a full one: an entity's matches depend on its own input
and, through the index, only on the list names that share an index key with its names
(candidates, token frequencies, ranking), on the entries whose identifiers equal its own,
and on the entries it matched. So after a change, the entities to screen again are the
new or changed ones, and those that share a key or an identifier with an entry that was
added, removed or changed (its old and its new content), or that matched such an entry.
Every other entity's matches stay as they were. ``tests/test_watch.py`` checks the claim
against a full screen.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from tradetrace.screen.match import identifier_key, index_keys, screening_forms
from tradetrace.store import Store

__all__ = [
    "ENTRY_CONTENT",
    "IDENTIFIERS_SCHEMA",
    "ListChanges",
    "PartyChanges",
    "identifier_rows",
    "list_changes",
    "party_changes",
    "screened_name",
    "screening_input",
    "with_digests",
]

#: The columns of a list entry whose change can change a match or its event.
ENTRY_CONTENT = (
    "schema", "name", "aliases", "identifiers", "countries", "addresses", "programs",
    "listing_date", "delisting_date", "listing_date_note", "remarks",
)  # fmt: skip

IDENTIFIERS_SCHEMA = pa.schema([("entity_id", pa.string()), ("key", pa.string())])

Entry = tuple[str, str]  # (list, list_entity_id)


def with_digests(entries: pa.Table) -> pa.Table:
    """``entries`` with a ``digest`` of each entry's content (the version is not content)."""
    rows = entries.select(list(ENTRY_CONTENT)).to_pylist()
    digests = [
        hashlib.sha256(json.dumps(row, sort_keys=True, default=str).encode()).hexdigest()
        for row in rows
    ]
    return entries.append_column("digest", pa.array(digests, pa.string()))


@dataclass(frozen=True)
class ListChanges:
    """Entries added, removed and changed between the screened lists and the current ones.

    ``touched`` holds the old and the new content of each of them (both can propose
    candidates that differ now).
    """

    added: frozenset[Entry]
    removed: frozenset[Entry]
    changed: frozenset[Entry]
    touched: list[dict]
    versions_before: dict[str, str]
    versions_now: dict[str, str]

    @property
    def entries(self) -> frozenset[Entry]:
        return self.added | self.removed | self.changed

    def __bool__(self) -> bool:
        return bool(self.entries)

    def tokens(self) -> set[str]:
        """The index keys of every name of every touched entry (as the index makes them)."""
        keys: set[str] = set()
        for name in _names(self.touched):
            forms = screening_forms(name)
            if not forms.generic and forms.core:
                keys |= index_keys(forms)
        return keys

    def identifier_keys(self) -> set[str]:
        keys = {
            identifier_key(i["type"], i["value"])
            for entry in self.touched
            for i in entry["identifiers"] or ()
        }
        return {k for k in keys if k}


def _names(entries: list[dict]) -> Iterator[str]:
    for entry in entries:
        if entry["name"]:
            yield entry["name"]
        for alias in entry["aliases"] or ():
            if alias["name"]:
                yield alias["name"]


def _versions(entries: pa.Table | None) -> dict[str, str]:
    if entries is None or not entries.num_rows:
        return {}
    pairs = entries.select(["list", "version"]).group_by(["list", "version"]).aggregate([])
    return {row["list"]: row["version"] for row in pairs.to_pylist()}


def list_changes(before: pa.Table | None, now: pa.Table) -> ListChanges:
    """Compare the screened entries (``None`` before any screening) with the current ones;
    both carry :func:`with_digests`' ``digest``."""
    key_columns = ["list", "list_entity_id", "digest"]
    old = {
        (r["list"], r["list_entity_id"]): r["digest"]
        for r in (before.select(key_columns).to_pylist() if before is not None else [])
    }
    new = {
        (r["list"], r["list_entity_id"]): r["digest"] for r in now.select(key_columns).to_pylist()
    }
    added = frozenset(new.keys() - old.keys())
    removed = frozenset(old.keys() - new.keys())
    changed = frozenset(k for k in new.keys() & old.keys() if new[k] != old[k])
    touched_keys = added | removed | changed
    touched = [
        r
        for table in ([before] if before is not None else []) + [now]
        for r in _rows_with_keys(table, touched_keys)
    ]
    return ListChanges(added, removed, changed, touched, _versions(before), _versions(now))


def _rows_with_keys(table: pa.Table, keys: frozenset[Entry]) -> list[dict]:
    if not keys:
        return []
    mask = [
        (a, b) in keys
        for a, b in zip(table["list"].to_pylist(), table["list_entity_id"].to_pylist(), strict=True)
    ]
    return table.filter(pa.array(mask)).to_pylist()


def screening_input(entities: ir.Table) -> ir.Table:
    """Per entity, everything screening reads of it, as one text: ``screened_as``."""
    names = entities.aliases.map(lambda a: a["name"].fill_null("")).join("\x1e")
    identifiers = entities.identifiers.map(lambda i: i.fill_null("")).join("\x1e")
    text = ibis.literal("\x1f").join(
        [
            entities.name.fill_null(""),
            entities.country.fill_null(""),
            names.fill_null(""),
            identifiers.fill_null(""),
        ]
    )
    return entities.select("entity_id", screened_as=text)


def screened_name(screened_as: str) -> str | None:
    """The entity's name in :func:`screening_input`'s text (for an entity gone since)."""
    return screened_as.split("\x1f", 1)[0] or None


@dataclass(frozen=True)
class PartyChanges:
    """Entity ids new since the last screening, changed, and gone (re-resolution)."""

    new: frozenset[str]
    changed: frozenset[str]
    gone: frozenset[str]

    @property
    def touched(self) -> frozenset[str]:
        return self.new | self.changed | self.gone

    def __bool__(self) -> bool:
        return bool(self.touched)


def party_changes(store: Store, inputs: ir.Table, screened: ir.Table) -> PartyChanges:
    """Compare the entities' :func:`screening_input` with the screened one."""
    different = inputs.anti_join(screened, ["entity_id", "screened_as"]).select("entity_id")
    known = different.semi_join(screened, "entity_id").select("entity_id")
    gone = screened.anti_join(inputs, "entity_id").select("entity_id")

    def ids(expr: ir.Table) -> frozenset[str]:
        return frozenset(store.to_arrow(expr)["entity_id"].to_pylist())

    changed, everything = ids(known), ids(different)
    return PartyChanges(everything - changed, changed, ids(gone))


def identifier_rows(batch: pa.RecordBatch) -> pa.RecordBatch:
    """One row per (entity, identifier key) of the batch's entities (``entity_id``,
    ``identifiers``), keyed as the list index keys its entries' identifiers."""
    entity_ids, keys = [], []
    rows = zip(
        batch.column("entity_id").to_pylist(),
        batch.column("identifiers").to_pylist(),
        strict=True,
    )
    for entity_id, identifiers in rows:
        for ident in identifiers or ():
            scheme, _, value = ident.partition(":")
            key = identifier_key(scheme, value)
            if key:
                entity_ids.append(entity_id)
                keys.append(key)
    return pa.RecordBatch.from_pydict(
        {"entity_id": entity_ids, "key": keys}, schema=IDENTIFIERS_SCHEMA
    )
