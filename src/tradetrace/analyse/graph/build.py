"""Build the supplier network: breadth-first over trade links, with listings and paths.

An edge is every declaration line between one exporter entity and one importer entity,
aggregated (goods flow exporter → importer). Hop 1 is the target's counterparties on the
side ``role`` names (its suppliers as an importer, its buyers as an exporter, or both);
later hops follow links either way, because co-customers of one supplier are what a
network question is about and one country's customs data rarely shows a supplier's own
suppliers. A hub could pull in thousands of firms, so each hop admits the new nodes with
the largest trade with the graph first, up to ``max_nodes``, and the graph says it was cut.

Every query is an Ibis expression through the :class:`Store`, so it runs unchanged on
another backend; the graph's lines are read once into a temporary table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import networkx as nx

from tradetrace.analyse.target import Target, find_target, listings_by_entity
from tradetrace.errors import InputError
from tradetrace.roles import ROLE_NAMES
from tradetrace.roles import role as as_role
from tradetrace.store import Store

__all__ = [
    "MAX_DECLARATION_IDS",
    "MAX_HOPS",
    "MAX_NODES",
    "ROLES",
    "SupplierGraph",
    "graph_lines",
    "supplier_graph",
    "trade_links",
]

MAX_HOPS = 4
#: Enough for any one firm's trade network; a hub beyond it is cut, largest links kept.
MAX_NODES = 500
#: Declaration ids listed per edge; ``declaration_ids_truncated`` says when there are more.
MAX_DECLARATION_IDS = 200
#: The first hop's side: a :class:`~tradetrace.roles.Role`'s name, or both sides.
ROLES = (*ROLE_NAMES, "any")


@dataclass
class SupplierGraph:
    """The network around ``target`` (an entity id); nodes and edges are JSON-ready dicts."""

    target: str
    nodes: list[dict]
    edges: list[dict]
    paths_to_listed: list[dict]
    hops: int = 1
    role: str = "importer"
    truncated: bool = False
    synthetic: bool = False
    max_nodes: int = MAX_NODES

    def node_ids(self) -> list[str]:
        return [node["id"] for node in self.nodes]

    def to_pandas(self, table: str = "nodes") -> Any:
        """``nodes``, ``edges`` or ``paths_to_listed`` as a pandas data frame, its columns
        the keys of the JSON's objects (docs/graph.md; Python API)."""
        import pandas as pd

        tables = {"nodes": self.nodes, "edges": self.edges, "paths_to_listed": self.paths_to_listed}
        if table not in tables:
            raise InputError(f"{table!r} is not a table of the graph: {', '.join(tables)}")
        return pd.DataFrame(tables[table])

    def to_json(self) -> dict:
        return {
            "target": self.target,
            "hops": self.hops,
            "role": self.role,
            "nodes": self.nodes,
            "edges": self.edges,
            "paths_to_listed": self.paths_to_listed,
            "synthetic": self.synthetic,
            "truncated": self.truncated,
            "max_nodes": self.max_nodes,
        }


def supplier_graph(
    store: Store,
    target: str,
    hops: int = 1,
    role: str = "importer",
    *,
    max_nodes: int = MAX_NODES,
) -> SupplierGraph:
    """The trade network ``hops`` links out from ``target`` (an entity id, tax id or name)."""
    _check_options(hops, role, max_nodes)
    found = find_target(store, target)
    links = trade_links(store)
    distance, truncated = _reach(store, links, found, hops, role, max_nodes)
    with store.cached(_edge_lines(graph_lines(store, list(distance)))) as lines:
        edges = _edges(store, lines)
        synthetic = _synthetic(store, lines)
    nodes = _nodes(store, distance, edges)
    return SupplierGraph(
        target=found.entity_id,
        nodes=nodes,
        edges=edges,
        paths_to_listed=_paths_to_listed(found.entity_id, nodes, edges),
        hops=hops,
        role=role,
        truncated=truncated,
        synthetic=synthetic,
        max_nodes=max_nodes,
    )


def _check_options(hops: int, role: str, max_nodes: int) -> None:
    if isinstance(hops, bool) or not isinstance(hops, int) or not 1 <= hops <= MAX_HOPS:
        raise InputError(f"--hops {hops!r}: expected a whole number from 1 to {MAX_HOPS}")
    if role not in ROLES:
        raise InputError(f"--role {role!r}: expected one of {', '.join(ROLES)}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise InputError(f"max_nodes {max_nodes!r}: expected a whole number of at least 1")


def trade_links(store: Store) -> ir.Table:
    """Declaration lines whose two parties were both resolved (the rest link nobody)."""
    d = store.table("resolved_declarations")
    return d.filter(d.importer_entity_id.notnull() & d.exporter_entity_id.notnull())


def graph_lines(store: Store, entity_ids: list[str]) -> ir.Table:
    """Every line between two entities of the graph: the edges are the induced subgraph."""
    t = trade_links(store)
    return t.filter(t.importer_entity_id.isin(entity_ids) & t.exporter_entity_id.isin(entity_ids))


# -- breadth-first walk -----------------------------------------------------------------------


def _reach(
    store: Store, links: ir.Table, target: Target, hops: int, role: str, max_nodes: int
) -> tuple[dict[str, int], bool]:
    """Entity id → hop for every node admitted, and whether the cap cut the walk short."""
    distance = {target.entity_id: 0}
    frontier = [target.entity_id]
    for hop in range(1, hops + 1):
        sides = (role,) if hop == 1 and role != "any" else ROLE_NAMES
        room = max_nodes - len(distance)
        found = _neighbours(store, links, frontier, list(distance), sides, room + 1)
        if hop == 1 and not found and role != "any":
            _no_counterparties(store, links, target, role)
        admitted = [row["other"] for row in found[:room]]
        distance.update((entity_id, hop) for entity_id in admitted)
        if len(found) > room:
            return distance, True
        if not admitted:
            break
        frontier = admitted
    return distance, False


def _neighbours(
    store: Store,
    links: ir.Table,
    frontier: list[str],
    seen: list[str],
    sides: tuple[str, ...],
    limit: int,
) -> list[dict]:
    """New counterparties of the frontier, by their total trade with it, largest first."""
    parts = []
    for side in map(as_role, sides):
        t = links.filter(links[side.entity_column].isin(frontier))
        other = t[side.counterpart_column]
        parts.append(t.select(other=other, value_usd=t.value_usd.fill_null(0.0)))
    near = parts[0] if len(parts) == 1 else parts[0].union(parts[1], distinct=False)
    near = near.filter(~near.other.isin(seen))
    ranked = (
        near.group_by("other")
        .aggregate(value_usd=near.value_usd.sum())
        .order_by([ibis.desc("value_usd"), "other"])
        .limit(limit)
    )
    return store.to_arrow(ranked).to_pylist()


def _no_counterparties(store: Store, links: ir.Table, target: Target, role: str) -> None:
    """An empty first hop on one side is a wrong role when the target never trades in that
    role but does in the other. A target that does trade in its role, with no counterparty
    named (a vendor's export file without a buyer column), simply has no edges."""
    side = as_role(role)
    declared = store.table("resolved_declarations")
    if store.to_arrow(
        declared.filter(declared[side.entity_column] == target.entity_id).count()
    ).as_py():
        return
    other = side.other
    if store.to_arrow(links.filter(links[other.entity_column] == target.entity_id).count()).as_py():
        raise InputError(
            f"{target.name} ({target.entity_id}) never appears as {role}; give role "
            f"'{other.name}' for its {other.parties} or 'any' for both"
        )


# -- edges, nodes, paths ----------------------------------------------------------------------


def _edge_lines(lines: ir.Table) -> ir.Table:
    return lines.select(
        "declaration_id",
        "date",
        "ingest_id",
        source=lines.exporter_entity_id,
        target=lines.importer_entity_id,
        value_usd=lines.value_usd.fill_null(0.0),
    )


def _edges(store: Store, lines: ir.Table) -> list[dict]:
    """One edge per (exporter, importer): value, counts, dates and its first declaration ids."""
    grouped = (
        lines.group_by("source", "target")
        .aggregate(
            value_usd=lines.value_usd.sum(),
            declarations=lines.declaration_id.nunique(),
            lines=lines.count(),
            first_date=lines.date.min(),
            last_date=lines.date.max(),
        )
        .order_by([ibis.desc("value_usd"), "source", "target"])
    )
    samples = _declaration_samples(store, lines)
    edges = []
    for row in store.to_arrow(grouped).to_pylist():
        ids = samples.get((row["source"], row["target"]), [])
        edges.append(
            {
                "source": row["source"],
                "target": row["target"],
                "value_usd": round(row["value_usd"], 2),
                "declarations": row["declarations"],
                "lines": row["lines"],
                "first_date": _iso(row["first_date"]),
                "last_date": _iso(row["last_date"]),
                "declaration_ids": ids,
                "declaration_ids_truncated": row["declarations"] > len(ids),
            }
        )
    return edges


def _declaration_samples(store: Store, lines: ir.Table) -> dict[tuple[str, str], list[str]]:
    """The first :data:`MAX_DECLARATION_IDS` declaration ids of each edge, sorted."""
    distinct = lines.select("source", "target", "declaration_id").distinct()
    ranked = distinct.mutate(
        n=ibis.row_number().over(group_by=["source", "target"], order_by="declaration_id")
    )
    kept = ranked.filter(ranked.n < MAX_DECLARATION_IDS)
    grouped = kept.group_by("source", "target").aggregate(ids=kept.declaration_id.collect())
    return {
        (row["source"], row["target"]): sorted(row["ids"])
        for row in store.to_arrow(grouped).to_pylist()
    }


def _synthetic(store: Store, lines: ir.Table) -> bool:
    """Whether any line behind the graph was loaded from the SYNTHETIC sample."""
    if not store.has_table("ingest_runs"):
        return False
    runs = store.table("ingest_runs").select("ingest_id", "synthetic")
    used = lines.select("ingest_id").distinct().join(runs, "ingest_id")
    return bool(store.to_arrow(used.filter(used.synthetic).count()).as_py())


def _nodes(store: Store, distance: dict[str, int], edges: list[dict]) -> list[dict]:
    """Entities with their listings and the value of their trade inside the graph."""
    ids = list(distance)
    e = store.table("entities")
    rows = store.to_arrow(
        e.filter(e.entity_id.isin(ids)).select(
            "entity_id", "name", "country", "aliases", "identifiers"
        )
    ).to_pylist()
    info = {row["entity_id"]: row for row in rows}
    listings = listings_by_entity(store, ids)
    value = dict.fromkeys(ids, 0.0)
    for edge in edges:
        value[edge["source"]] += edge["value_usd"]
        if edge["target"] != edge["source"]:
            value[edge["target"]] += edge["value_usd"]
    nodes = []
    for entity_id in ids:
        row = info.get(entity_id, {})
        found = listings.get(entity_id, [])
        nodes.append(
            {
                "id": entity_id,
                "name": row.get("name") or entity_id,
                "country": row.get("country"),
                "listed": bool(found),
                "listings": [listing.to_json() for listing in found],
                "hops": distance[entity_id],
                "value_usd": round(value[entity_id], 2),
                "aliases": [
                    {"name": a["name"], "script": a["script"]} for a in row.get("aliases") or []
                ],
                "identifiers": list(row.get("identifiers") or []),
            }
        )
    return sorted(nodes, key=lambda n: (n["hops"], -n["value_usd"], n["id"]))


def _paths_to_listed(target: str, nodes: list[dict], edges: list[dict]) -> list[dict]:
    """Shortest trade path from the target to each listed node (the target itself aside)."""
    graph: nx.Graph[str] = nx.Graph()
    graph.add_nodes_from(node["id"] for node in nodes)
    graph.add_edges_from((edge["source"], edge["target"]) for edge in edges)
    paths = []
    for node in nodes:
        if not node["listed"] or node["id"] == target:
            continue
        try:
            path = nx.shortest_path(graph, target, node["id"])
        except nx.NetworkXNoPath:  # cannot happen for a walked graph; kept for safety
            continue
        paths.append(
            {
                "listed": node["id"],
                "lists": sorted({listing["list"] for listing in node["listings"]}),
                "path": path,
                "hops": len(path) - 1,
            }
        )
    return sorted(paths, key=lambda p: (p["hops"], p["listed"]))


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None
