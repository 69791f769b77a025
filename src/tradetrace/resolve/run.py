"""Resolve: party records → scored pairs → clusters (with judgements) → entities.

Tables written (all replaced together by each run; ``judgements`` and ``entity_redirects``
are kept):

* ``parties``: every party record with its features and ``entity_id``.
* ``entity_links``: candidate pairs at or above the threshold with each comparison's
  level and weight (the evidence for every merge), and whether the clustering used it.
* ``entities``: one row per entity: canonical name (the most frequent Latin spelling),
  aliases with their scripts, country, identifiers, role counts.
* ``declaration_entities``: ``importer_entity_id`` / ``exporter_entity_id`` of every
  declaration line, and the view ``resolved_declarations`` joining them on.
* ``judgements``: analysts' decisions (``resolve judge``), honoured by every run.
* ``entity_redirects``: retired entity ids → their successors (kept, added to by each run;
  see :mod:`tradetrace.resolve.redirects`). Ids are kept across runs where their basis
  stays (:mod:`tradetrace.resolve.ids`), so a judgement renames no entity needlessly.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc

from tradetrace.errors import InputError
from tradetrace.reference.unit_values import yardsticks
from tradetrace.resolve.graph import Judgement, cluster, entity_ids
from tradetrace.resolve.ids import Retired, keep_ids
from tradetrace.resolve.judgements import judgement_rows, judgements_from_rows
from tradetrace.resolve.model import THRESHOLD, score
from tradetrace.resolve.parties import FEATURE_COLUMNS, features, party_key, party_records
from tradetrace.resolve.redirects import successor, write_redirects
from tradetrace.store import Store
from tradetrace.store.catalogue import (
    DECLARATION_ENTITIES,
    DECLARATIONS,
    ENTITIES,
    ENTITY_LINKS,
    JUDGEMENTS,
    PARTIES,
    RESOLVED_DECLARATIONS,
    UNIT_VALUE_YARDSTICKS,
)

JUDGEMENTS_SCHEMA = ibis.schema(
    {"a": "string", "b": "string", "same": "boolean", "who": "string", "at": "string",
     "note": "string"}
)  # fmt: skip


@dataclass(frozen=True)
class ResolveResult:
    parties: int
    entities: int
    merges: int

    def to_json(self) -> dict:
        return asdict(self)


def resolve(store: Store, threshold: float = THRESHOLD) -> ResolveResult:
    """Score every party record pair the blocking proposes, cluster, and write entities."""
    records = store.to_arrow(party_records(store.table(DECLARATIONS)))
    with store.idle():
        feats = features(records)
        pairs = score(feats, threshold, spark=store.spark).table
    return _write(store, records, feats, pairs)


def recluster(store: Store) -> ResolveResult:
    """Re-cluster from the stored pairs (after a judgement): no re-scoring needed."""
    parties = store.table(PARTIES)
    records = store.to_arrow(parties.select(*[c for c in _RECORD_COLUMNS if c in parties.columns]))
    stored = [c for c in FEATURE_COLUMNS[1:] if c in parties.columns]  # older runs: fewer
    feats = store.to_arrow(parties.select(parties.party_id.name("unique_id"), *stored))
    pairs = store.to_arrow(store.table(ENTITY_LINKS).drop("used"))
    return _write(store, records, feats, pairs)


_RECORD_COLUMNS = (
    "party_id", "name", "identifier", "address", "country", "importer_lines", "exporter_lines",
    "value_usd", "name_alt", "counterpart", "trade_country",
)  # fmt: skip


def judgements(store: Store) -> list[Judgement]:
    if not store.has_table(JUDGEMENTS):
        return []
    return judgements_from_rows(store.to_arrow(store.table(JUDGEMENTS)).to_pylist())


def add_judgement(store: Store, judgement: Judgement) -> None:
    if not store.has_table(JUDGEMENTS):
        store.create_table(JUDGEMENTS, JUDGEMENTS_SCHEMA)
    store.insert(JUDGEMENTS, pa.Table.from_pylist(judgement_rows([judgement])))


def _write(store: Store, records: pa.Table, feats: pa.Table, pairs: pa.Table) -> ResolveResult:
    nodes = records["party_id"].to_pylist()
    links = zip(
        pairs["party_a"].to_pylist(),
        pairs["party_b"].to_pylist(),
        pairs["match_probability"].to_pylist(),
        strict=True,
    )
    representative = cluster(nodes, links, judgements(store))
    entity_of, retired = _entity_ids(records, feats, representative, _previous_ids(store))
    parties = parties_table(records, feats, entity_of)
    entities = _entities_table(parties)
    with store.atomic():
        store.replace_table(PARTIES, parties)
        store.replace_table(ENTITY_LINKS, links_table(pairs, entity_of))
        store.replace_table(ENTITIES, entities)
        write_redirects(store, retired, set(entity_of.values()), now())
        _link_declarations(store)
    return ResolveResult(
        parties=len(nodes), entities=entities.num_rows, merges=len(nodes) - entities.num_rows
    )


def _entity_ids(
    records: pa.Table,
    feats: pa.Table,
    representative: dict[str, str],
    previous: dict[str, str] | None = None,
) -> tuple[dict[str, str], list[Retired]]:
    """party → entity id, and the previous ids no entity keeps.

    Without ``previous`` (party → its entity id in the last run) the ids are derived from
    content (INN-based where the cluster has one INN, else a member hash); with it, each
    cluster keeps its members' previous id where :func:`~tradetrace.resolve.ids.keep_ids`
    allows, so a judgement or a re-run renames no entity that keeps its basis.
    """
    identifiers = {
        party: [f"inn:{inn}"]
        for party, inn in zip(feats["unique_id"].to_pylist(), feats["inn"].to_pylist(), strict=True)
        if inn
    }
    fresh = entity_ids(representative, identifiers)
    parties = records["party_id"].to_pylist()
    if previous:
        members: dict[str, list[str]] = {}
        for party in parties:
            members.setdefault(representative[party], []).append(party)
        lines = pc.add(
            pc.fill_null(records["importer_lines"], 0), pc.fill_null(records["exporter_lines"], 0)
        )
        ids, retired = keep_ids(
            members, fresh, previous, dict(zip(parties, lines.to_pylist(), strict=True)),
            identifiers,
        )  # fmt: skip
    else:
        ids, retired = fresh, []
    return {party: ids[representative[party]] for party in parties}, retired


def _previous_ids(store: Store) -> dict[str, str]:
    """party → entity id as the last run left them ({} before the first run)."""
    if not store.has_table(PARTIES) or "entity_id" not in store.table(PARTIES).columns:
        return {}
    rows = store.to_arrow(store.table(PARTIES).select("party_id", "entity_id"))
    return {
        party: eid
        for party, eid in zip(
            rows["party_id"].to_pylist(), rows["entity_id"].to_pylist(), strict=True
        )
        if eid is not None
    }


def parties_table(records: pa.Table, feats: pa.Table, entity_of: dict[str, str]) -> pa.Table:
    """``parties``: the records, their features and their entity."""
    table = records
    for name in feats.column_names[1:]:
        if name not in table.column_names:
            table = table.append_column(name, feats[name])
    return table.append_column(
        "entity_id", pa.array([entity_of[p] for p in records["party_id"].to_pylist()], pa.string())
    )


def links_table(pairs: pa.Table, entity_of: dict[str, str]) -> pa.Table:
    """``entity_links``: the scored pairs, and whether the clustering merged each."""
    a, b = pairs["party_a"].to_pylist(), pairs["party_b"].to_pylist()
    used = [entity_of[x] == entity_of[y] for x, y in zip(a, b, strict=True)]
    return pairs.append_column("used", pa.array(used, pa.bool_()))


ALIAS_TYPE = pa.struct([("name", pa.string()), ("script", pa.string()), ("lines", pa.int64())])
ENTITY_SCHEMA = pa.schema(
    [
        ("entity_id", pa.string()),
        ("name", pa.string()),
        ("aliases", pa.list_(ALIAS_TYPE)),
        ("country", pa.string()),
        ("identifiers", pa.list_(pa.string())),
        ("importer_lines", pa.int64()),
        ("exporter_lines", pa.int64()),
        ("parties", pa.int64()),
        ("value_usd", pa.float64()),
    ]
)


def _entities_table(parties: pa.Table) -> pa.Table:
    """One row per entity, computed column-wise (Arrow) rather than party by party: at
    10M declarations the parties as Python objects took half a gigabyte.

    The name is the entity's most used Latin spelling (else its most used one); aliases are
    its distinct spellings in that order; the country is its members' most common (ties: the
    first alphabetically); identifiers its distinct ids (see :func:`identifier_labels`).
    """
    lines = pc.add(
        pc.fill_null(parties["importer_lines"], 0), pc.fill_null(parties["exporter_lines"], 0)
    )
    members = (
        parties.select(["entity_id", "name", "name_script", "country"])
        .append_column("lines", lines)
        .append_column("identifier", identifier_labels(parties))
    )
    totals = (
        parties.select(["entity_id", "importer_lines", "exporter_lines", "value_usd"])
        .group_by("entity_id", use_threads=False)
        .aggregate(
            [("importer_lines", "sum"), ("exporter_lines", "sum"), ("entity_id", "count"),
             ("value_usd", "sum")]
        )
        .sort_by("entity_id")
    )  # fmt: skip
    ids = totals["entity_id"]
    aliases = _aliases(members)
    countries = _countries(members)
    identifiers = _distinct(members.filter(_present(members["identifier"])), "identifier")
    return pa.table(
        {
            "entity_id": ids,
            "name": _first_of(ids, aliases["entity_id"], aliases["name"]),
            "aliases": _lists(
                ids,
                aliases["entity_id"],
                pa.StructArray.from_arrays(
                    [aliases[c].combine_chunks() for c in ("name", "name_script", "lines")],
                    fields=list(ALIAS_TYPE),
                ),
            ),
            "country": _first_of(ids, countries["entity_id"], countries["country"]),
            "identifiers": _lists(ids, identifiers["entity_id"], identifiers["identifier"]),
            "importer_lines": pc.fill_null(totals["importer_lines_sum"], 0),
            "exporter_lines": pc.fill_null(totals["exporter_lines_sum"], 0),
            "parties": totals["entity_id_count"],
            "value_usd": pc.fill_null(totals["value_usd_sum"], 0.0),
        },
        schema=ENTITY_SCHEMA,
    )


_INN_SHAPED = re.compile(r"^(\d{10}|\d{12})$")


def identifier_labels(parties: pa.Table) -> pa.Array:
    """Each party's id as the entity lists it: ``inn:<INN>`` for a valid Russian INN;
    an id that fails its checksum is kept, marked: ``inn_invalid:<digits>`` when shaped
    like an INN, else ``id:<id>`` (a foreign or unchecked scheme, as declared). All of them
    are searchable (``exposure 7701999001``, ``entities search``)."""
    inns = parties["inn"].to_pylist()
    keys = parties["id_key"].to_pylist() if "id_key" in parties.column_names else inns
    labels: list[str | None] = []
    for inn, key in zip(inns, keys, strict=True):
        if inn:
            labels.append(f"inn:{inn}")
        elif key:
            labels.append(f"inn_invalid:{key}" if _INN_SHAPED.match(key) else f"id:{key}")
        else:
            labels.append(None)
    return pa.array(labels, pa.string())


def _aliases(members: pa.Table) -> pa.Table:
    """Each entity's distinct spellings with their lines, in the entity's preference order."""
    named = members.filter(_present(members["name"]))
    spellings = named.group_by(["entity_id", "name"], use_threads=False).aggregate(
        [("lines", "sum"), ("name_script", "min")]
    )
    spellings = spellings.rename_columns(["entity_id", "name", "lines", "name_script"])
    not_latin = pc.not_equal(pc.fill_null(spellings["name_script"], ""), "Latin")
    return spellings.append_column("_not_latin", not_latin).sort_by(
        [("entity_id", "ascending"), ("_not_latin", "ascending"), ("lines", "descending"),
         ("name", "ascending")]
    )  # fmt: skip


def _countries(members: pa.Table) -> pa.Table:
    """(entity_id, country) by how many members have it, most first."""
    known = members.filter(_present(members["country"]))
    counted = known.group_by(["entity_id", "country"], use_threads=False).aggregate(
        [("country", "count")]
    )
    return counted.sort_by(
        [("entity_id", "ascending"), ("country_count", "descending"), ("country", "ascending")]
    )


def _present(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """Neither null nor empty."""
    return pc.fill_null(pc.not_equal(values, ""), False)


def _distinct(members: pa.Table, column: str) -> pa.Table:
    distinct = members.group_by(["entity_id", column], use_threads=False).aggregate([])
    return distinct.sort_by([("entity_id", "ascending"), (column, "ascending")])


def _lists(ids: pa.ChunkedArray, owners: pa.ChunkedArray, values: pa.Array) -> pa.Array:
    """``values`` (sorted by their ``owners``, a subset of the sorted ``ids``) as one list per
    id, empty for an id with none."""
    counts = pc.value_counts(owners)
    found = pc.index_in(ids, counts.field("values"))
    sizes = pc.fill_null(pc.take(counts.field("counts"), found), 0)
    offsets = pa.array([0, *pc.cumulative_sum(sizes).to_pylist()], pa.int32())
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return pa.ListArray.from_arrays(offsets, values)


def _first_of(ids: pa.ChunkedArray, owners: pa.ChunkedArray, values: pa.ChunkedArray) -> pa.Array:
    """The first of each id's ``values`` (sorted by owner, best first), null for none."""
    first = pa.table({"owner": owners, "value": values}).group_by("owner", use_threads=False)
    first = first.aggregate([("value", "first")])
    return pc.take(first["value_first"], pc.index_in(ids, first["owner"]))


def _link_declarations(store: Store) -> None:
    """``declaration_entities`` (computed in the engine) and the ``resolved_declarations`` view."""
    d = store.table(DECLARATIONS)
    store.replace_table(DECLARATION_ENTITIES, declaration_entities(d, store.table(PARTIES)))
    store.create_view(
        RESOLVED_DECLARATIONS, resolved_declarations(d, store.table(DECLARATION_ENTITIES))
    )
    # the usual unit values of every HS6, once per store state, for the exposure's check
    store.replace_table(UNIT_VALUE_YARDSTICKS, yardsticks(d))


def declaration_entities(declarations: ir.Table, parties: ir.Table) -> ir.Table:
    """The importer's and exporter's entity of every declaration line."""
    d, p = declarations, parties.select("party_id", "entity_id")
    keys = d.select(
        "ingest_id",
        "source_row",
        _imp=party_key(d.importer_name, d.importer_id, d.importer_address, d.importer_country),
        _exp=party_key(d.exporter_name, d.exporter_id, d.exporter_address, d.exporter_country),
    )
    imp = p.rename(_ip="party_id", importer_entity_id="entity_id")
    exp = p.rename(_ep="party_id", exporter_entity_id="entity_id")
    joined = keys.left_join(imp, keys._imp == imp._ip).left_join(exp, keys._exp == exp._ep)
    return joined.select("ingest_id", "source_row", "importer_entity_id", "exporter_entity_id")


def resolved_declarations(declarations: ir.Table, links: ir.Table) -> ir.Table:
    """Every declaration line with its parties' entities (from :func:`declaration_entities`)."""
    joined = declarations.left_join(links, ["ingest_id", "source_row"])
    return joined.select(declarations, links.importer_entity_id, links.exporter_entity_id)


def entity_members(store: Store, entity_id: str) -> list[str]:
    """The party ids of an entity (of its successor, for a retired id)."""
    parties = store.table(PARTIES)

    def of(wanted: str) -> list[str]:
        rows = store.to_arrow(parties.filter(parties.entity_id == wanted).select("party_id"))
        return sorted(rows["party_id"].to_pylist())

    members = of(entity_id)
    if not members and (moved := successor(store, entity_id)) is not None:
        members = of(moved)
    if not members:
        raise InputError(f"no entity or party {entity_id!r}; run `tradetrace resolve` first?")
    return members


def anchor(store: Store, ident: str) -> str:
    """A party id for a party or entity id (an entity's smallest member stands for it)."""
    if ident.startswith("pt-"):
        parties = store.table(PARTIES)
        if store.to_arrow(parties.filter(parties.party_id == ident).count()).as_py():
            return ident
        raise InputError(f"no party {ident!r}")
    return entity_members(store, ident)[0]


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
