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
from functools import partial

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from tradetrace.screen.candidates import ranked_by_alias, ranked_candidates
from tradetrace.screen.match import ListIndex, MatchConfig, Query
from tradetrace.store import Store
from tradetrace.store.catalogue import (
    CURRENT_LIST_ENTRIES,
    ENTITIES,
    ENTITY_LISTINGS,
    MATCHES,
    RESOLVED_DECLARATIONS,
    SCREENED_DECLARATIONS,
)

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
    return store.to_arrow(store.table(CURRENT_LIST_ENTRIES))


def screen_entities(store: Store, config: MatchConfig | None = None) -> dict:
    """Screen every alias of every entity; write ``matches`` and the screening view.

    Candidates come from a join in the engine (:mod:`.candidates`), scoring from the same
    matcher ``screen-name`` uses, run batch by batch where the data lives.
    """
    from tradetrace.screen.index_cache import index_for_store

    entities = store.table(ENTITIES)  # first: without entities there is nothing to screen
    index = index_for_store(store, config)  # saved by `lists load`, else built and saved
    ranked = ranked_candidates(store, entities, index)
    queries = entities.left_join(ranked, "entity_id").select(entities, ranked.ranked)
    matches = store.map_batches(queries, partial(_match_batch, index), MATCHES_SCHEMA)
    store.replace_table(MATCHES, matches.order_by(["entity_id", "list", "list_entity_id"]))
    _screening_view(store)
    m = store.table(MATCHES)
    counts = store.to_arrow(
        m.aggregate(matched_entities=m.entity_id.nunique(), matches=m.count())
    ).to_pylist()[0]
    return {"entities": store.count(ENTITIES), **counts}


def _match_batch(index: ListIndex, batch: pa.RecordBatch) -> pa.RecordBatch:
    rows: list[dict] = []
    for entity in batch.to_pylist():
        rows.extend(_entity_matches(index, entity, ranked_by_alias(entity["ranked"])))
    return pa.RecordBatch.from_pylist(rows, schema=MATCHES_SCHEMA)


def _entity_matches(index: ListIndex, entity: dict, ranked: dict[int, list[int]]) -> list[dict]:
    identifiers = tuple(entity["identifiers"] or ())
    best: dict[tuple[str, str], dict] = {}
    for position, alias in enumerate(entity["aliases"] or [{"name": entity["name"]}]):
        query = Query(alias["name"], entity["country"], "Company", identifiers)
        for m in index.match(query, ranked=ranked.get(position, [])):
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
    """The views ``entity_listings`` and ``screened_declarations``."""
    store.create_view(ENTITY_LISTINGS, entity_listings(store.table(MATCHES)))
    store.create_view(
        SCREENED_DECLARATIONS,
        screened_declarations(store.table(RESOLVED_DECLARATIONS), store.table(ENTITY_LISTINGS)),
    )


def entity_listings(matches: ir.Table) -> ir.Table:
    """Per entity: the earliest listing, the latest delisting, whether any date is missing."""
    m = matches
    return m.group_by("entity_id").aggregate(
        listed_on=m.listing_date.min(),
        delisted_on=m.delisting_date.max(),
        date_unknown=m.listing_date.isnull().any(),
        lists=ibis.literal(", ").join(m.list.collect(distinct=True).sort()),
    )


def screened_declarations(declarations: ir.Table, listings: ir.Table) -> ir.Table:
    """Per declaration line (resolved), each party's status on the line's date."""
    d = declarations
    importer, exporter = listings.rename("il_{name}"), listings.rename("el_{name}")
    joined = d.left_join(importer, d.importer_entity_id == importer.il_entity_id).left_join(
        exporter, d.exporter_entity_id == exporter.el_entity_id
    )
    return joined.select(
        d,
        importer_status=_status(joined, "il_", d.date),
        importer_lists=joined.il_lists,
        exporter_status=_status(joined, "el_", d.date),
        exporter_lists=joined.el_lists,
    )


def _status(t: ir.Table, prefix: str, day: ir.DateValue) -> ir.StringValue:
    """listed / not listed / delisted / listing date unknown, on ``day``."""
    entity, listed = t[f"{prefix}entity_id"], t[f"{prefix}listed_on"]
    unknown, delisted = t[f"{prefix}date_unknown"], t[f"{prefix}delisted_on"]
    return ibis.cases(
        (entity.isnull(), "not listed"),
        (listed.notnull() & (day < listed), unknown.ifelse("listing date unknown", "not listed")),
        (listed.isnull(), "listing date unknown"),
        (delisted.notnull() & (day >= delisted), "delisted"),
        else_="listed",
    )
