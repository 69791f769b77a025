"""The API's answers that exist only in the API, as the OpenAPI spec documents them.

The analysis answers are the library's own typed results, the objects the CLI prints:
``/exposure`` and ``/report?format=json`` answer an
:class:`~tradetrace.analyse.results.ExposureResult`, ``/entities/{id}`` an
:class:`~tradetrace.analyse.results.EntityDetail`, ``/entities?q=`` a list of
:class:`~tradetrace.resolve.records.EntityHit`, and a screening match is a
:class:`~tradetrace.screen.results.ScreenMatch`; their schemas in the spec are generated
from those classes, so the spec and the answers cannot drift apart.

The models below describe the rest (health, summary, the ``POST /screen`` batch, graph,
declarations) for clients and for ``tests/test_api_schema.py``, which checks every answer
against the spec. ``Open`` objects allow further keys, so a key added to an answer does not
break a client.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tradetrace.result import Result
from tradetrace.screen.results import ScreenMatch

__all__ = [
    "Declarations",
    "Graph",
    "Health",
    "Problem",
    "ScreenAnswer",
    "ScreenMatch",
    "ScreenResult",
    "Summary",
]


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Problem(BaseModel):
    """Every error: one line, never a trace."""

    detail: str = Field(description="what went wrong, in one line")


class Health(Open):
    status: Literal["ok"]
    version: str


class Summary(Open):
    files: int
    synthetic_files: int
    lines: int
    synthetic: bool = Field(description="any loaded file is SYNTHETIC sample data")
    entities: int
    matched_entities: int
    trade_flows: int = Field(
        default=0, description="rows of official statistics loaded (`tradetrace stats load`)"
    )


class ScreenResult(Result):
    """One name of a ``POST /screen`` batch: the name as sent and its matches."""

    name: str = Field(description="the name screened, as sent")
    country: str | None = Field(description="its ISO 3166 alpha-2 country, if sent")
    matches: tuple[ScreenMatch, ...] = Field(description="every match over the threshold")


class ScreenAnswer(Result):
    """The answer of ``POST /screen``: the request's date and threshold, a result per name."""

    as_of: dt.date | None = Field(description="the date each match's status is given on")
    threshold: float = Field(description="the score a match needs")
    results: tuple[ScreenResult, ...] = Field(description="one per name, in the order sent")


class Graph(Open):
    """The supplier network (docs/graph.md)."""

    target: str
    hops: int
    role: Literal["importer", "exporter", "any"]
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    paths_to_listed: list[Any]
    synthetic: bool
    truncated: bool
    max_nodes: int


class DeclarationLine(Open):
    declaration_id: str | None
    line_no: int | None
    date: dt.date | None
    importer_entity_id: str | None
    exporter_entity_id: str | None
    hs_code: str | None
    value_usd: float | None
    source_file: str | None
    source_row: int | None


class Declarations(Open):
    total: int = Field(description="every matching line, not just this page")
    page: int
    page_size: int
    rows: list[DeclarationLine]
