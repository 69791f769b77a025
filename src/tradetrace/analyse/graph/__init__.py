"""The supplier network around a target, and its exports (JSON, GraphML, GEXF, FtM).

``supplier_graph`` walks the importer↔exporter links of ``resolved_declarations`` out
from a target and marks the entities that screening found on a sanctions list;
``export_graph`` writes the result for Gephi, yEd, networkx or FollowTheMoney tools
(yente, OpenAleph). See ``docs/graph.md``.
"""

from __future__ import annotations

from tradetrace.analyse.graph.build import (
    MAX_DECLARATION_IDS,
    MAX_HOPS,
    MAX_NODES,
    ROLES,
    SupplierGraph,
    supplier_graph,
)
from tradetrace.analyse.graph.export import GRAPH_FORMATS, export_graph, to_networkx

__all__ = [
    "GRAPH_FORMATS",
    "MAX_DECLARATION_IDS",
    "MAX_HOPS",
    "MAX_NODES",
    "ROLES",
    "SupplierGraph",
    "export_graph",
    "supplier_graph",
    "to_networkx",
]
