"""The HTTP service: a read-only REST API over one store, and the dashboard that uses it.

``create_app(db)`` builds the FastAPI application; ``tradetrace serve`` runs it with
uvicorn. Guarantees (see ``docs/api.md``):

* read-only: every connection to the store is opened read-only; no endpoint writes;
* an API key is required whenever the server listens beyond loopback (``serve`` refuses
  to start without one) and, once set, on every data endpoint (``X-API-Key`` header or
  ``Authorization: Bearer``), compared in constant time and never logged;
* bounded input: request bodies, batch sizes, name lengths, id lists and page sizes
  have limits, and breaking one is a 400/413 with a one-line message;
* no stack traces leave the server: user mistakes are 400/404 with the same one-line
  message the CLI prints, anything else a bare 500;
* CORS is closed (no cross-origin headers are sent) unless origins are configured.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Iterator
from contextlib import asynccontextmanager, contextmanager
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from tradetrace import __version__
from tradetrace.errors import InputError, StoreError, TradetraceError
from tradetrace.store import Store

__all__ = ["Limits", "StorePool", "create_app"]

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
    """One read-only store per worker thread: DuckDB connections are not shared across threads."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._local = threading.local()
        self._opened: list[Store] = []
        self._lock = threading.Lock()

    @contextmanager
    def store(self) -> Iterator[Store]:
        store = getattr(self._local, "store", None)
        if store is None:
            store = Store(self.path, read_only=True)
            self._local.store = store
            with self._lock:
                self._opened.append(store)
        yield store

    def close(self) -> None:
        with self._lock:
            for store in self._opened:
                store.close()
            self._opened.clear()


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

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        yield
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
    app.state.api_key = api_key
    if cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=cors_origins, allow_methods=["GET", "POST"]
        )
    _install_guards(app)
    _install_errors(app)
    from tradetrace.api.routes import router

    app.include_router(router)
    static = files("tradetrace.api") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    return app


_PUBLIC = ("/", "/static/", "/openapi.json", "/health", "/favicon.ico")


def _install_guards(app: FastAPI) -> None:
    @app.middleware("http")
    async def guard(request: Request, call_next):
        length = request.headers.get("content-length")
        if request.method in ("POST", "PUT", "PATCH") and length is None:
            return _error(411, "send a Content-Length header")
        if length and (not length.isdigit() or int(length) > Limits.body_bytes):
            return _error(413, f"request body over {Limits.body_bytes:,} bytes")
        key = app.state.api_key
        path = request.url.path
        public = path == "/" or any(path.startswith(p) for p in _PUBLIC[1:])
        if key and not public and not _authorised(request, key):
            return _error(401, "missing or wrong API key (send it as X-API-Key)")
        response = await call_next(request)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'",
        )
        return response


def _authorised(request: Request, key: str) -> bool:
    given = request.headers.get("x-api-key") or ""
    auth = request.headers.get("authorization") or ""
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
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        return _error(400, f"{where}: {first.get('msg', 'invalid request')}".strip(": "))

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _error(500, "internal error")


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"detail": message.splitlines()[0] if message else ""}, status_code=status)
