"""The entities table is built column-wise (Arrow); these tests hold it to the plain
definition, written here party by party: name = most used Latin spelling (else most used),
aliases in that order, most common country (ties: first alphabetically), distinct INNs,
summed lines and value."""

from __future__ import annotations

from collections import Counter, defaultdict

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from tradetrace.resolve.run import ENTITY_SCHEMA, _entities_table

SCRIPTS = {
    "AURUS": "Latin",
    "АУРУС": "Cyrillic",
    "아우루스": "Hangul",
    "NAMI": "Latin",
    "": "Latin",
}


def expected(parties: list[dict]) -> list[dict]:
    grouped: dict[str, list[dict]] = defaultdict(list)
    for row in parties:
        grouped[row["entity_id"]].append(row)
    return [entity(entity_id, members) for entity_id, members in sorted(grouped.items())]


def entity(entity_id: str, members: list[dict]) -> dict:
    lines: Counter = Counter()
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


def party(draw) -> dict:
    name = draw(st.sampled_from([*SCRIPTS, None]))
    lines = st.none() | st.integers(0, 50)
    return {
        "entity_id": draw(st.sampled_from(["tt-a", "tt-b", "tt-c", "tt-inn-7707083893"])),
        "name": name,
        "name_script": SCRIPTS.get(name or "", "Latin"),
        "country": draw(st.sampled_from(["RU", "KR", "CN", "", None])),
        "inn": draw(st.sampled_from(["7707083893", "7743237789", None])),
        "importer_lines": draw(lines),
        "exporter_lines": draw(lines),
        "value_usd": draw(st.none() | st.integers(0, 10**6).map(float)),
    }


PARTY_SCHEMA = pa.schema(
    [("entity_id", pa.string()), ("name", pa.string()), ("name_script", pa.string()),
     ("country", pa.string()), ("inn", pa.string()), ("importer_lines", pa.int64()),
     ("exporter_lines", pa.int64()), ("value_usd", pa.float64())]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.composite(party)(), min_size=1, max_size=30))
def test_entities_follow_the_definition(parties: list[dict]) -> None:
    table = _entities_table(pa.Table.from_pylist(parties, PARTY_SCHEMA))
    assert table.schema == ENTITY_SCHEMA
    assert table.to_pylist() == expected(parties)


def test_an_entity_without_names_or_inns_has_empty_lists() -> None:
    parties = [
        {"entity_id": "tt-x", "name": None, "name_script": "Latin", "country": None,
         "inn": None, "importer_lines": None, "exporter_lines": 3, "value_usd": None}
    ]  # fmt: skip
    [row] = _entities_table(pa.Table.from_pylist(parties, PARTY_SCHEMA)).to_pylist()
    assert row["aliases"] == [] and row["identifiers"] == [] and row["name"] is None
    assert (row["importer_lines"], row["exporter_lines"], row["value_usd"]) == (0, 3, 0.0)
