"""Retired entity ids and where they lead: the ``entity_redirects`` table.

When a judgement or a re-run retires an entity id (see :mod:`tradetrace.resolve.ids`: a
merge keeps one of the two ids, an INN id whose INN has gone is given up), the id is not
forgotten: a row ``(old_id, new_id, reason, at)`` sends it to its successor, and every
lookup of a user-given entity id follows it (the CLI, the exposure target, search, the
API and the dashboard). ``reason`` is ``merged``, ``split`` or ``renamed``; ``at`` is when
the id was retired (UTC, ISO 8601).

The table is kept across runs like ``judgements``: a run of ``resolve`` never drops it, it
only adds the ids it retired and keeps the table tidy:

* chains are collapsed: once ``a → b`` and ``b → c``, the table says ``a → c`` (so a lookup
  is one step), each row keeping its own reason and time;
* an id in use again (a split gave a part back its old id) has no redirect: an id that
  exists always means itself.

A redirect whose successor has itself gone without a successor (a re-ingest dropped all
its records) stays, for the record; a lookup of it says where the id went.
"""

from __future__ import annotations

from collections.abc import Iterable

import ibis
import pyarrow as pa

from tradetrace.resolve.ids import Retired
from tradetrace.store import Store
from tradetrace.store.catalogue import ENTITY_REDIRECTS

__all__ = [
    "REDIRECTS_SCHEMA",
    "REDIRECTS_TABLE",
    "collapse",
    "redirect_of",
    "redirects_to",
    "successor",
    "write_redirects",
]

REDIRECTS_TABLE = ENTITY_REDIRECTS
REDIRECTS_SCHEMA = ibis.schema(
    {"old_id": "string", "new_id": "string", "reason": "string", "at": "string"}
)
_COLUMNS = tuple(REDIRECTS_SCHEMA)


def collapse(
    rows: Iterable[dict], retired: Iterable[Retired], live: set[str], at: str
) -> list[dict]:
    """The redirect rows after a run: ``rows`` (the stored ones) plus the ids it retired,
    chains collapsed, ids in use again dropped; sorted by ``old_id``."""
    by_old = {row["old_id"]: {c: row[c] for c in _COLUMNS} for row in rows}
    for gone in retired:
        if gone.new_id is not None:
            by_old[gone.old_id] = {
                "old_id": gone.old_id, "new_id": gone.new_id, "reason": gone.reason, "at": at
            }  # fmt: skip
    out = []
    for old, row in sorted(by_old.items()):
        if old in live:
            continue
        target, seen = row["new_id"], {old}
        while target in by_old and target not in live and target not in seen:
            seen.add(target)
            target = by_old[target]["new_id"]
        if target != old:
            out.append({**row, "new_id": target})
    return out


def stored(store: Store) -> list[dict]:
    if not store.has_table(REDIRECTS_TABLE):
        return []
    rows = store.to_arrow(store.table(REDIRECTS_TABLE)).to_pylist()
    return sorted(rows, key=lambda r: r["old_id"])


def write_redirects(store: Store, retired: Iterable[Retired], live: set[str], at: str) -> None:
    """Record the ids a run retired (call it with the run's other writes, in ``atomic``)."""
    before = stored(store)
    after = collapse(before, retired, live, at)
    if not store.has_table(REDIRECTS_TABLE):
        store.create_table(REDIRECTS_TABLE, REDIRECTS_SCHEMA)
    if after != before:
        table = pa.Table.from_pylist(after, schema=REDIRECTS_SCHEMA.to_pyarrow())
        store.replace_table(REDIRECTS_TABLE, table)


def redirect_of(store: Store, entity_id: str) -> dict | None:
    """The redirect of a retired id (``old_id, new_id, reason, at``), None for any other."""
    if not store.has_table(REDIRECTS_TABLE):
        return None
    t = store.table(REDIRECTS_TABLE)
    rows = store.to_arrow(t.filter(t.old_id == entity_id)).to_pylist()
    return rows[0] if rows else None


def successor(store: Store, entity_id: str) -> str | None:
    """The id a retired entity id now leads to, None if it is not a retired id."""
    row = redirect_of(store, entity_id)
    return row["new_id"] if row else None


def redirects_to(store: Store, entity_id: str) -> list[dict]:
    """The retired ids that lead to ``entity_id`` (its former ids), oldest first."""
    if not store.has_table(REDIRECTS_TABLE):
        return []
    t = store.table(REDIRECTS_TABLE)
    rows = store.to_arrow(t.filter(t.new_id == entity_id)).to_pylist()
    return sorted(rows, key=lambda r: (r["at"], r["old_id"]))
