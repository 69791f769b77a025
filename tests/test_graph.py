"""The supplier network: hops, listings, caps and the four export formats.

The store comes from the ``aurus_db`` fixture (SYNTHETIC sample → resolve → real OFAC SDN
and UK lists → screen), opened read-only. Figures are checked against plain SQL over
``resolved_declarations``, never against the graph code itself.
"""

from __future__ import annotations

import io
import json
from collections import Counter

import networkx as nx
import pytest
from followthemoney import model

from tradetrace.analyse.graph import (
    GRAPH_FORMATS,
    MAX_HOPS,
    SupplierGraph,
    export_graph,
    supplier_graph,
)
from tradetrace.errors import InputError, StoreError
from tradetrace.store import open_store

AURUS = "tt-inn-7743237789"


@pytest.fixture(scope="module")
def db(aurus_db):
    return aurus_db


def build(db, target: str, hops: int = 1, role: str = "importer", **options) -> SupplierGraph:
    with open_store(db, read_only=True) as store:
        return supplier_graph(store, target, hops, role, **options)


def sql(db, query: str) -> list[dict]:
    with open_store(db, read_only=True) as store:
        return store.query(query).to_pylist()


def export(db, graph: SupplierGraph, fmt: str) -> str:
    with open_store(db, read_only=True) as store:
        return export_graph(store, graph, fmt)


@pytest.fixture(scope="module")
def aurus(db) -> SupplierGraph:
    return build(db, AURUS)


@pytest.fixture(scope="module")
def suppliers(db) -> dict[str, dict]:
    """AURUS's suppliers by entity id, from plain SQL."""
    rows = sql(
        db,
        "SELECT exporter_entity_id AS id, sum(value_usd) AS value_usd, count(*) AS lines, "
        "count(DISTINCT declaration_id) AS declarations, min(date) AS first, max(date) AS last "
        f"FROM resolved_declarations WHERE importer_entity_id = '{AURUS}' "
        "AND exporter_entity_id IS NOT NULL GROUP BY 1",
    )
    return {row["id"]: row for row in rows}


@pytest.fixture(scope="module")
def hanbit(db) -> str:
    [row] = sql(db, "SELECT entity_id FROM entities WHERE name = 'HANBIT AUTOTECH CO., LTD'")
    return row["entity_id"]


# -- one hop around the listed importer --------------------------------------------------------


def test_one_hop_is_aurus_and_its_nine_suppliers(aurus, suppliers):
    assert len(suppliers) == 9
    assert aurus.target == AURUS
    assert {n["id"] for n in aurus.nodes} == {AURUS, *suppliers}
    assert len(aurus.edges) == 9
    assert {e["target"] for e in aurus.edges} == {AURUS}  # goods flow to the importer
    assert {e["source"] for e in aurus.edges} == set(suppliers)
    total = sum(s["value_usd"] for s in suppliers.values())
    assert sum(e["value_usd"] for e in aurus.edges) == pytest.approx(total, abs=0.05)
    assert aurus.nodes[0]["id"] == AURUS and aurus.nodes[0]["hops"] == 0
    assert aurus.nodes[0]["value_usd"] == pytest.approx(total, abs=0.01)
    assert {n["hops"] for n in aurus.nodes[1:]} == {1}
    assert not aurus.truncated
    assert aurus.synthetic is True


def test_each_edge_matches_its_declarations(aurus, suppliers, db):
    for edge in aurus.edges:
        expected = suppliers[edge["source"]]
        assert edge["value_usd"] == pytest.approx(expected["value_usd"], abs=0.01)
        assert edge["lines"] == expected["lines"]
        assert edge["declarations"] == expected["declarations"]
        assert edge["first_date"] == expected["first"].isoformat()
        assert edge["last_date"] == expected["last"].isoformat()
    biggest = aurus.edges[0]
    assert biggest["value_usd"] == max(e["value_usd"] for e in aurus.edges)
    ids = sql(
        db,
        "SELECT DISTINCT declaration_id FROM resolved_declarations "
        f"WHERE importer_entity_id = '{AURUS}' AND exporter_entity_id = '{biggest['source']}' "
        "ORDER BY 1",
    )
    assert biggest["declaration_ids"] == [r["declaration_id"] for r in ids]
    assert biggest["declaration_ids_truncated"] is False


def test_aurus_is_listed_on_its_own_node_not_as_a_path(aurus, hanbit):
    nodes = {n["id"]: n for n in aurus.nodes}
    [listing] = [x for x in nodes[AURUS]["listings"] if x["list"] == "ofac_sdn"]
    assert nodes[AURUS]["listed"] is True
    assert listing["list_entity_id"] == "47956"
    assert listing["listing_date"] == "2024-02-23"
    assert "RUSSIA-EO14024" in listing["programs"]
    assert nodes[hanbit]["country"] == "KR" and nodes[hanbit]["listed"] is False
    assert any(a["script"] == "Hangul" for a in nodes[hanbit]["aliases"])
    assert aurus.paths_to_listed == []  # the target itself is not a path


def test_names_and_tax_ids_give_the_same_graph(db, aurus):
    for text in ("ООО «АУРУС»", "7743237789", "ИНН 7743237789"):
        assert build(db, text).to_json() == aurus.to_json(), text


# -- from a supplier ------------------------------------------------------------------------------


def test_from_a_supplier_the_listed_buyer_is_one_hop_away(db, hanbit):
    graph = build(db, hanbit, role="exporter")
    assert {n["id"] for n in graph.nodes} == {hanbit, AURUS}
    [edge] = graph.edges
    assert (edge["source"], edge["target"]) == (hanbit, AURUS)
    assert graph.paths_to_listed == [
        {"listed": AURUS, "lists": ["ofac_sdn"], "path": [hanbit, AURUS], "hops": 1}
    ]


def test_a_supplier_as_importer_is_told_which_role_to_use(db, hanbit):
    with pytest.raises(InputError, match="'exporter'"):
        build(db, hanbit)  # HANBIT never imports: the default role finds nobody


def test_two_hops_from_a_supplier_reach_the_other_suppliers(db, hanbit, suppliers):
    one = build(db, hanbit, 1, "any")
    two = build(db, hanbit, 2, "any")
    assert len(two.nodes) > len(one.nodes)
    hops = {n["id"]: n["hops"] for n in two.nodes}
    assert hops == {hanbit: 0, AURUS: 1, **{s: 2 for s in suppliers if s != hanbit}}
    assert len(two.edges) == 9
    [path] = two.paths_to_listed
    assert path["path"] == [hanbit, AURUS] and path["hops"] == 1


def test_the_node_cap_keeps_the_largest_links(db, suppliers):
    graph = build(db, AURUS, max_nodes=5)
    largest = sorted(suppliers, key=lambda s: -suppliers[s]["value_usd"])[:4]
    assert graph.truncated is True and graph.to_json()["truncated"] is True
    assert {n["id"] for n in graph.nodes} == {AURUS, *largest}
    assert len(graph.edges) == 4


@pytest.mark.parametrize("hops", [0, MAX_HOPS + 1, -1, "2", 1.5, True])
def test_hops_out_of_range_are_refused(db, hops):
    with pytest.raises(InputError, match="--hops"):
        build(db, AURUS, hops)


def test_bad_role_and_cap_are_refused(db):
    with pytest.raises(InputError, match="--role"):
        build(db, AURUS, role="buyer")
    with pytest.raises(InputError, match="max_nodes"):
        build(db, AURUS, max_nodes=0)


def test_an_unresolved_store_says_to_resolve(store):
    with pytest.raises(StoreError, match="tradetrace resolve"):
        supplier_graph(store, AURUS)


# -- exports ------------------------------------------------------------------------------------


def test_unknown_format_lists_the_formats(db, aurus):
    with pytest.raises(InputError) as error:
        export(db, aurus, "dot")
    assert all(fmt in str(error.value) for fmt in GRAPH_FORMATS)


def test_json_export_is_the_graph(db, aurus):
    data = json.loads(export(db, aurus, "json"))
    assert data == aurus.to_json()
    assert set(data) >= {"target", "hops", "nodes", "edges", "paths_to_listed", "synthetic"}


@pytest.mark.parametrize(
    "fmt, read",
    [
        ("graphml", lambda text: nx.parse_graphml(text)),
        ("gexf", lambda text: nx.read_gexf(io.BytesIO(text.encode("utf-8")))),
    ],
)
def test_graphml_and_gexf_read_back(db, hanbit, fmt, read):
    graph = build(db, hanbit, 2, "any")
    parsed = read(export(db, graph, fmt))
    assert parsed.is_directed()
    assert parsed.number_of_nodes() == len(graph.nodes)
    assert parsed.number_of_edges() == len(graph.edges)
    aurus = parsed.nodes[AURUS]
    assert aurus["listed"] in (True, "true") and aurus["lists"] == "ofac_sdn"
    assert aurus["name"] == "OOO AURUS"
    assert aurus["country"] == "RU"  # the importer of Russian import records
    assert parsed.nodes[hanbit]["country"] == "KR"
    edge = parsed.edges[hanbit, AURUS]
    [expected] = [e for e in graph.edges if e["source"] == hanbit]
    assert float(edge["value_usd"]) == pytest.approx(expected["value_usd"])
    assert str(edge["first_date"]) == expected["first_date"]


@pytest.fixture(scope="module")
def ftm(db, hanbit) -> tuple[SupplierGraph, list[dict]]:
    graph = build(db, hanbit, 2, "any")
    text = export(db, graph, "ftm")
    return graph, [json.loads(line) for line in text.splitlines()]


def test_ftm_export_validates_with_followthemoney(ftm):
    _, entities = ftm
    assert entities
    for data in entities:
        schema = model.get(data["schema"])
        assert schema is not None, data["schema"]
        for name in data["properties"]:
            prop = schema.get(name)
            assert prop is not None and not prop.stub, f"{schema.name}.{name}"
        assert schema.validate(data) is None  # raises InvalidData on a bad value
        assert all(data["properties"].get(req) for req in schema.required), data["id"]
        # re-cleaning from scratch must keep every value: nothing was invalid
        cleaned = model.get_proxy(data, cleaned=False)
        assert cleaned.id == data["id"]
        assert cleaned.to_dict()["properties"] == data["properties"]
    assert len({d["id"] for d in entities}) == len(entities)


def test_ftm_references_resolve_and_counts_match(ftm, db, hanbit, suppliers):
    graph, entities = ftm
    ids = {d["id"] for d in entities}
    for data in entities:
        schema = model.get(data["schema"])
        for name, values in data["properties"].items():
            if schema.get(name).type.name == "entity":
                assert set(values) <= ids, f"{data['id']} {name}"
    kinds = Counter(d["schema"] for d in entities)
    assert kinds["Company"] + kinds["LegalEntity"] == len(graph.nodes)
    assert kinds["EconomicActivity"] == sum(e["lines"] for e in graph.edges)
    assert kinds["EconomicActivity"] == sum(s["lines"] for s in suppliers.values())
    by_id = {d["id"]: d for d in entities}
    [aurus] = [d for d in entities if d["properties"].get("innCode") == ["7743237789"]]
    assert aurus["schema"] == "Company"
    assert "ООО «АУРУС»" in aurus["properties"]["alias"]
    [sanction] = [d for d in entities if d["schema"] == "Sanction"]
    assert sanction["properties"]["entity"] == [aurus["id"]]
    assert sanction["properties"]["listingDate"] == ["2024-02-23"]
    assert sanction["properties"]["authorityId"] == ["47956"]
    activities = [d for d in entities if d["schema"] == "EconomicActivity"]
    received = [a for a in activities if a["properties"]["receiver"] == [aurus["id"]]]
    assert len(received) == len(activities)  # every line of this graph goes to AURUS
    senders = {by_id[a["properties"]["sender"][0]]["properties"]["name"][0] for a in received}
    assert "HANBIT AUTOTECH CO., LTD" in senders and len(senders) == 9
    declarations = {a["properties"]["ccdNumber"][0] for a in activities}
    assert len(declarations) == sum(s["declarations"] for s in suppliers.values())
    assert all(a["properties"]["summary"][0].startswith("SYNTHETIC") for a in activities)


def test_ftm_ids_are_stable(db, ftm, hanbit):
    _, entities = ftm
    rebuilt = build(db, hanbit, 2, "any")
    again = [json.loads(line) for line in export(db, rebuilt, "ftm").splitlines()]
    assert [d["id"] for d in again] == [d["id"] for d in entities]
