"""The endpoints. Each is a thin shell over the same library function the CLI calls.

Every filter reaches the engine as an Ibis expression with the value as a literal
(Ibis quotes it), never as SQL a request wrote, so no request can change a query's
shape. Text that reaches a query may not hold a NUL: DuckDB ends the SQL text there.

The costly answers (exposure, report, graph, entity search, the resolved target) are
computed in worker processes (:mod:`tradetrace.api.work`) once per store version and kept
(:mod:`tradetrace.api.cache`), as are each screened name's matches. Their endpoints are
``async``, so a kept answer is served from the event loop without waiting for a thread.
The rest are plain functions, which FastAPI runs in its thread pool.

A retired entity id (see ``entity_redirects``) answers with its successor's data, status
200: the JSON says ``redirected_from`` (the id asked for) and ``redirect_reason``, and a
``Content-Location`` header gives the successor's URL (docs/api.md, "Retired ids").
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import logging
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, BeforeValidator, Field

from tradetrace.analyse.alerts import Alert
from tradetrace.analyse.alerts import alerts as alerts_of
from tradetrace.analyse.diversion import (
    DiversionResult,
    FlowSeries,
    diversion,
    parse_window,
    series,
)
from tradetrace.analyse.mirror import MirrorResult, mirror
from tradetrace.analyse.results import EntityDetail, ExposureResult
from tradetrace.analyse.target import entity_detail
from tradetrace.api import work
from tradetrace.api.app import Limits, NotFound, StorePool
from tradetrace.api.cache import LRU, Answers, StoreVersion, store_version
from tradetrace.api.models import (
    Declarations,
    Graph,
    Health,
    Problem,
    ScreenAnswer,
    ScreenResult,
    Summary,
)
from tradetrace.dates import parse_date
from tradetrace.errors import InputError, TradetraceError
from tradetrace.resolve.records import EntityHit
from tradetrace.resolve.redirects import successor
from tradetrace.roles import RoleName
from tradetrace.store.catalogue import TRADE_FLOWS
from tradetrace.version import __version__

if TYPE_CHECKING:
    from tradetrace.screen.match import ListIndex
    from tradetrace.screen.results import ScreenMatch

__all__ = ["router", "warm_up"]

log = logging.getLogger("tradetrace.api")
router = APIRouter()


def _day(option: str) -> BeforeValidator:
    """A date read by the CLI's parser (:mod:`tradetrace.dates`), so both take the same
    dates and refuse the others in the same words. Its ``InputError`` is answered 400 with
    that one line, like any bad input (pydantic alone would read ``0`` as a timestamp)."""

    def parse(value: Any) -> Any:
        return value if value is None or isinstance(value, dt.date) else parse_date(value, option)

    return BeforeValidator(parse)


FromDay = Annotated[
    dt.date | None, _day("from"), Query(alias="from", description="first day, YYYY-MM-DD")
]
ToDay = Annotated[dt.date | None, _day("to"), Query(alias="to", description="last day, YYYY-MM-DD")]
#: For text that reaches a query: DuckDB reads a NUL as the end of the SQL text (was a 500).
NO_NUL = r"^[^\x00]*$"
#: Strings from the JSON body. Being constrained, they also refuse a lone surrogate
#: (``"\\ud800"``), which no answer could encode.
NameText = Annotated[str, Field(min_length=1, max_length=Limits.name_chars)]
SchemaText = Annotated[str, Field(max_length=40)]
IdentifierText = Annotated[str, Field(max_length=80)]
BUILT_IN_CATEGORIES = ("automotive", "hs-section", "hs-chapter", "hs-heading")
ERRORS = {
    400: "Bad input: a value outside the spec or a limit (docs/api.md, Limits).",
    401: "The server has an API key and the request did not send it.",
    404: "No such entity, or no endpoint at this path (a target must be one line).",
    409: "The store lacks a step (e.g. `tradetrace resolve` has not run).",
    411: "A request body without a Content-Length header.",
    413: f"A request body over {Limits.body_bytes:,} bytes.",
    500: "Internal error; the details are in the server log, never in the answer.",
}
DATA_ERRORS = (400, 401, 409, 413, 500)


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for these error codes, each a :class:`Problem`."""
    return {code: {"model": Problem, "description": ERRORS[code]} for code in codes}


def _pool(request: Request) -> StorePool:
    return request.app.state.pool


def _answers(request: Request) -> Answers:
    return request.app.state.answers


def _version(request: Request) -> StoreVersion:
    return store_version(_pool(request).path)


_json = work.to_json


def _json_response(body: bytes) -> Response:
    return Response(body, media_type="application/json")


# -- dashboard and service ------------------------------------------------------------------------


@router.get("/", include_in_schema=False)
def dashboard() -> FileResponse:
    from importlib.resources import files

    return FileResponse(str(files("tradetrace.api") / "static" / "index.html"))


@router.get("/health", tags=["service"], response_model=Health, responses=errors(413, 500))
def health() -> dict:
    return {"status": "ok", "version": __version__}


@router.get("/summary", tags=["service"], response_model=Summary, responses=errors(*DATA_ERRORS))
def summary(request: Request) -> Response:
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
        result["trade_flows"] = store.count(TRADE_FLOWS) if store.has_table(TRADE_FLOWS) else 0
        return _json_response(_json(result))


def _matched(store) -> int:
    if not store.has_table("matches"):
        return 0
    return store.to_arrow(store.table("matches").entity_id.nunique()).as_py()


# -- entities -------------------------------------------------------------------------------------


@router.get(
    "/entities",
    tags=["entities"],
    response_model=list[EntityHit],
    responses=errors(*DATA_ERRORS),
)
async def search(
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=Limits.query_chars, pattern=NO_NUL)],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> Response:
    """Entities by a name in any script, or by a tax id; best match first."""
    path, version = str(_pool(request).path), _version(request)
    key = ("search", version, q, limit)
    body = await _answers(request).outputs.get(key, work.search, path, version, q, limit)
    return _json_response(body)


@router.get(
    "/entities/{entity_id}",
    tags=["entities"],
    response_model=EntityDetail,
    responses=errors(*DATA_ERRORS, 404),
)
def entity(
    request: Request, entity_id: Annotated[str, Path(max_length=80, pattern=NO_NUL)]
) -> Response:
    """One entity: its spellings, identifiers, trade counts and sanctions matches.

    A retired id (merged into another entity) answers with its successor, saying so in
    ``redirected_from`` / ``redirect_reason`` and in a ``Content-Location`` header.
    """
    with _pool(request).store() as store:
        try:
            result = entity_detail(store, entity_id)
        except InputError as exc:  # the CLI's hint after ";" is for the command line
            raise NotFound(str(exc).split(";")[0]) from exc
    headers = _moved(request, result.entity_id) if result.redirected_from else None
    return Response(_json(result.to_json()), media_type="application/json", headers=headers)


def _moved(request: Request, entity_id: str) -> dict[str, str]:
    """``Content-Location``: this URL with the successor's id, for an answer reached
    through a retired id (the path is /<endpoint>/<id>)."""
    endpoint = request.url.path.split("/")[1]
    query = f"?{request.url.query}" if request.url.query else ""
    return {"Content-Location": f"/{endpoint}/{quote(entity_id, safe='')}{query}"}


# -- screening ------------------------------------------------------------------------------------


class ScreenName(BaseModel):
    """A name to screen, with what else is known of the party."""

    name: NameText = Field(description="the name, in any script")
    country: str | None = Field(
        default=None, pattern=r"^[A-Za-z]{2}$", description="ISO 3166 alpha-2 country"
    )
    schema_: SchemaText = Field(
        default="Company", alias="schema", description="Company, Person, Vessel ..."
    )
    identifiers: list[IdentifierText] = Field(
        default_factory=list, max_length=10, description="e.g. `inn:7743237789`"
    )


class ScreenRequest(BaseModel):
    names: list[ScreenName | NameText] = Field(
        min_length=1,
        max_length=Limits.batch_names,
        description="names to screen: a text, or an object with what else is known",
    )
    as_of: Annotated[dt.date | None, _day("as_of")] = Field(
        default=None, description="give each match's status on this day, YYYY-MM-DD"
    )
    threshold: float = Field(  # strict: not `true` as 1.0
        default=0.85, ge=0.5, le=1.0, strict=True, description="the score a match needs"
    )


@router.post(
    "/screen",
    tags=["screening"],
    response_model=ScreenAnswer,
    responses=errors(*DATA_ERRORS, 411),
)
async def screen(request: Request, body: ScreenRequest) -> Response:
    """Screen a batch of names against the loaded lists, with each match's status on ``as_of``.

    Each name's matches are kept per store version and threshold; a batch of names seen
    before is answered on the event loop, and one with new names matches them in a thread.
    """
    pool, version, kept = _pool(request), _version(request), _answers(request).names
    queries = [_screening_query(item) for item in body.names]
    keys = [(version, body.threshold, query) for query in queries]
    found = [kept.get(key) for key in keys]
    matches = [kept_matches for kept_matches in found if kept_matches is not None]
    if len(matches) < len(keys):
        matches = await run_in_threadpool(_match_new, pool, body.threshold, keys, found, kept)
    results = tuple(
        ScreenResult(name=q.name, country=q.country, matches=tuple(m.on(body.as_of) for m in ms))
        for q, ms in zip(queries, matches, strict=True)
    )
    answer = ScreenAnswer(as_of=body.as_of, threshold=body.threshold, results=results)
    return _json_response(_json(answer.to_json()))


def _screening_query(item: ScreenName | str):
    from tradetrace.screen.match import Query

    item = ScreenName(name=item) if isinstance(item, str) else item
    country = item.country.upper() if item.country else None
    return Query(item.name, country, item.schema_, tuple(item.identifiers))


def _match_new(
    pool: StorePool,
    threshold: float,
    keys: list[tuple],
    found: list[tuple[ScreenMatch, ...] | None],
    kept: LRU,
) -> list[tuple[ScreenMatch, ...]]:
    """Screen the names not kept yet (the index may take seconds to build the first time).

    Their matches are kept without a date: matching does not depend on it, and each
    request dates its own copies (``ScreenMatch.on``); kept matches are frozen, so shared.
    """
    from tradetrace.screen.results import screen_names

    index = _at_threshold(list_index(pool), threshold)
    new = [key for key, matches in zip(keys, found, strict=True) if matches is None]
    screened = screen_names(index, [key[-1] for key in new])
    fresh = {key: result.matches for key, result in zip(new, screened, strict=True)}
    for key, matches in fresh.items():
        kept.put(key, matches)
    pairs = zip(keys, found, strict=True)
    return [fresh[key] if matches is None else matches for key, matches in pairs]


_indexes: OrderedDict[StoreVersion, ListIndex] = OrderedDict()
_index_lock = threading.Lock()


def list_index(pool: StorePool) -> ListIndex:
    """The list index of the store's current version (building one takes seconds).

    Kept per process, not per app: it depends on the store file only. A new snapshot
    whose lists did not change gets the same index back (one hash query, see
    :mod:`tradetrace.screen.index_cache`); new lists load the index saved beside the live
    store, or build it once and save it there. The threshold is not part of it (see
    :func:`_at_threshold`), so a request with another threshold neither rebuilds it nor
    evicts it.
    """
    from tradetrace.screen.index_cache import cache_path, index_for_store

    version = store_version(pool.path)
    with _index_lock:
        index = _indexes.get(version)
        if index is None:
            with pool.store() as store:  # a snapshot: the index file goes beside the live store
                index = index_for_store(store, cache=cache_path(pool.live))
            _indexes[version] = index
            while len(_indexes) > 2:  # an old version of this store, or another store
                _indexes.popitem(last=False)
        _indexes.move_to_end(version)
        return index


def _at_threshold(index: ListIndex, threshold: float) -> ListIndex:
    """The same index matching at ``threshold``: a shallow copy with its own config.

    The threshold only prunes and filters in ``ListIndex.match``; the index itself (names,
    tokens, identifiers) does not depend on it, so the copy shares all of it.
    """
    if threshold == index.config.threshold:
        return index
    view = copy.copy(index)
    view.config = dataclasses.replace(index.config, threshold=threshold)
    return view


def warm_up(pool: StorePool, answers: Answers) -> None:
    """Start the workers and build the list index as the server starts, not on first use."""
    try:
        answers.warm_up(pool.path)
        list_index(pool)
    except TradetraceError:
        pass  # no lists loaded yet: /screen says so when asked
    except Exception:  # a warm-up must never take the server down
        log.exception("could not build the list index in advance")


# -- exposure, report, graph ----------------------------------------------------------------------

RoleQuery = Annotated[RoleName, Query()]
EventQuery = Annotated[
    list[Annotated[str, Field(max_length=80)]], Query(description="NAME=YYYY-MM-DD, repeatable")
]
# Checked in ``_options`` (for its message); the enum documents the choice.
CategoriesQuery = Annotated[
    str,
    Query(
        max_length=20,
        description="a built-in category map (a file path would read the server's files)",
        json_schema_extra={"enum": list(BUILT_IN_CATEGORIES)},
    ),
]
# ``:path`` so a name with a slash in it ("ООО «А/Б»") still reaches the endpoint.
TargetPath = Annotated[
    str,
    Path(
        description="an entity id, a tax id or a name in any script",
        max_length=Limits.query_chars,
        pattern=NO_NUL,
    ),
]


def _options(
    role: str, start: dt.date | None, end: dt.date | None, events: list[str], categories: str
) -> tuple:
    """The exposure options as plain values (for a worker, and as part of a kept answer's key)."""
    from tradetrace.analyse.exposure import parse_event

    if categories not in BUILT_IN_CATEGORIES:  # a file path would read the server's files
        raise InputError(f"categories must be one of {', '.join(BUILT_IN_CATEGORIES)}")
    if len(events) > 20:
        raise InputError("at most 20 events")
    return role, start, end, tuple(parse_event(e) for e in events), categories


async def _entity_id(request: Request, text: str) -> tuple[str, str | None]:
    """The entity a target designates (id, tax id or name), resolved once per store version,
    and why the id given was retired when it was a retired id (else None)."""
    text = text.strip()
    if not text or len(text) > Limits.query_chars:
        raise InputError(f"target must be 1 to {Limits.query_chars} characters")
    path, version = str(_pool(request).path), _version(request)
    key = ("target", version, text)
    return await _answers(request).targets.get(key, work.find_entity, path, version, text)


async def _exposure(
    request: Request, target: str, options: tuple
) -> tuple[str, str | None, ExposureResult, bytes]:
    """The target's entity id, why the id given was retired (or None), and its exposure as
    an object and as the JSON body (kept per entity: they do not say how it was reached)."""
    entity_id, retired = await _entity_id(request, target)
    path, version = str(_pool(request).path), _version(request)
    *values, categories = options
    result, body = await _answers(request).exposures.get(
        ("exposure", version, entity_id, options),
        work.exposure, path, version, entity_id, tuple(values), categories,
    )  # fmt: skip
    return entity_id, retired, result, body


@router.get(
    "/exposure/{target:path}",
    tags=["analysis"],
    response_model=ExposureResult,
    responses=errors(*DATA_ERRORS, 404),
)
async def exposure(
    request: Request,
    target: TargetPath,
    role: RoleQuery = "importer",
    start: FromDay = None,
    end: ToDay = None,
    event: EventQuery = [],  # noqa: B006 - FastAPI reads the default, never mutates it
    categories: CategoriesQuery = "automotive",
) -> Response:
    """The exposure JSON of ``tradetrace exposure --json`` (see docs/exposure.md)."""
    options = _options(role, start, end, event, categories)
    entity_id, retired, result, body = await _exposure(request, target, options)
    if retired is None:
        return _json_response(body)
    found = result.target.model_copy(
        update={"redirected_from": target.strip(), "redirect_reason": retired}
    )
    body = _json(result.model_copy(update={"target": found}).to_json())
    return Response(body, media_type="application/json", headers=_moved(request, entity_id))


REPORT_MEDIA = {
    "text/html": {"schema": {"type": "string"}},
    "application/pdf": {"schema": {"type": "string", "format": "binary"}},
    "text/markdown": {"schema": {"type": "string"}},
}


@router.get(
    "/report/{target:path}",
    tags=["analysis"],
    response_model=ExposureResult,
    responses={
        200: {"description": "The report; JSON when `format=json`.", "content": REPORT_MEDIA},
        **errors(*DATA_ERRORS, 404),
    },
)
async def report(
    request: Request,
    target: TargetPath,
    format: Literal["html", "pdf", "md", "json"] = "html",  # noqa: A002 - the public name
    role: RoleQuery = "importer",
    start: FromDay = None,
    end: ToDay = None,
    event: EventQuery = [],  # noqa: B006
    categories: CategoriesQuery = "automotive",
) -> Response:
    """The report, self-contained, as HTML, PDF, Markdown or JSON."""
    from tradetrace.report import MEDIA_TYPES

    options = _options(role, start, end, event, categories)
    entity_id, retired, result, _ = await _exposure(request, target, options)
    path, version = str(_pool(request).path), _version(request)
    key = ("report", version, entity_id, options, format)
    body = await _answers(request).outputs.get(key, work.report, path, version, result, format)
    headers = _moved(request, entity_id) if retired else {}
    if format in ("pdf", "md"):
        headers["Content-Disposition"] = f'attachment; filename="tradetrace-report.{format}"'
    return Response(body, media_type=MEDIA_TYPES[format], headers=headers)


GRAPH_MEDIA = {
    "graphml": "application/graphml+xml",
    "gexf": "application/gexf+xml",
    "ftm": "application/x-ndjson",
}


@router.get(
    "/graph/{target:path}",
    tags=["analysis"],
    response_model=Graph,
    responses={
        200: {
            "description": "The network; GraphML, GEXF or FollowTheMoney lines when asked.",
            "content": {media: {"schema": {"type": "string"}} for media in GRAPH_MEDIA.values()},
        },
        **errors(*DATA_ERRORS, 404),
    },
)
async def graph(
    request: Request,
    target: TargetPath,
    hops: Annotated[int, Query(ge=1, le=4)] = 1,
    format: Literal["json", "graphml", "gexf", "ftm"] = "json",  # noqa: A002
    role: Annotated[Literal["importer", "exporter", "any"], Query()] = "importer",
) -> Response:
    """The supplier network around a target, with paths to listed parties."""
    entity_id, retired = await _entity_id(request, target)
    path, version = str(_pool(request).path), _version(request)
    body = await _answers(request).outputs.get(
        ("graph", version, entity_id, hops, role, format),
        work.graph, path, version, entity_id, hops, role, format,
    )  # fmt: skip
    media = "application/json" if format == "json" else GRAPH_MEDIA[format]
    return Response(body, media_type=media, headers=_moved(request, entity_id) if retired else None)


# -- declarations ---------------------------------------------------------------------------------

DECLARATION_COLUMNS = (
    "declaration_id", "line_no", "date", "importer_name", "importer_id", "importer_entity_id",
    "exporter_name", "exporter_entity_id", "origin_country", "dispatch_country", "hs_code", "hs6",
    "description", "value", "currency", "value_usd", "value_usd_source", "source_file",
    "source_row",
)  # fmt: skip
Country = Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$")]
EntityQuery = Annotated[str | None, Query(max_length=80, pattern=NO_NUL)]


@router.get(
    "/declarations",
    tags=["declarations"],
    response_model=Declarations,
    responses=errors(*DATA_ERRORS),
)
def declarations(
    request: Request,
    entity: EntityQuery = None,
    importer: EntityQuery = None,
    exporter: EntityQuery = None,
    origin: Country = None,
    dispatch: Country = None,
    hs: Annotated[str | None, Query(pattern=r"^\d{2,10}$")] = None,
    start: FromDay = None,
    end: ToDay = None,
    declaration_id: Annotated[
        list[Annotated[str, Field(max_length=80, pattern=NO_NUL)]],
        Query(max_length=Limits.declaration_ids),
    ] = [],  # noqa: B006
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=Limits.page_size)] = 50,
) -> Response:
    """Declaration lines, filtered, oldest first; ``total`` counts every matching line."""
    with _pool(request).store() as store:
        d = store.table("resolved_declarations")
        # a retired entity id filters by its successor
        entity, importer, exporter = (
            (successor(store, eid) or eid) if eid else eid for eid in (entity, importer, exporter)
        )
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
    page_of = {"total": total, "page": page, "page_size": page_size, "rows": rows}
    return _json_response(_json(page_of))


# -- alerts ---------------------------------------------------------------------------------------

SinceDay = Annotated[
    dt.date | None,
    _day("since"),
    Query(description="every alert seen since the start of this day (UTC), YYYY-MM-DD"),
]
RunQuery = Annotated[
    int | None,
    Query(ge=1, le=2**53, description="the alerts of this screening run (ignored with `since`)"),
]


@router.get(
    "/alerts",
    tags=["screening"],
    response_model=list[Alert],
    responses=errors(*DATA_ERRORS),
)
def alerts(request: Request, since: SinceDay = None, run: RunQuery = None) -> Response:
    """What changed on the lists for the store's parties, with their trade: the alerts of
    ``tradetrace alerts --json`` (by default the latest screening run's; ``since``: every
    one seen since that day began, UTC; ``run``: that run's, an unknown run none)."""
    start = None if since is None else dt.datetime.combine(since, dt.time.min)
    with _pool(request).store() as store:
        found = alerts_of(store, since=start, run_id=run)
    return _json_response(_json([a.to_json() for a in found]))


# -- official statistics --------------------------------------------------------------------------

_MONTH = r"\d{4}-(0[1-9]|1[0-2])"
Partners = Annotated[
    str,
    Query(
        max_length=200, pattern=r"^[A-Za-z]{2}(,[A-Za-z]{2})*$",
        description="destinations, ISO2, comma-separated",
    ),
]  # fmt: skip
WindowQuery = Annotated[
    str,
    Query(max_length=40, pattern=f"^{_MONTH}:{_MONTH}$", description="months: YYYY-MM:YYYY-MM"),
]
AfterQuery = Annotated[
    str,
    Query(
        max_length=40,
        pattern=f"^{_MONTH}:({_MONTH})?$",
        description="months: YYYY-MM:[YYYY-MM] (open: the latest)",
    ),
]


def _codes(text: str | None) -> list[str] | None:
    return [c.strip().upper() for c in text.split(",") if c.strip()] if text else None


@router.get(
    "/flows/diversion",
    tags=["statistics"],
    response_model=DiversionResult,
    responses=errors(*DATA_ERRORS),
)
def flows_diversion(
    request: Request,
    partners: Partners = "KZ,KG,AM,GE,UZ",
    baseline: WindowQuery = "2019-01:2021-12",
    after: AfterQuery = "2022-03:",
    reporters: Annotated[
        str | None,
        Query(
            max_length=400,
            pattern=r"^[A-Za-z0-9_:]+(,[A-Za-z0-9_:]+)*$",
            description="reporters (ISO2 or aggregate codes), comma-separated",
        ),
    ] = None,
) -> Response:
    """Exports to Russia's neighbours against their trend-and-season baseline: the JSON of
    ``tradetrace flows diversion --json`` (docs/stats.md)."""
    windows = parse_window(baseline, "baseline"), parse_window(after, "after")
    with _pool(request).store() as store:
        result = diversion(store, _codes(partners) or [], *windows, _codes(reporters))
    return _json_response(_json(result.to_json()))


@router.get(
    "/flows/series",
    tags=["statistics"],
    response_model=FlowSeries,
    responses=errors(*DATA_ERRORS),
)
def flows_series(
    request: Request,
    reporter: Annotated[
        str,
        Query(
            max_length=40,
            pattern=r"^[A-Za-z0-9_]+$",
            description="the reporter: ISO2, or an aggregate's code (EU27_2020)",
        ),
    ],
    partner: Annotated[str, Query(pattern="^[A-Za-z]{2}$", description="destination, ISO2")],
    baseline: WindowQuery = "2019-01:2021-12",
    after: AfterQuery = "2022-03:",
) -> Response:
    """One pair month by month against its trend-and-season baseline, for its chart: the
    JSON of ``tradetrace flows series --json`` (docs/stats.md)."""
    windows = parse_window(baseline, "baseline"), parse_window(after, "after")
    with _pool(request).store() as store:
        result = series(store, reporter, partner.upper(), *windows)
    return _json_response(_json(result.to_json()))


@router.get(
    "/flows/mirror",
    tags=["statistics"],
    response_model=MirrorResult,
    responses=errors(*DATA_ERRORS),
)
def flows_mirror(
    request: Request,
    country: Annotated[
        str, Query(pattern="^[A-Za-z]{2}$", description="ISO2 of the country mirrored")
    ] = "RU",
    by: Annotated[
        str,
        Query(
            pattern="^(partner|year)(,(partner|year))?$",
            description="partner, year or partner,year",
        ),
    ] = "partner,year",
) -> Response:
    """What partners report exporting to a country beside what it reports importing: the
    JSON of ``tradetrace flows mirror --json`` (docs/stats.md)."""
    with _pool(request).store() as store:
        result = mirror(store, country.upper(), [b.strip() for b in by.split(",")])
    return _json_response(_json(result.to_json()))
