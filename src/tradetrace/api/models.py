"""The shapes of the API's answers, as the OpenAPI spec documents them.

Endpoints build their JSON with the same library functions the CLI uses and return it
as is (the CLI's output is the contract); these models only describe it, for clients and
for ``tests/test_api_schema.py``, which checks every answer against them. Objects allow
further keys, so a field added to the CLI's output does not break a client.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Declarations",
    "Entity",
    "EntityHit",
    "Exposure",
    "Graph",
    "Health",
    "Problem",
    "ScreenAnswer",
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


class EntityHit(Open):
    entity_id: str
    name: str | None
    country: str | None
    score: float
    matched: str = Field(description="the spelling that matched the query")
    lines: int | None
    identifiers: list[str] | None


class Alias(Open):
    name: str | None
    script: str | None


class Listing(Open):
    """A sanctions-list match of an entity, with the reasons for it."""

    list: str
    list_entity_id: str
    list_name: str | None
    matched_name: str | None
    score: float
    explanation: dict[str, Any]
    listing_date: dt.date | None
    delisting_date: dt.date | None
    listing_date_note: str | None
    programs: list[str] | None


class Entity(Open):
    entity_id: str
    name: str | None
    aliases: list[Alias] | None
    country: str | None
    identifiers: list[str] | None
    importer_lines: int | None
    exporter_lines: int | None
    matches: list[Listing]
    redirected_from: str | None = Field(
        default=None,
        description="present when the id asked for was retired (merged into this entity, "
        "or renamed): that id; the answer is this entity's",
    )
    redirect_reason: Literal["merged", "split", "renamed"] | None = Field(
        default=None, description="why the id asked for was retired (with `redirected_from`)"
    )


class ScreenMatch(Open):
    list: str
    id: str
    name: str | None
    matched_name: str | None
    score: float
    listing_date: dt.date | None
    delisting_date: dt.date | None
    listing_date_note: str | None
    programs: list[str]
    explanation: dict[str, Any]
    status_as_of: Literal["listed", "not listed", "delisted", "listing date unknown"] | None = (
        Field(default=None, description="present when the request gives `as_of`")
    )


class ScreenResult(Open):
    name: str
    country: str | None
    matches: list[ScreenMatch]


class ScreenAnswer(Open):
    as_of: dt.date | None
    threshold: float
    results: list[ScreenResult] = Field(description="one per name, in the order sent")


class Period(Open):
    from_: dt.date | None = Field(alias="from")
    to: dt.date | None


class Target(Open):
    entity_id: str
    name: str | None
    aliases: list[Alias]
    listings: list[dict[str, Any]]
    country: str | None
    identifiers: list[str]
    redirected_from: str | None = Field(
        default=None, description="present when the target was a retired entity id: that id"
    )
    redirect_reason: Literal["merged", "split", "renamed"] | None = Field(
        default=None, description="why that id was retired (with `redirected_from`)"
    )


class Exposure(Open):
    """The exposure JSON of ``tradetrace exposure --json`` (docs/exposure.md)."""

    target: Target
    period: Period
    role: Literal["importer", "exporter"]
    total_usd: float
    declarations: int = Field(description="distinct customs declarations (line-level rows)")
    lines: int = Field(description="declaration goods lines and bills of lading")
    aggregate_rows: int = Field(description="a vendor's monthly aggregate rows, never declarations")
    unit_value_flagged: dict[str, Any] = Field(
        description="value_usd, share and rows of the total resting on unusual unit values"
    )
    by_year: list[dict[str, Any]]
    by_origin_country: list[dict[str, Any]]
    by_supplier: list[dict[str, Any]]
    events: list[dict[str, Any]]
    categories: str
    sources: list[dict[str, Any]]
    synthetic: bool
    findings: list[dict[str, Any]]


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
