"""Write a :class:`SupplierGraph` as JSON, GraphML, GEXF or FollowTheMoney JSON lines.

GraphML and GEXF go through networkx, so the files open in Gephi, yEd or Cytoscape and
read back with ``nx.read_graphml`` / ``nx.read_gexf``. Neither format has a null, so an
attribute without a value is left out rather than written as ``None``.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import networkx as nx

from tradetrace.analyse.graph.build import SupplierGraph
from tradetrace.analyse.graph.ftm import ftm_lines
from tradetrace.errors import InputError
from tradetrace.store import Store

__all__ = ["GRAPH_FORMATS", "export_graph", "to_networkx"]

GRAPH_FORMATS = ("json", "graphml", "gexf", "ftm")


def export_graph(store: Store, graph: SupplierGraph, fmt: str) -> str:
    """``graph`` as text in ``fmt`` (one of :data:`GRAPH_FORMATS`)."""
    writers: dict[str, Callable[[], str]] = {
        "json": lambda: json.dumps(graph.to_json()),
        "graphml": lambda: _lines(nx.generate_graphml(to_networkx(graph))),
        "gexf": lambda: _lines(nx.generate_gexf(to_networkx(graph))),
        "ftm": lambda: _lines(ftm_lines(store, graph)),
    }
    if fmt not in writers:
        raise InputError(f"--format {fmt!r}: expected one of {', '.join(GRAPH_FORMATS)}")
    return writers[fmt]()


def to_networkx(graph: SupplierGraph) -> nx.DiGraph:
    """A directed graph (exporter → importer) with flat, null-free attributes."""
    g: nx.DiGraph[str] = nx.DiGraph(target=graph.target, hops=graph.hops, synthetic=graph.synthetic)
    for node in graph.nodes:
        lists = sorted({listing["list"] for listing in node["listings"]})
        attrs = {
            "label": node["name"],
            "name": node["name"],
            "country": node["country"],
            "listed": node["listed"],
            "lists": ",".join(lists) or None,
            "hops": node["hops"],
            "value_usd": node["value_usd"],
        }
        g.add_node(node["id"], **_present(attrs))
    for edge in graph.edges:
        attrs = {key: edge[key] for key in _EDGE_ATTRS}
        g.add_edge(edge["source"], edge["target"], **_present(attrs))
    return g


_EDGE_ATTRS = ("value_usd", "declarations", "lines", "first_date", "last_date")


def _present(attrs: dict) -> dict:
    return {key: value for key, value in attrs.items() if value is not None}


def _lines(lines) -> str:
    return "".join(f"{line}\n" for line in lines)
