"""Resolve: party records → scored pairs → clusters (with judgements) → entities.

Tables written (all replaced together by each run; ``judgements`` is kept):

* ``parties``: every party record with its features and ``entity_id``.
* ``entity_links``: candidate pairs at or above the threshold with each comparison's
  level and weight (the evidence for every merge), and whether the clustering used it.
* ``entities``: one row per entity: canonical name (the most frequent Latin spelling),
  aliases with their scripts, country, identifiers, role counts.
* ``declaration_entities``: ``importer_entity_id`` / ``exporter_entity_id`` of every
  declaration line, and the view ``resolved_declarations`` joining them on.
* ``judgements``: analysts' decisions (``resolve judge``), honoured by every run.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass

import ibis
import pyarrow as pa

from tradetrace.errors import InputError
from tradetrace.resolve.graph import Judgement, cluster, entity_ids
from tradetrace.resolve.judgements import judgement_rows, judgements_from_rows
from tradetrace.resolve.model import THRESHOLD, score
from tradetrace.resolve.parties import features, party_key, party_records
from tradetrace.store import Store

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
    records = store.to_arrow(party_records(store.table("declarations")))
    feats = features(records)
    pairs = score(feats, threshold, spark=store.spark).table
    return _write(store, records, feats, pairs)


def recluster(store: Store) -> ResolveResult:
    """Re-cluster from the stored pairs (after a judgement): no re-scoring needed."""
    records = store.to_arrow(store.table("parties").select(*_RECORD_COLUMNS))
    feats = store.to_arrow(store.table("parties").select(*_FEATURE_COLUMNS))
    pairs = store.to_arrow(store.table("entity_links").drop("used"))
    return _write(store, records, feats.rename_columns(["unique_id", *_FEATURE_COLUMNS[1:]]), pairs)


_RECORD_COLUMNS = (
    "party_id", "name", "identifier", "address", "country", "importer_lines", "exporter_lines",
    "value_usd",
)  # fmt: skip
_FEATURE_COLUMNS = (
    "party_id", "name_core", "name_key", "name_skeleton", "name_script", "name_first",
    "legal_form", "inn", "address_key", "country",
)  # fmt: skip


def judgements(store: Store) -> list[Judgement]:
    if not store.has_table("judgements"):
        return []
    return judgements_from_rows(store.to_arrow(store.table("judgements")).to_pylist())


def add_judgement(store: Store, judgement: Judgement) -> None:
    if not store.has_table("judgements"):
        store.create_table("judgements", JUDGEMENTS_SCHEMA)
    store.insert("judgements", pa.Table.from_pylist(judgement_rows([judgement])))


def _write(store: Store, records: pa.Table, feats: pa.Table, pairs: pa.Table) -> ResolveResult:
    nodes = records["party_id"].to_pylist()
    links = zip(
        pairs["party_a"].to_pylist(),
        pairs["party_b"].to_pylist(),
        pairs["match_probability"].to_pylist(),
        strict=True,
    )
    representative = cluster(nodes, links, judgements(store))
    entity_of = _entity_ids(records, feats, representative)
    parties = _parties_table(records, feats, entity_of)
    links_used = pairs.append_column(
        "used",
        pa.array(
            [
                entity_of[a] == entity_of[b]
                for a, b in zip(
                    pairs["party_a"].to_pylist(), pairs["party_b"].to_pylist(), strict=True
                )
            ],
            pa.bool_(),
        ),
    )
    entities = _entities_table(parties)
    with store.atomic():
        store.replace_table("parties", parties)
        store.replace_table("entity_links", links_used)
        store.replace_table("entities", entities)
        _link_declarations(store)
    return ResolveResult(
        parties=len(nodes), entities=entities.num_rows, merges=len(nodes) - entities.num_rows
    )


def _entity_ids(records: pa.Table, feats: pa.Table, representative: dict[str, str]):
    """party → entity id (unique per cluster; INN-based where the cluster has one INN)."""
    identifiers = {
        party: [f"inn:{inn}"]
        for party, inn in zip(feats["unique_id"].to_pylist(), feats["inn"].to_pylist(), strict=True)
        if inn
    }
    ids = entity_ids(representative, identifiers)
    return {party: ids[representative[party]] for party in records["party_id"].to_pylist()}


def _parties_table(records: pa.Table, feats: pa.Table, entity_of: dict[str, str]) -> pa.Table:
    table = records
    for name in feats.column_names[1:]:
        if name not in table.column_names:
            table = table.append_column(name, feats[name])
    return table.append_column(
        "entity_id", pa.array([entity_of[p] for p in records["party_id"].to_pylist()], pa.string())
    )


def _entities_table(parties: pa.Table) -> pa.Table:
    grouped: dict[str, list[dict]] = defaultdict(list)
    for row in parties.to_pylist():
        grouped[row["entity_id"]].append(row)
    rows = [_entity_row(entity_id, members) for entity_id, members in sorted(grouped.items())]
    return pa.Table.from_pylist(rows, schema=ENTITY_SCHEMA)


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


def _entity_row(entity_id: str, members: list[dict]) -> dict:
    lines = Counter()
    scripts: dict[str, str] = {}
    for m in members:
        if m["name"]:
            lines[m["name"]] += (m["importer_lines"] or 0) + (m["exporter_lines"] or 0)
            scripts[m["name"]] = m["name_script"]
    ranked = sorted(lines, key=lambda n: (scripts[n] != "Latin", -lines[n], n))
    countries = Counter(m["country"] for m in members if m["country"])
    return {
        "entity_id": entity_id,
        "name": ranked[0] if ranked else None,
        "aliases": [{"name": n, "script": scripts[n], "lines": lines[n]} for n in ranked],
        "country": min(countries, key=lambda c: (-countries[c], c)) if countries else None,
        "identifiers": sorted({f"inn:{m['inn']}" for m in members if m["inn"]}),
        "importer_lines": sum(m["importer_lines"] or 0 for m in members),
        "exporter_lines": sum(m["exporter_lines"] or 0 for m in members),
        "parties": len(members),
        "value_usd": sum(m["value_usd"] or 0.0 for m in members),
    }


def _link_declarations(store: Store) -> None:
    """``declaration_entities`` (computed in the engine) and the ``resolved_declarations`` view."""
    d = store.table("declarations")
    p = store.table("parties").select("party_id", "entity_id")
    keys = d.select(
        "ingest_id",
        "source_row",
        _imp=party_key(d.importer_name, d.importer_id, d.importer_address, d.importer_country),
        _exp=party_key(d.exporter_name, d.exporter_id, d.exporter_address, d.exporter_country),
    )
    imp = p.rename(_ip="party_id", importer_entity_id="entity_id")
    exp = p.rename(_ep="party_id", exporter_entity_id="entity_id")
    joined = keys.left_join(imp, keys._imp == imp._ip).left_join(exp, keys._exp == exp._ep)
    store.replace_table(
        "declaration_entities",
        joined.select("ingest_id", "source_row", "importer_entity_id", "exporter_entity_id"),
    )
    links = store.table("declaration_entities")
    joined = d.left_join(links, ["ingest_id", "source_row"])
    store.create_view(
        "resolved_declarations",
        joined.select(d, links.importer_entity_id, links.exporter_entity_id),
    )


def entity_members(store: Store, entity_id: str) -> list[str]:
    parties = store.table("parties")
    rows = store.to_arrow(parties.filter(parties.entity_id == entity_id).select("party_id"))
    members = sorted(rows["party_id"].to_pylist())
    if not members:
        raise InputError(f"no entity or party {entity_id!r}; run `tradetrace resolve` first?")
    return members


def anchor(store: Store, ident: str) -> str:
    """A party id for a party or entity id (an entity's smallest member stands for it)."""
    if ident.startswith("pt-"):
        parties = store.table("parties")
        if store.to_arrow(parties.filter(parties.party_id == ident).count()).as_py():
            return ident
        raise InputError(f"no party {ident!r}")
    return entity_members(store, ident)[0]


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
