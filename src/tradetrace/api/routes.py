"""The endpoints. Each is a thin shell over the same library function the CLI calls.

Every filter reaches the engine as an Ibis expression with the value as a literal
parameter, never as SQL text, so no request can change a query's shape.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from tradetrace import __version__
from tradetrace.api.app import Limits, NotFound
from tradetrace.errors import InputError, StoreError

router = APIRouter()

Day = Annotated[dt.date | None, Query(description="YYYY-MM-DD")]
BUILT_IN_CATEGORIES = ("automotive", "hs-section", "hs-chapter", "hs-heading")


def _pool(request: Request):
    return request.app.state.pool


# -- dashboard and service ------------------------------------------------------------------------


@router.get("/", include_in_schema=False)
def dashboard() -> FileResponse:
    from importlib.resources import files

    return FileResponse(str(files("tradetrace.api") / "static" / "index.html"))


@router.get("/health", tags=["service"])
def health() -> dict:
    return {"status": "ok", "version": __version__}


@router.get("/summary", tags=["service"])
def summary(request: Request) -> dict:
    """What the store holds: declarations, entities, lists, and whether it is SYNTHETIC."""
    with _pool(request).store() as store:
        runs = store.table("ingest_runs")
        counts = store.to_arrow(
            runs.aggregate(
                files=runs.count(),
                synthetic_files=runs.synthetic.sum().fill_null(0),
                lines=runs.loaded.sum().fill_null(0),
            )
        ).to_pylist()[0]
        result = {**counts, "synthetic": bool(counts["synthetic_files"])}
        result["entities"] = store.count("entities") if store.has_table("entities") else 0
        result["matched_entities"] = _matched(store)
        return result


def _matched(store) -> int:
    if not store.has_table("matches"):
        return 0
    return store.to_arrow(store.table("matches").entity_id.nunique()).as_py()


# -- entities -------------------------------------------------------------------------------------


@router.get("/entities", tags=["entities"])
def search(
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=Limits.query_chars)],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> list[dict]:
    """Entities by a name in any script, or by a tax id; best match first."""
    from tradetrace.resolve.search import search_entities

    with _pool(request).store() as store:
        _require(store, "entities", "run `tradetrace resolve` first")
        return search_entities(store, q, limit)


@router.get("/entities/{entity_id}", tags=["entities"])
def entity(request: Request, entity_id: str) -> dict:
    """One entity: its spellings, identifiers, trade counts and sanctions matches."""
    with _pool(request).store() as store:
        _require(store, "entities", "run `tradetrace resolve` first")
        entities = store.table("entities")
        rows = store.to_arrow(entities.filter(entities.entity_id == entity_id)).to_pylist()
        if not rows:
            raise NotFound(f"no entity {entity_id!r}")
        result = rows[0]
        result["matches"] = _matches(store, entity_id)
        return json.loads(json.dumps(result, default=str))


def _matches(store, entity_id: str) -> list[dict]:
    if not store.has_table("matches"):
        return []
    m = store.table("matches")
    rows = store.to_arrow(m.filter(m.entity_id == entity_id).order_by("listing_date")).to_pylist()
    for row in rows:
        row["explanation"] = json.loads(row["explanation"] or "{}")
    return rows


# -- screening ------------------------------------------------------------------------------------


class ScreenName(BaseModel):
    name: str = Field(min_length=1, max_length=Limits.name_chars)
    country: str | None = Field(default=None, pattern=r"^[A-Za-z]{2}$")
    schema_: str = Field(default="Company", alias="schema", max_length=40)
    identifiers: list[Annotated[str, Field(max_length=80)]] = Field(
        default_factory=list, max_length=10
    )


class ScreenRequest(BaseModel):
    names: list[ScreenName | Annotated[str, Field(min_length=1, max_length=Limits.name_chars)]] = (
        Field(min_length=1, max_length=Limits.batch_names)
    )
    as_of: dt.date | None = None
    threshold: float = Field(default=0.85, ge=0.5, le=1.0)


_index_lock = threading.Lock()


@router.post("/screen", tags=["screening"])
def screen(request: Request, body: ScreenRequest) -> dict:
    """Screen a batch of names against the loaded lists, with each match's status on ``as_of``."""
    from tradetrace.screen.match import Query, match_rows, status_on

    index = _index(request, body.threshold)
    as_of = body.as_of.isoformat() if body.as_of else None
    results = []
    for item in body.names:
        item = ScreenName(name=item) if isinstance(item, str) else item
        query = Query(
            item.name,
            item.country.upper() if item.country else None,
            item.schema_,
            tuple(item.identifiers),
        )
        rows = match_rows(query, index.match(query))
        if as_of:
            for row in rows:
                row["status_as_of"] = status_on(as_of, row["listing_date"], row["delisting_date"])
        results.append({"name": item.name, "country": query.country, "matches": rows})
    return {"as_of": as_of, "threshold": body.threshold, "results": results}


def _index(request: Request, threshold: float):
    """The list index, built once per store version and threshold (building takes seconds)."""
    from tradetrace.screen.match import ListIndex, MatchConfig
    from tradetrace.screen.run import current_entries

    pool = _pool(request)
    stat = os.stat(pool.path)
    key = (stat.st_mtime_ns, stat.st_size, threshold)
    cache = request.app.state.__dict__.setdefault("indexes", {})
    with _index_lock:
        if key not in cache:
            with pool.store() as store:
                entries = current_entries(store)
            cache.clear()
            cache[key] = ListIndex(entries, MatchConfig(threshold=threshold))
        return cache[key]


# -- exposure, report, graph ----------------------------------------------------------------------


def _options(
    role: str, start: dt.date | None, end: dt.date | None, events: list[str], categories: str
):
    from tradetrace.analyse.exposure import options_from

    if categories not in BUILT_IN_CATEGORIES:  # a file path would read the server's files
        raise InputError(f"categories must be one of {', '.join(BUILT_IN_CATEGORIES)}")
    if len(events) > 20:
        raise InputError("at most 20 events")
    return options_from(
        role, start and start.isoformat(), end and end.isoformat(), events, categories
    )


RoleQuery = Annotated[Literal["importer", "exporter"], Query()]
EventQuery = Annotated[
    list[Annotated[str, Field(max_length=80)]], Query(description="NAME=YYYY-MM-DD, repeatable")
]
CategoriesQuery = Annotated[str, Query(max_length=20)]


@router.get("/exposure/{target}", tags=["analysis"])
def exposure(
    request: Request,
    target: str,
    role: RoleQuery = "importer",
    start: Annotated[Day, Query(alias="from")] = None,
    end: Annotated[Day, Query(alias="to")] = None,
    event: EventQuery = [],  # noqa: B006 - FastAPI reads the default, never mutates it
    categories: CategoriesQuery = "automotive",
) -> dict:
    """The exposure JSON of ``tradetrace exposure --json`` (see docs/exposure.md)."""
    from tradetrace.analyse.exposure import exposure as compute

    options = _options(role, start, end, event, categories)
    with _pool(request).store() as store:
        return json.loads(json.dumps(compute(store, _target(target), options), default=str))


@router.get("/report/{target}", tags=["analysis"])
def report(
    request: Request,
    target: str,
    format: Literal["html", "pdf", "md", "json"] = "html",  # noqa: A002 - the public name
    role: RoleQuery = "importer",
    start: Annotated[Day, Query(alias="from")] = None,
    end: Annotated[Day, Query(alias="to")] = None,
    event: EventQuery = [],  # noqa: B006
    categories: CategoriesQuery = "automotive",
) -> Response:
    """The report, self-contained, as HTML, PDF, Markdown or JSON."""
    from tradetrace.report import MEDIA_TYPES, render_report

    options = _options(role, start, end, event, categories)
    with _pool(request).store() as store:
        body = render_report(store, _target(target), options, format)
    headers = {}
    if format in ("pdf", "md"):
        headers["Content-Disposition"] = f'attachment; filename="tradetrace-report.{format}"'
    return Response(body, media_type=MEDIA_TYPES[format], headers=headers)


GRAPH_MEDIA = {
    "graphml": "application/graphml+xml",
    "gexf": "application/gexf+xml",
    "ftm": "application/x-ndjson",
}


@router.get("/graph/{target}", tags=["analysis"])
def graph(
    request: Request,
    target: str,
    hops: Annotated[int, Query(ge=1, le=4)] = 1,
    format: Literal["json", "graphml", "gexf", "ftm"] = "json",  # noqa: A002
    role: Annotated[Literal["importer", "exporter", "any"], Query()] = "importer",
) -> Response:
    """The supplier network around a target, with paths to listed parties."""
    from tradetrace.analyse.graph import export_graph, supplier_graph

    with _pool(request).store() as store:
        found = supplier_graph(store, _target(target), hops=hops, role=role)
        if format == "json":
            return JSONResponse(json.loads(json.dumps(found.to_json(), default=str)))
        return Response(export_graph(store, found, format), media_type=GRAPH_MEDIA[format])


def _target(text: str) -> str:
    text = text.strip()
    if not text or len(text) > Limits.query_chars:
        raise InputError(f"target must be 1 to {Limits.query_chars} characters")
    return text


# -- declarations ---------------------------------------------------------------------------------

DECLARATION_COLUMNS = (
    "declaration_id", "line_no", "date", "importer_name", "importer_id", "importer_entity_id",
    "exporter_name", "exporter_entity_id", "origin_country", "dispatch_country", "hs_code", "hs6",
    "description", "value", "currency", "value_usd", "value_usd_source", "source_file",
    "source_row",
)  # fmt: skip
Country = Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$")]
EntityQuery = Annotated[str | None, Query(max_length=80)]


@router.get("/declarations", tags=["declarations"])
def declarations(
    request: Request,
    entity: EntityQuery = None,
    importer: EntityQuery = None,
    exporter: EntityQuery = None,
    origin: Country = None,
    dispatch: Country = None,
    hs: Annotated[str | None, Query(pattern=r"^\d{2,10}$")] = None,
    start: Annotated[Day, Query(alias="from")] = None,
    end: Annotated[Day, Query(alias="to")] = None,
    declaration_id: Annotated[
        list[Annotated[str, Field(max_length=80)]], Query(max_length=Limits.declaration_ids)
    ] = [],  # noqa: B006
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=Limits.page_size)] = 50,
) -> dict:
    """Declaration lines, filtered, oldest first; ``total`` counts every matching line."""
    with _pool(request).store() as store:
        _require(store, "declaration_entities", "run `tradetrace resolve` first")
        d = store.table("resolved_declarations")
        conditions = []
        if entity:
            conditions.append((d.importer_entity_id == entity) | (d.exporter_entity_id == entity))
        if importer:
            conditions.append(d.importer_entity_id == importer)
        if exporter:
            conditions.append(d.exporter_entity_id == exporter)
        if origin:
            conditions.append(d.origin_country == origin.upper())
        if dispatch:
            conditions.append(d.dispatch_country == dispatch.upper())
        if hs:
            conditions.append(d.hs_code.startswith(hs))
        if start:
            conditions.append(d.date >= start)
        if end:
            conditions.append(d.date <= end)
        if declaration_id:
            conditions.append(d.declaration_id.isin(declaration_id))
        chosen = d.filter(*conditions) if conditions else d
        total = store.to_arrow(chosen.count()).as_py()
        rows = store.to_arrow(
            chosen.select(*DECLARATION_COLUMNS)
            .order_by(["date", "declaration_id", "line_no", "source_file", "source_row"])
            .limit(page_size, offset=(page - 1) * page_size)
        ).to_pylist()
    return {
        "total": total,
        "page": page,
        "page_size": page_size,
        "rows": json.loads(json.dumps(rows, default=str)),
    }


def _require(store, table: str, hint: str) -> None:
    if not store.has_table(table):
        raise StoreError(f"the store has no {table} yet; {hint}")
