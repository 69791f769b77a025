"""The graph as FollowTheMoney entities, one JSON object per line (docs/model.md).

* each node → a ``Company`` when one of its names carries a legal form, else a
  ``LegalEntity``: name, aliases, country, ``innCode`` / ``ogrnCode`` / ``taxNumber``,
  addresses as declared;
* each screening match → a ``Sanction`` pointing at its node;
* each declaration line behind the graph's edges → an ``EconomicActivity`` from the
  exporter (``sender``) to the importer (``receiver``).

Entities come before the activities and sanctions that refer to them. Ids are hashes of
the tradetrace entity id, the list entry, or the line's ``ingest_id`` + ``source_row``, so
re-exporting the same data gives the same ids and tools can merge repeated exports.
Lines from the SYNTHETIC sample say so in their ``summary``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import ibis
from followthemoney import model
from followthemoney.proxy import EntityProxy

from tradetrace.analyse.graph.build import SupplierGraph, graph_lines
from tradetrace.resolve.names import analyse_name
from tradetrace.screen.lists.registry import list_source
from tradetrace.store import Store

__all__ = ["ftm_entities", "ftm_lines"]

#: identifier kind in ``entities.identifiers`` → FtM property (anything else: taxNumber)
ID_PROPERTIES = {"inn": "innCode", "ogrn": "ogrnCode"}
SYNTHETIC_NOTE = "SYNTHETIC: generated sample data, not a real customs declaration"
_LINE_COLUMNS = (
    "declaration_id",
    "line_no",
    "date",
    "direction",
    "importer_entity_id",
    "exporter_entity_id",
    "importer_country",
    "origin_country",
    "dispatch_country",
    "trading_country",
    "hs_code",
    "hs6",
    "description",
    "manufacturer",
    "brand",
    "quantity",
    "unit",
    "net_kg",
    "gross_kg",
    "value",
    "currency",
    "value_usd",
    "value_usd_source",
    "loading_port",
    "discharge_port",
    "source_file",
    "source_row",
    "ingest_id",
)


def ftm_lines(store: Store, graph: SupplierGraph) -> Iterator[str]:
    for entity in ftm_entities(store, graph):
        yield json.dumps(entity.to_dict(), ensure_ascii=False, sort_keys=True)


def ftm_entities(store: Store, graph: SupplierGraph) -> Iterator[EntityProxy]:
    """Parties first, then their sanctions, then the declaration lines between them."""
    ids = {node["id"]: entity_key(node["id"]) for node in graph.nodes}
    addresses = _addresses(store, list(ids))
    for node in graph.nodes:
        yield _party(node, ids[node["id"]], addresses.get(node["id"], []), graph.synthetic)
    for node in graph.nodes:
        for listing in node["listings"]:
            yield _sanction(node["id"], ids[node["id"]], listing)
    synthetic = _synthetic_runs(store)
    rows = _graph_rows(store, graph)
    hs_names = _hs6_descriptions(store, sorted({r["hs6"] for r in rows if r["hs6"]}))
    for row in rows:
        yield _activity(row, ids, hs_names, row["ingest_id"] in synthetic)


def entity_key(entity_id: str) -> str:
    """The FtM id of a tradetrace entity (stable: a hash of its id)."""
    key = model.make_entity("LegalEntity").make_id("tradetrace", "entity", entity_id)
    assert key is not None  # make_id gives None only when every part is empty
    return key


# -- parties and sanctions ----------------------------------------------------------------------


def _party(node: dict, key: str, addresses: list[str], synthetic: bool) -> EntityProxy:
    names = [node["name"], *(a["name"] for a in node["aliases"])]
    has_form = any(analyse_name(name).legal_form for name in names if name)
    entity = model.make_entity("Company" if has_form else "LegalEntity")
    entity.id = key
    entity.add("name", node["name"])
    entity.add("alias", [name for name in names[1:] if name and name != node["name"]])
    entity.add("country", node["country"])
    entity.add("address", addresses)
    for identifier in node.get("identifiers", []):
        kind, _, value = identifier.partition(":")
        entity.add(ID_PROPERTIES.get(kind, "taxNumber"), value or kind)
    note = f"tradetrace entity {node['id']}"
    if synthetic:
        note += "; seen in a graph built on the SYNTHETIC sample"
    entity.add("notes", note)
    entity.add("publisher", "tradetrace")
    return entity


def _sanction(entity_id: str, key: str, listing: dict) -> EntityProxy:
    sanction = model.make_entity("Sanction")
    sanction.make_id(
        "tradetrace", "sanction", entity_id, listing["list"], listing["list_entity_id"]
    )
    source = list_source(listing["list"])  # its keeper and entry page, from the list registry
    sanction.add("entity", key)
    sanction.add("authority", source.authority if source else None)
    sanction.add("authorityId", listing["list_entity_id"])
    sanction.add("recordId", f"{listing['list']}:{listing['list_entity_id']}")
    sanction.add("program", listing["programs"])
    sanction.add("listingDate", listing["listing_date"])
    sanction.add("startDate", listing["listing_date"])
    sanction.add("endDate", listing["delisting_date"])
    sanction.add("reason", f"listed on {listing['list']} as {listing['list_name']}")
    if source and source.entry_url:
        sanction.add("sourceUrl", source.entry_url.format(id=listing["list_entity_id"]))
    matched = f"tradetrace screening matched {listing['matched_name']!r}"
    if listing.get("score") is not None:
        matched += f" with score {listing['score']:.2f}"
    sanction.add("description", matched)
    sanction.add("summary", listing["listing_date_note"])
    return sanction


# -- declaration lines --------------------------------------------------------------------------


def _activity(row: dict, ids: dict[str, str], hs_names: dict[str, str], synthetic: bool):
    """One declaration line as an ``EconomicActivity`` (mapping in docs/model.md)."""
    activity = model.make_entity("EconomicActivity")
    activity.make_id("tradetrace", "line", row["ingest_id"], str(row["source_row"]))
    activity.add("ccdNumber", row["declaration_id"])
    activity.add("recordId", f"{row['ingest_id']}:{row['source_row']}")
    activity.add("date", row["date"].isoformat() if row["date"] else None)
    activity.add("directionOfTransportation", row["direction"])
    activity.add("sender", ids[row["exporter_entity_id"]])
    activity.add("receiver", ids[row["importer_entity_id"]])
    # goods travel to the importer whatever the declaring country's direction
    activity.add("destinationCountry", row["importer_country"])
    activity.add("originCountry", row["origin_country"])
    activity.add("departureCountry", row["dispatch_country"])
    activity.add("tradingCountry", row["trading_country"])
    activity.add("vedCode", row["hs_code"])
    activity.add("vedCodeDescription", hs_names.get(row["hs6"] or ""))
    activity.add("goodsDescription", row["description"])
    if row["value"] is not None:
        activity.add("invoiceAmount", f"{row['value']:.2f} {row['currency'] or ''}".strip())
    activity.add("summary", _summary(row, synthetic))
    activity.add("description", _extras(row))
    activity.add("publisher", row["source_file"])
    return activity


def _summary(row: dict, synthetic: bool) -> str:
    parts = [SYNTHETIC_NOTE] if synthetic else []
    if row["value_usd"] is not None:
        parts.append(f"customs value USD {row['value_usd']:.2f} ({row['value_usd_source']})")
    else:
        parts.append("no USD value")
    return "; ".join(parts)


def _extras(row: dict) -> str:
    """Declared facts FtM has no property for, so that none is lost (docs/model.md)."""
    parts = [f"goods line {row['line_no']}"]
    for label, key in (("manufacturer", "manufacturer"), ("brand", "brand")):
        if row[key]:
            parts.append(f"{label}: {row[key]}")
    if row["quantity"] is not None:
        parts.append(f"quantity: {row['quantity']:g} {row['unit'] or ''}".rstrip())
    for label, key in (("net kg", "net_kg"), ("gross kg", "gross_kg")):
        if row[key] is not None:
            parts.append(f"{label}: {row[key]:g}")
    for label, key in (("loading port", "loading_port"), ("discharge port", "discharge_port")):
        if row[key]:
            parts.append(f"{label}: {row[key]}")
    parts.append(f"source: {row['source_file']} row {row['source_row']}")
    return "; ".join(parts)


def _graph_rows(store: Store, graph: SupplierGraph) -> list[dict]:
    lines = graph_lines(store, graph.node_ids())
    ordered = lines.select(*_LINE_COLUMNS).order_by(
        ["date", "declaration_id", "line_no", "ingest_id", "source_row"]
    )
    return store.to_arrow(ordered).to_pylist()


def _addresses(store: Store, entity_ids: list[str]) -> dict[str, list[str]]:
    """Each entity's declared addresses, from its party records (none before `resolve`)."""
    if not store.has_table("parties"):
        return {}
    p = store.table("parties")
    rows = store.to_arrow(
        p.filter(p.entity_id.isin(entity_ids) & p.address.notnull())
        .select("entity_id", "address")
        .distinct()
        .order_by(["entity_id", "address"])
    ).to_pylist()
    found: dict[str, list[str]] = {}
    for row in rows:
        found.setdefault(row["entity_id"], []).append(row["address"])
    return found


def _synthetic_runs(store: Store) -> set[str]:
    if not store.has_table("ingest_runs"):
        return set()
    runs = store.table("ingest_runs")
    rows = store.to_arrow(runs.filter(runs.synthetic).select("ingest_id")).to_pylist()
    return {row["ingest_id"] for row in rows}


def _hs6_descriptions(store: Store, codes: list[str]) -> dict[str, str]:
    """HS6 subheading texts from the imported nomenclature (HS2022 first), if any."""
    if not codes or not store.has_table("ref_hs"):
        return {}
    hs = store.table("ref_hs")
    rows = store.to_arrow(
        hs.filter((hs.level == 6) & hs.code.isin(codes))
        .order_by(ibis.desc("edition"))
        .select("code", "description")
    ).to_pylist()
    found: dict[str, str] = {}
    for row in rows:
        found.setdefault(row["code"], row["description"])
    return found
