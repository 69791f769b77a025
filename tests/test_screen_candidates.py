"""Screening a whole store (candidates by a join in the engine) agrees with ``screen-name``.

The store is the ``aurus_db`` pipeline with 400 more entities whose names are real OFAC
SDN organisations' names with words dropped and legal forms added (the queries that should
match), and
one that shares only an INN with a list entry.
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pyarrow as pa
import pytest

from tradetrace.resolve.names import analyse_name
from tradetrace.resolve.run import ENTITY_SCHEMA
from tradetrace.screen.candidates import (
    alias_rows,
    entity_keys,
    ranked_by_alias,
    ranked_candidates,
)
from tradetrace.screen.match import ORGANISATIONS, ListIndex, Query
from tradetrace.screen.run import current_entries, screen_entities
from tradetrace.store import open_store


@pytest.fixture(scope="module")
def busy_store(aurus_db: Path, tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("candidates") / "store.duckdb"
    shutil.copy(aurus_db, db)
    rng = random.Random(11)
    with open_store(db) as store:
        index = ListIndex(current_entries(store))
        # organisations' names: a company never matches a person or a vessel
        names = [n.text for n in index.names if index.entries[n.entry]["schema"] in ORGANISATIONS]
        extra = []
        for i in range(400):
            words = rng.choice(names).split()
            if len(words) > 2 and rng.random() < 0.5:
                words.pop(rng.randrange(len(words)))
            variant = " ".join(words) + rng.choice(["", " LLC", " LTD", " CO., LTD"])
            aliases = [{"name": variant, "script": "Latin", "lines": 1}]
            if i % 3 == 0:  # a second alias that matches nothing
                aliases.append({"name": "ТЕХНОСФЕРА ПЛЮС", "script": "Cyrillic", "lines": 1})
            extra.append(_entity(f"tt-test-{i:03d}", aliases))
        inn = next(
            i["value"] for e in index.entries for i in e["identifiers"] or () if i["type"] == "inn"
        )
        extra.append(
            _entity("tt-test-inn", [{"name": "NOBODY", "script": "Latin", "lines": 1}], [inn])
        )
        entities = store.to_arrow(store.table("entities"))
        store.replace_table(
            "entities", pa.concat_tables([entities, pa.Table.from_pylist(extra, ENTITY_SCHEMA)])
        )
    return db


def _entity(entity_id: str, aliases: list[dict], inns: list[str] = ()) -> dict:
    return {
        "entity_id": entity_id, "name": aliases[0]["name"], "aliases": aliases, "country": None,
        "identifiers": [f"inn:{i}" for i in inns], "importer_lines": 0, "exporter_lines": 0,
        "parties": 1, "value_usd": 0.0,
    }  # fmt: skip


def test_the_join_ranks_candidates_as_the_index_does(busy_store):
    with open_store(busy_store, read_only=True) as store:
        index = ListIndex(current_entries(store))
        entities = store.table("entities")
        ranked = {
            r["entity_id"]: ranked_by_alias(r["ranked"])
            for r in store.to_arrow(
                ranked_candidates(store, entity_keys(store, entities), index)
            ).to_pylist()
        }
        aliases = store.to_arrow(alias_rows(entities)).to_pylist()
    checked = 0
    for row in aliases:
        expected = index.ranked(analyse_name(row["query_name"]))
        got = ranked.get(row["entity_id"], {}).get(row["alias_pos"], [])
        assert got == expected, row
        checked += bool(expected)
    assert checked >= 400


def test_screening_the_store_gives_what_screen_name_gives(busy_store, tmp_path):
    db = tmp_path / "store.duckdb"
    shutil.copy(busy_store, db)
    with open_store(db) as store:
        counts = screen_entities(store)
        index = ListIndex(current_entries(store))
        stored = store.to_arrow(store.table("matches")).to_pylist()
        entities = store.to_arrow(store.table("entities")).to_pylist()
    expected = set()
    for entity in entities:
        best: dict[tuple, tuple] = {}
        for alias in entity["aliases"] or [{"name": entity["name"]}]:
            query = Query(alias["name"], entity["country"], "Company",
                          tuple(entity["identifiers"] or ()))  # fmt: skip
            for m in index.match(query):
                key = (m.list, m.list_entity_id)
                if key not in best or m.score > best[key][1]:
                    best[key] = (alias["name"], m.score, m.matched_name)
        expected |= {(entity["entity_id"], *k, *v) for k, v in best.items()}
    got = {
        (m["entity_id"], m["list"], m["list_entity_id"], m["query_name"], m["score"],
         m["matched_name"])
        for m in stored
    }  # fmt: skip
    assert got == expected
    assert counts.matches == len(stored) > 250  # most variants of list names match
    by_inn = [m for m in stored if m["entity_id"] == "tt-test-inn"]
    assert by_inn and all(m["score"] == 1.0 for m in by_inn)
    assert all(json.loads(m["explanation"])["features"] == {"identifier": 1.0} for m in by_inn)
