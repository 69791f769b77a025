"""Screening every entity at scale: candidates by a join, scoring where the data lives.

``screen-name`` asks the in-memory :class:`~tradetrace.screen.match.ListIndex` for one
name at a time. Screening a whole store does the index's first step in the engine
instead, written once in Ibis (DuckDB or Spark): every alias of every entity is cut into
the same index keys (words, sounds, whole-name keys), joined with the list names' keys,
and each (alias, list name) pair gets its votes; the ``max_candidates`` best per alias
survive. The per-entity scoring then runs as a batch function (``Store.map_batches``: in
process on DuckDB, ``mapInArrow`` on Spark's Python workers) with exactly the code that
``screen-name`` uses, so both give the same matches for the same name.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from tradetrace.resolve.names import analyse_name
from tradetrace.screen.match import ListIndex, index_keys, key_weight
from tradetrace.store import Store

KEYS_SCHEMA = pa.schema(
    [("entity_id", pa.string()), ("alias_pos", pa.int64()), ("token", pa.string()),
     ("weight", pa.int64())]
)  # fmt: skip


def alias_rows(entities: ir.Table) -> ir.Table:
    """One row per (entity, alias position, alias name); an entity without aliases uses its name."""
    names = ibis.ifelse(
        entities.aliases.length() > 0,
        entities.aliases.map(lambda a: a["name"]),
        ibis.array([entities.name]),
    )
    return entities.select("entity_id", query_name=names).unnest("query_name", offset="alias_pos")


def query_keys(batch: pa.RecordBatch) -> pa.RecordBatch:
    """The index keys of every alias in the batch (generic or empty names have none)."""
    columns: dict[str, list] = {name: [] for name in KEYS_SCHEMA.names}
    rows = zip(
        batch.column("entity_id").to_pylist(),
        batch.column("alias_pos").to_pylist(),
        batch.column("query_name").to_pylist(),
        strict=True,
    )
    for entity_id, alias, name in rows:
        forms = analyse_name(name or "")
        if forms.generic or not forms.core:
            continue
        for token in sorted(index_keys(forms)):
            row = (entity_id, alias, token, key_weight(token))
            for column, value in zip(KEYS_SCHEMA.names, row, strict=True):
                columns[column].append(value)
    return pa.RecordBatch.from_pydict(columns, schema=KEYS_SCHEMA)


def list_keys(index: ListIndex) -> pa.Table:
    """token → list name id, for the tokens the index keeps (rare enough to propose)."""
    tokens, ids = [], []
    for token, name_ids in index.by_token.items():
        tokens += [token] * len(name_ids)
        ids += name_ids
    return pa.table({"token": pa.array(tokens, pa.string()), "name_id": pa.array(ids, pa.int64())})


def entity_keys(store: Store, entities: ir.Table) -> ir.Table:
    """The index keys of every alias of ``entities`` (a session table: store it to keep it)."""
    return store.map_batches(alias_rows(entities), query_keys, KEYS_SCHEMA)


def ranked_candidates(store: Store, keys: ir.Table, index: ListIndex) -> ir.Table:
    """Per entity: ``ranked`` = (alias_pos, rank, name_id) of each alias's best-voted names,
    from the entities' keys (:func:`entity_keys`)."""
    names = store.stage_copy("_list_keys", list_keys(index))
    joined = keys.join(names, "token")
    votes = joined.group_by(["entity_id", "alias_pos", "name_id"]).aggregate(
        votes=joined.weight.sum()
    )
    rank = ibis.row_number().over(
        group_by=[votes.entity_id, votes.alias_pos], order_by=[votes.votes.desc(), votes.name_id]
    )
    best = votes.mutate(rank=rank).filter(lambda t: t.rank < index.config.max_candidates)
    item = ibis.struct({"alias_pos": best.alias_pos, "rank": best.rank, "name_id": best.name_id})
    return best.group_by("entity_id").aggregate(ranked=item.collect())


def ranked_by_alias(ranked: list[dict] | None) -> dict[int, list[int]]:
    """``ranked`` regrouped: alias position → its candidate list-name ids, best first."""
    by_alias: dict[int, list[tuple[int, int]]] = {}
    for item in ranked or ():
        by_alias.setdefault(item["alias_pos"], []).append((item["rank"], item["name_id"]))
    return {alias: [n for _, n in sorted(pairs)] for alias, pairs in by_alias.items()}
