"""The costly computations, as functions the server runs in its worker processes.

An exposure is some fifty small queries with Python between them: 100-500 ms holding
the GIL. Run in the serving process, a few of them at once starve the event loop (every
quick answer waits for the GIL) and leave the second core idle. In worker processes they
use every core and the server stays responsive while they run.

Each function takes the store path and version and returns plain data (or raises a
:class:`~tradetrace.errors.TradetraceError`, which reaches the client as a 400/409). Each
worker keeps one read-only connection, reopened when the store's version changes.
"""

from __future__ import annotations

import json
import os
import threading
import time
from typing import TYPE_CHECKING, Any

from tradetrace.store import DuckDBStore

if TYPE_CHECKING:
    from tradetrace.analyse.results import ExposureResult

__all__ = ["exposure", "find_entity", "graph", "ready", "report", "search", "watch_parent"]

_open: dict[str, tuple[tuple, DuckDBStore]] = {}


def _store(path: str, version: tuple) -> DuckDBStore:
    kept = _open.get(path)
    if kept is not None and kept[0] == version:
        return kept[1]
    for other in list(_open):  # an older version or an older snapshot: let it go
        _open.pop(other)[1].close()
    store = DuckDBStore(path, read_only=True)
    _open[path] = (version, store)
    return store


def to_json(payload: Any) -> bytes:
    """The JSON body, encoded once (dates and other scalars as text, as the CLI prints them)."""
    return json.dumps(
        payload, default=str, ensure_ascii=False, allow_nan=False, separators=(",", ":")
    ).encode("utf-8")


def watch_parent(parent: int) -> None:
    """End this worker when the server is gone, however it went.

    The pool's own shutdown needs the server to exit cleanly; uvicorn re-raises SIGTERM
    after its graceful shutdown, and a server can be killed, so a worker also watches.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="tradetrace-watch-parent", daemon=True).start()


def ready(path: str, version: tuple) -> bool:
    """Import what the computations need and open the store (a second or two each), so
    that a new worker's first real task is not the one that pays for it."""
    import tradetrace.analyse.exposure  # noqa: F401
    import tradetrace.analyse.graph  # noqa: F401
    import tradetrace.report  # noqa: F401

    _store(path, version)
    return True


def find_entity(path: str, version: tuple, text: str) -> tuple[str, str | None]:
    """The entity id a target designates (an entity id, a tax id or a name), and the
    reason its id was retired when the text was a retired id (else None)."""
    from tradetrace.analyse.target import find_target

    found = find_target(_store(path, version), text)
    return found.entity_id, found.redirect_reason


def search(path: str, version: tuple, q: str, limit: int) -> bytes:
    from tradetrace.resolve.search import search_entities

    store = _store(path, version)
    return to_json([hit.to_json() for hit in search_entities(store, q, limit)])


def exposure(
    path: str, version: tuple, entity_id: str, options: tuple, categories: str
) -> tuple[ExposureResult, bytes]:
    """The exposure and its JSON; ``options`` is (role, start, end, events)."""
    from tradetrace.analyse.categories import load_category_map
    from tradetrace.analyse.exposure import ExposureOptions
    from tradetrace.analyse.exposure import exposure as compute

    role, start, end, events = options
    chosen = ExposureOptions(role, start, end, events, categories=load_category_map(categories))
    result = compute(_store(path, version), entity_id, chosen)
    return result, to_json(result.to_json())


def report(path: str, version: tuple, result: ExposureResult, fmt: str) -> bytes:
    from tradetrace.report import render_exposure

    return render_exposure(_store(path, version), result, fmt)  # unpickled: our own copy


def graph(path: str, version: tuple, entity_id: str, hops: int, role: str, fmt: str) -> bytes:
    from tradetrace.analyse.graph import export_graph, supplier_graph

    store = _store(path, version)
    found = supplier_graph(store, entity_id, hops=hops, role=role)
    if fmt == "json":
        return to_json(found.to_json())
    return export_graph(store, found, fmt).encode("utf-8")
