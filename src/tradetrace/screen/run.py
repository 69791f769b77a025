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

from tradetrace.errors import InputError
from tradetrace.screen.candidates import entity_keys, ranked_by_alias, ranked_candidates
from tradetrace.screen.changes import (
    IDENTIFIERS_SCHEMA,
    ListChanges,
    PartyChanges,
    identifier_rows,
    list_changes,
    party_changes,
    screened_name,
    screening_input,
    with_digests,
)
from tradetrace.screen.history import (
    RUNS_SCHEMA,
    LastRun,
    events_table,
    last_run,
    list_versions_as_of,
    match_events,
    run_row,
)
from tradetrace.screen.match import ListIndex, MatchConfig, Query
from tradetrace.screen.results import ListsAsOf, ScreenRun, StoredMatch
from tradetrace.store import Store
from tradetrace.store.catalogue import (
    CURRENT_LIST_ENTRIES,
    ENTITIES,
    ENTITY_LISTINGS,
    LIST_ENTRIES,
    MATCH_EVENTS,
    MATCHES,
    RESOLVED_DECLARATIONS,
    SCREEN_RUNS,
    SCREENED_DECLARATIONS,
    SCREENED_ENTITIES,
    SCREENED_LIST_ENTRIES,
    SCREENING_IDENTIFIERS,
    SCREENING_KEYS,
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


#: What an incremental screening needs the last one to have left.
STATE = (MATCHES, SCREENED_LIST_ENTRIES, SCREENED_ENTITIES, SCREENING_KEYS, SCREENING_IDENTIFIERS)
MATCH_ORDER = [("entity_id", "ascending"), ("list", "ascending"), ("list_entity_id", "ascending")]


def screen_entities(
    store: Store, config: MatchConfig | None = None, *, incremental: bool = False
) -> ScreenRun:
    """Screen the store's entities; write ``matches``, the screening views and the history.

    Full (the default): every alias of every entity. ``incremental`` (``watch``): only the
    entities a change can concern (:mod:`.changes`), which gives the same matches as a
    full run; it falls back to a full one when there is no earlier run to build on, or
    when the threshold or the matching code changed since. Either way the differences
    with the matches replaced are recorded in ``match_events`` (:mod:`.history`).

    Candidates come from a join in the engine (:mod:`.candidates`), scoring from the same
    matcher ``screen-name`` uses, run batch by batch where the data lives.
    """
    from tradetrace.screen.index_cache import code_version, index_for_store

    started = _now()
    entities = store.table(ENTITIES)  # first: without entities there is nothing to screen
    store.require(CURRENT_LIST_ENTRIES)
    last = last_run(store)
    has_state = last is not None and all(store.has_table(t) for t in STATE)
    if config is None:
        config = MatchConfig(threshold=last.threshold) if last and incremental else MatchConfig()
    reason = _full_because(last, has_state, config, code_version()) if incremental else None
    entries = with_digests(current_entries(store))
    inputs = screening_input(entities)
    lists, parties = _changes(store, entities, inputs, entries, has_state)
    scope: frozenset[str] | None = None
    if incremental and not reason:
        touched = _ids(store, parties.touched, "_touched")
        fresh = _ids(store, parties.new | parties.changed, "_fresh")
        scope = affected = _rescreen_state(store, entities, lists, parties, touched, fresh)
        queries = entities.semi_join(_ids(store, affected, "_scope"), "entity_id")
        scoped = store.table(SCREENING_KEYS).semi_join(queries.select("entity_id"), "entity_id")
        # copied out of the stored table: the join below then plans as the full one does
        keys = store.stage_copy("_scope_keys", store.to_arrow(scoped))
    else:
        queries = entities
        store.replace_table(SCREENING_KEYS, entity_keys(store, entities))
        store.replace_table(SCREENING_IDENTIFIERS, _identifiers(store, entities))
        keys = store.table(SCREENING_KEYS)
    if scope is not None and not scope:
        new = MATCHES_SCHEMA.empty_table()  # nothing a change can concern: no index needed
    else:  # the index: saved by `lists load`, else built and saved
        new = _matches(store, queries, index_for_store(store, config), keys)
    replaced = None if scope is None else _ids(store, scope | parties.gone, "_replaced")
    old = _old_matches(store, replaced)
    run_id = last.run_id + 1 if last else 1
    events = match_events(
        old.to_pylist(), new.to_pylist(), lists=lists, parties=parties,
        names=_names(store, old, new), run_id=run_id, detected_at=started,
    )  # fmt: skip
    with store.atomic():
        if replaced is None:
            store.replace_table(MATCHES, new.sort_by(MATCH_ORDER))
            store.replace_table(SCREENED_ENTITIES, inputs)
        else:
            store.delete_in(MATCHES, "entity_id", replaced)
            store.insert(MATCHES, new)
            store.delete_in(SCREENED_ENTITIES, "entity_id", touched)
            store.insert(SCREENED_ENTITIES, inputs.semi_join(fresh, "entity_id"))
        store.replace_table(SCREENED_LIST_ENTRIES, entries)
        run = _summary(store, run_id, started, reason, config, lists, parties, scope, len(events))
        _append(store, MATCH_EVENTS, events_table(events))
        _append(store, SCREEN_RUNS, run_row(
            **run.model_dump(include=set(RUNS_SCHEMA.names)), finished_at=_now(),
            code_version=code_version(),
        ))  # fmt: skip
    _screening_view(store)
    return run


def _changes(
    store: Store, entities: ir.Table, inputs: ir.Table, entries: pa.Table, has_state: bool
) -> tuple[ListChanges, PartyChanges]:
    """What changed since the last screening; before any, every entry and party is new."""
    if has_state:
        before = store.to_arrow(store.table(SCREENED_LIST_ENTRIES))
        return list_changes(before, entries), party_changes(
            store, inputs, store.table(SCREENED_ENTITIES)
        )
    ids = store.to_arrow(entities.select("entity_id"))["entity_id"].to_pylist()
    return list_changes(None, entries), PartyChanges(frozenset(ids), frozenset(), frozenset())


def _now() -> dt.datetime:
    """UTC, without a zone (as ``loaded_at``)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _full_because(
    last: LastRun | None, has_state: bool, config: MatchConfig, code: str
) -> str | None:
    """Why an incremental screening must screen everything, or None when it need not."""
    if last is None or not has_state:
        return "no earlier screening to build on"
    if last.threshold != config.threshold:
        return f"the threshold changed ({last.threshold} → {config.threshold})"
    if last.code_version != code:
        return "the matching code changed since the last screening"
    return None


def _ids(store: Store, ids: frozenset[str], name: str) -> ir.Table:
    """``ids`` as a one-column session table ``name`` (``entity_id``) to join with."""
    return store.stage_copy(name, pa.table({"entity_id": pa.array(sorted(ids), pa.string())}))


def _identifiers(store: Store, entities: ir.Table) -> ir.Table:
    return store.map_batches(
        entities.select("entity_id", "identifiers"), identifier_rows, IDENTIFIERS_SCHEMA
    )


def _rescreen_state(
    store: Store,
    entities: ir.Table,
    lists: ListChanges,
    parties: PartyChanges,
    touched: ir.Table,
    fresh: ir.Table,
) -> frozenset[str]:
    """Bring the keys and identifiers of new, changed and gone entities up to date; the
    entities a change can concern (see :mod:`.changes`)."""
    if parties:
        new_or_changed = entities.semi_join(fresh, "entity_id")
        for name, rows in ((SCREENING_KEYS, entity_keys), (SCREENING_IDENTIFIERS, _identifiers)):
            store.delete_in(name, "entity_id", touched)
            store.insert(name, rows(store, new_or_changed))
    found = set(parties.new | parties.changed)
    tokens, identifiers = lists.tokens(), lists.identifier_keys()
    if tokens:
        staged = store.stage_copy("_touched_tokens", pa.table({"token": sorted(tokens)}))
        found |= _column(store, store.table(SCREENING_KEYS).semi_join(staged, "token"))
    if identifiers:
        staged = store.stage_copy("_touched_ids", pa.table({"key": sorted(identifiers)}))
        found |= _column(store, store.table(SCREENING_IDENTIFIERS).semi_join(staged, "key"))
    if lists:
        pairs = sorted(lists.entries)
        staged = store.stage_copy(
            "_touched_entries",
            pa.table({"list": [a for a, _ in pairs], "list_entity_id": [b for _, b in pairs]}),
        )
        found |= _column(store, store.table(MATCHES).semi_join(staged, ["list", "list_entity_id"]))
    return frozenset(found - parties.gone)


def _column(store: Store, t: ir.Table) -> set[str]:
    return set(store.to_arrow(t.select("entity_id").distinct())["entity_id"].to_pylist())


def screen_as_of_list(
    store: Store, moment: dt.datetime, config: MatchConfig | None = None
) -> ListsAsOf:
    """Every entity screened against the list versions loaded by ``moment`` (UTC): what
    was known then. For each list, the newest version among those loaded by then, as
    ``current_list_entries`` picks the newest of all. Writes nothing to the store."""
    entities = store.table(ENTITIES)
    store.require(LIST_ENTRIES)
    versions = list_versions_as_of(store, moment)
    if not versions:
        raise InputError(f"no list had been loaded by {moment.isoformat(sep=' ')} UTC")
    e = store.table(LIST_ENTRIES)
    chosen = ibis.or_(*((e.list == name) & (e.version == v) for name, v in versions.items()))
    index = ListIndex(store.to_arrow(e.filter(chosen)), config)
    found = _matches(store, entities, index, entity_keys(store, entities)).sort_by(MATCH_ORDER)
    return ListsAsOf(
        as_of_list=moment.replace(tzinfo=dt.UTC),
        lists=versions,
        entities=store.count(ENTITIES),
        matched_entities=len(set(found["entity_id"].to_pylist())),
        matches=found.num_rows,
        results=[StoredMatch(**row) for row in found.to_pylist()],
    )


def _matches(store: Store, queries: ir.Table, index: ListIndex, keys: ir.Table) -> pa.Table:
    """The matches of ``queries`` (entities), from ``keys``: those of ``queries`` or more."""
    ranked = ranked_candidates(store, keys, index)
    joined = queries.left_join(ranked, "entity_id").select(queries, ranked.ranked)
    return store.to_arrow(store.map_batches(joined, partial(_match_batch, index), MATCHES_SCHEMA))


def _old_matches(store: Store, entity_ids: ir.Table | None) -> pa.Table:
    """The matches about to be replaced: all (``None``) or those of ``entity_ids``."""
    if not store.has_table(MATCHES):
        return MATCHES_SCHEMA.empty_table()
    m = store.table(MATCHES)
    if entity_ids is not None:
        m = m.semi_join(entity_ids, "entity_id")
    return store.to_arrow(m)


def _names(store: Store, *matches: pa.Table) -> dict[str, str | None]:
    """The names of the entities in ``matches`` (as the store has them now, or had them)."""
    ids = frozenset(i for m in matches for i in m["entity_id"].to_pylist())
    if not ids:
        return {}
    staged = _ids(store, ids, "_named")
    names: dict[str, str | None] = {}
    if store.has_table(SCREENED_ENTITIES):  # gone entities: their name when last screened
        s = store.table(SCREENED_ENTITIES).semi_join(staged, "entity_id")
        for row in store.to_arrow(s).to_pylist():
            names[row["entity_id"]] = screened_name(row["screened_as"])
    e = store.table(ENTITIES).semi_join(staged, "entity_id").select("entity_id", "name")
    names.update({r["entity_id"]: r["name"] for r in store.to_arrow(e).to_pylist()})
    return names


def _summary(
    store: Store,
    run_id: int,
    started: dt.datetime,
    reason: str | None,
    config: MatchConfig,
    lists: ListChanges,
    parties: PartyChanges,
    scope: frozenset[str] | None,
    events: int,
) -> ScreenRun:
    m = store.table(MATCHES)
    counts = store.to_arrow(
        m.aggregate(matched_entities=m.entity_id.nunique(), matches=m.count())
    ).to_pylist()[0]
    entities = store.count(ENTITIES)
    return ScreenRun(
        entities=entities, **counts, run_id=run_id,
        kind="full" if scope is None else "incremental", reason=reason,
        started_at=started.replace(tzinfo=dt.UTC),
        threshold=config.threshold, lists=lists.versions_now,
        entries_added=len(lists.added), entries_removed=len(lists.removed),
        entries_changed=len(lists.changed), parties_new=len(parties.new),
        parties_changed=len(parties.changed), parties_gone=len(parties.gone),
        entities_screened=entities if scope is None else len(scope), events=events,
    )  # fmt: skip


def _append(store: Store, name: str, rows: pa.Table) -> None:
    if store.has_table(name):
        store.insert(name, rows)
    else:
        store.replace_table(name, rows)


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
