"""The HTTP service: a read-only REST API over one store, and the dashboard that uses it.

``create_app(db)`` builds the FastAPI application; ``tradetrace serve`` runs it with
uvicorn. Guarantees (see ``docs/api.md``):

* read-only: every connection to the store is opened read-only; no endpoint writes;
* an API key is required whenever the server listens beyond loopback (``serve`` refuses
  to start without one) and, once set, on every data endpoint (``X-API-Key`` header or
  ``Authorization: Bearer``), compared in constant time and never logged;
* bounded input: request bodies, batch sizes, name lengths, id lists and page sizes
  have limits, and breaking one is a 400/411/413 with a one-line message;
* the OpenAPI spec at ``/openapi.json`` documents every answer, errors included
  (``tests/test_api_schema.py`` checks the app against it);
* no stack traces leave the server: user mistakes are 400/404 with the same one-line
  message the CLI prints, anything else a bare 500;
* CORS is closed (no cross-origin headers are sent) unless origins are configured.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from http import HTTPStatus
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tradetrace.api.cache import Answers
from tradetrace.api.snapshots import Snapshots
from tradetrace.errors import InputError, StoreError, TradetraceError
from tradetrace.store import DuckDBStore
from tradetrace.version import __version__

__all__ = ["Limits", "StorePool", "create_app", "serve"]

log = logging.getLogger("tradetrace.api")


class Limits:
    """Request limits: generous for real use, small enough that one client cannot hog it."""

    body_bytes = 1_000_000
    batch_names = 1_000
    name_chars = 300
    query_chars = 200
    page_size = 500
    declaration_ids = 500


class NotFound(TradetraceError):
    """A well-formed request for something the store does not have (404)."""


class StorePool:
    """Read-only stores over the current snapshot, one per worker thread.

    DuckDB connections are not shared across threads, and the server never opens the live
    file (that would block every writer): it reads the snapshot :class:`Snapshots` keeps
    (``path`` is the snapshot's path, so caches keyed by it follow each new snapshot).
    ``close`` starts a new generation and drops the snapshots, so a thread that kept a
    store from before (an app stopped and started again) opens a fresh one.
    """

    def __init__(self, live: Path):
        self.live = Path(live)
        self._local = threading.local()
        self._opened: list[DuckDBStore] = []
        self._lock = threading.Lock()
        self._generation = 0
        self._snapshots: Snapshots | None = None

    @property
    def path(self) -> Path:
        with self._lock:
            if self._snapshots is None:
                self._snapshots = Snapshots(self.live)
            snapshots = self._snapshots
        return snapshots.refresh()

    @contextmanager
    def store(self) -> Iterator[DuckDBStore]:
        path = self.path
        kept = getattr(self._local, "kept", None)
        if kept is None or kept[0] != self._generation or kept[1] != path:
            with self._lock:
                if kept is not None and kept[2] in self._opened:
                    self._opened.remove(kept[2])
                    kept[2].close()
                store = DuckDBStore(path, read_only=True)
                self._opened.append(store)
                kept = self._local.kept = (self._generation, path, store)
        yield kept[2]

    def close(self) -> None:
        with self._lock:
            self._generation += 1
            for store in self._opened:
                store.close()
            self._opened.clear()
            if self._snapshots is not None:
                self._snapshots.close()
                self._snapshots = None


def create_app(
    db: Path | str,
    api_key: str | None = None,
    cors_origins: list[str] | None = None,
) -> FastAPI:
    """The application over the store at ``db`` (which must exist)."""
    db = Path(db)
    if not db.exists():
        raise StoreError(f"{db}: no store here yet; run `tradetrace ingest` first")
    pool = StorePool(db)
    answers = Answers()

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        from tradetrace.api.routes import warm_up

        warming = threading.Thread(target=warm_up, args=(pool, answers), name="tradetrace-warm")
        warming.start()
        yield
        warming.join()  # it reads the store: let it finish before the connections close
        answers.clear()
        pool.close()

    app = FastAPI(
        lifespan=lifespan,
        title="tradetrace",
        version=__version__,
        description="Read-only API over a tradetrace store: entities, screening, exposure, "
        "declarations, supplier graph and reports.",
        docs_url=None,  # the Swagger/Redoc pages load scripts from a CDN; the spec is enough
        redoc_url=None,
    )
    app.state.pool = pool
    app.state.answers = answers
    app.state.api_key = api_key
    app.openapi = _documented(app, keyed=bool(api_key))  # type: ignore[method-assign]
    app.add_middleware(Guard, api_key=api_key)
    if cors_origins:  # outside the guard: it answers preflights, which carry no key
        app.add_middleware(
            CORSMiddleware,
            allow_origins=cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "X-API-Key", "Authorization"],
        )
    _install_errors(app)
    from tradetrace.api.routes import router

    app.include_router(router)
    static = files("tradetrace.api") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    return app


_PUBLIC = ("/", "/static/", "/openapi.json", "/health", "/favicon.ico")
_DIGITS = re.compile(r"[0-9]{1,18}")


def _is_public(path: str) -> bool:
    return path == "/" or any(path.startswith(p) for p in _PUBLIC[1:])


def _documented(app: FastAPI, keyed: bool) -> Callable[[], dict]:
    """The spec as FastAPI writes it, made true to this server.

    Invalid input is a 400 here (see ``_install_errors``), never FastAPI's 422, so the
    422 answers and their schemas go; 401 and the key's security schemes are documented
    only when the server has a key.
    """

    def openapi() -> dict:
        spec = app.openapi_schema
        if spec is None:
            spec = FastAPI.openapi(app)  # also kept as app.openapi_schema
            for path, operations in spec["paths"].items():
                for operation in operations.values():
                    operation["responses"].pop("422", None)
                    if not keyed:
                        operation["responses"].pop("401", None)
                    elif not _is_public(path):
                        operation["security"] = [{"APIKey": []}, {"Bearer": []}]
            components = spec.setdefault("components", {})
            for unused in ("HTTPValidationError", "ValidationError"):
                components.get("schemas", {}).pop(unused, None)
            if keyed:
                components["securitySchemes"] = {
                    "APIKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                    "Bearer": {"type": "http", "scheme": "bearer"},
                }
        return spec

    return openapi


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'"


class Guard:
    """Body limits, the API key, and the browser-hardening headers on every answer.

    A plain ASGI middleware: Starlette's ``BaseHTTPMiddleware`` runs each request in an
    extra task with memory streams, a cost every request paid under load.
    """

    def __init__(self, app: ASGIApp, api_key: str | None):
        self.app = app
        self.api_key = api_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_hardened(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                headers.setdefault("Content-Security-Policy", CSP)
            await send(message)

        refusal = self._refusal(scope)
        if refusal is not None:
            await refusal(scope, receive, send_hardened)
        else:
            await self.app(scope, receive, send_hardened)

    def _refusal(self, scope: Scope) -> JSONResponse | None:
        headers = Headers(scope=scope)
        length = headers.get("content-length")
        if scope["method"] in ("POST", "PUT", "PATCH") and length is None:
            return _error(411, "send a Content-Length header")
        if length is not None and not _DIGITS.fullmatch(length):  # not int(): "²".isdigit()
            return _error(400, "Content-Length must be a number of bytes")
        if length and int(length) > Limits.body_bytes:
            return _error(413, f"request body over {Limits.body_bytes:,} bytes")
        if (
            self.api_key
            and not _is_public(scope["path"])
            and not _authorised(headers, self.api_key)
        ):
            return _error(401, "missing or wrong API key (send it as X-API-Key)")
        return None


def _authorised(headers: Headers, key: str) -> bool:
    given = headers.get("x-api-key") or ""
    auth = headers.get("authorization") or ""
    if not given and auth.lower().startswith("bearer "):
        given = auth[7:].strip()
    return secrets.compare_digest(given.encode(), key.encode())


def _install_errors(app: FastAPI) -> None:
    from fastapi.exceptions import RequestValidationError

    @app.exception_handler(NotFound)
    async def not_found(_: Request, exc: NotFound):
        return _error(404, str(exc))

    @app.exception_handler(InputError)
    async def bad_input(_: Request, exc: InputError):
        return _error(400, str(exc))

    @app.exception_handler(StoreError)
    async def store_state(_: Request, exc: StoreError):
        return _error(409, str(exc))

    @app.exception_handler(TradetraceError)
    async def other(_: Request, exc: TradetraceError):
        return _error(400, str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError):
        return _error(400, _validation_message(exc.errors()))

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _error(500, "internal error")


_WRONG_KIND = ("model_type", "model_attributes_type", "dict_type")
_FIELD = re.compile(r"[a-z_][a-z0-9_]*")


def _validation_message(errors: Sequence[dict]) -> str:
    """The most telling error, as ``where: what``.

    A name may be a string or an object, so a bad string also fails as "not an object";
    that complaint is dropped when there is another. The location keeps field names and
    positions, not pydantic's names for the alternatives it tried.
    """
    if not errors:
        return "invalid request"
    first = min(errors, key=lambda e: e.get("type") in _WRONG_KIND)
    if first.get("type") == "json_invalid":
        return "the body is not valid JSON"
    loc = first.get("loc", ())
    where = ".".join(str(p) for p in loc if isinstance(p, int) or _FIELD.fullmatch(str(p)))
    where = where.removeprefix("body.").removeprefix("body")
    return f"{where}: {first.get('msg', 'invalid')}" if where else first.get("msg", "invalid")


def _error(status: int, message: str) -> JSONResponse:
    """The one error shape: ``{"detail": "<one line>"}``."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    detail = lines[0] if lines else HTTPStatus(status).phrase
    return JSONResponse({"detail": detail}, status_code=status)


def serve(
    db: Path | str,
    host: str = "127.0.0.1",
    port: int = 8000,
    api_key: str | None = None,
    cors_origins: Sequence[str] | None = None,
    backend: str = "duckdb",
) -> None:
    """Serve the API and the dashboard over ``db`` until interrupted (``tradetrace serve``
    and ``tt.serve``): beyond loopback only with an API key of 16 characters or more."""
    import ipaddress
    import sys

    import uvicorn

    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError as exc:
        raise InputError(f"--host {host!r}: not an IP address or localhost") from exc
    if not loopback and not api_key:
        raise InputError(
            f"--host {host}: listening beyond loopback needs an API key "
            "(--api-key or TRADETRACE_API_KEY)"
        )
    if api_key is not None and len(api_key) < 16:
        raise InputError("--api-key: use at least 16 characters")
    if backend != "duckdb":
        raise StoreError("serve reads a DuckDB store; the API and dashboard do not run on Spark")
    application = create_app(db, api_key, list(cors_origins) if cors_origins else None)
    print(f"dashboard: http://{host}:{port}/  (API spec: /openapi.json)", file=sys.stderr)
    uvicorn.run(application, host=host, port=port, log_level="warning", access_log=False)
