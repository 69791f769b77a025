"""Screen every resolved entity, and label each declaration with its parties' status that day.

``matches`` holds one row per (entity, list entry) at or above the threshold, with the
explanation as JSON. The view ``screened_declarations`` adds, for the importer and the
exporter of every declaration line, the status *on the declaration date*:

* ``listed``: on a list that day (listing date ≤ date, and not yet delisted);
* ``not listed``: no match, or the declaration predates the listing;
* ``delisted``: the listing had ended by that day;
* ``listing date unknown``: matched, but the list gives no date (e.g. OFAC entries
  already listed at the first 2021 snapshot, or a date-less EU aggregate).
"""

from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa

from tradetrace.errors import StoreError
from tradetrace.screen.match import ListIndex, MatchConfig, Query
from tradetrace.store import Store

MATCHES_SCHEMA = pa.schema(
    [
        ("entity_id", pa.string()),
        ("list", pa.string()),
        ("list_entity_id", pa.string()),
        ("list_name", pa.string()),
        ("query_name", pa.string()),
        ("matched_name", pa.string()),
        ("score", pa.float64()),
        ("explanation", pa.string()),
        ("listing_date", pa.date32()),
        ("delisting_date", pa.date32()),
        ("listing_date_note", pa.string()),
        ("programs", pa.list_(pa.string())),
    ]
)


def current_entries(store: Store) -> pa.Table:
    if not store.has_table("list_entries"):
        raise StoreError("no sanctions lists loaded; run `tradetrace lists load` first")
    return store.to_arrow(store.table("current_list_entries"))


def screen_entities(store: Store, config: MatchConfig | None = None) -> dict:
    """Screen every alias of every entity; write ``matches`` and the screening view."""
    if not store.has_table("entities"):
        raise StoreError("no entities yet; run `tradetrace resolve` first")
    index = ListIndex(current_entries(store), config)
    entities = store.to_arrow(store.table("entities")).to_pylist()
    rows: list[dict] = []
    for entity in entities:
        rows.extend(_entity_matches(index, entity))
    store.replace_table("matches", pa.Table.from_pylist(rows, schema=MATCHES_SCHEMA))
    _screening_view(store)
    return {
        "entities": len(entities),
        "matched_entities": len({r["entity_id"] for r in rows}),
        "matches": len(rows),
    }


def _entity_matches(index: ListIndex, entity: dict) -> list[dict]:
    identifiers = tuple(entity["identifiers"] or ())
    best: dict[tuple[str, str], dict] = {}
    for alias in entity["aliases"] or [{"name": entity["name"]}]:
        query = Query(alias["name"], entity["country"], "Company", identifiers)
        for m in index.match(query):
            key = (m.list, m.list_entity_id)
            if key not in best or m.score > best[key]["score"]:
                best[key] = {
                    "entity_id": entity["entity_id"],
                    "list": m.list,
                    "list_entity_id": m.list_entity_id,
                    "list_name": m.name,
                    "query_name": alias["name"],
                    "matched_name": m.matched_name,
                    "score": m.score,
                    "explanation": json.dumps(m.explanation, ensure_ascii=False),
                    "listing_date": _date(m.listing_date),
                    "delisting_date": _date(m.delisting_date),
                    "listing_date_note": m.listing_date_note,
                    "programs": list(m.programs),
                }
    return list(best.values())


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text[:10]) if text else None


def _screening_view(store: Store) -> None:
    """Per entity: the earliest listing, the latest delisting, whether any date is missing."""
    store.create_view(
        "entity_listings",
        "SELECT entity_id, min(listing_date) AS listed_on, max(delisting_date) AS delisted_on, "
        "bool_or(listing_date IS NULL) AS date_unknown, "
        "string_agg(DISTINCT list, ', ') AS lists FROM matches GROUP BY entity_id",
    )
    status = (
        "CASE WHEN {p}.entity_id IS NULL THEN 'not listed' "
        "WHEN {p}.listed_on IS NOT NULL AND d.date < {p}.listed_on "
        "THEN (CASE WHEN {p}.date_unknown THEN 'listing date unknown' ELSE 'not listed' END) "
        "WHEN {p}.listed_on IS NULL THEN 'listing date unknown' "
        "WHEN {p}.delisted_on IS NOT NULL AND d.date >= {p}.delisted_on THEN 'delisted' "
        "ELSE 'listed' END"
    )
    store.create_view(
        "screened_declarations",
        "SELECT d.*, "
        f"{status.format(p='il')} AS importer_status, il.lists AS importer_lists, "
        f"{status.format(p='el')} AS exporter_status, el.lists AS exporter_lists "
        "FROM resolved_declarations d "
        "LEFT JOIN entity_listings il ON il.entity_id = d.importer_entity_id "
        "LEFT JOIN entity_listings el ON el.entity_id = d.exporter_entity_id",
    )
