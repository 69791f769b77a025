"""Fetch the lists from their publishers and load the ones that changed (``watch --update``).

The lists are downloaded as ``data update`` downloads them (into ``<store>.reference/``,
each file with its sha256 in ``index.json``), with the side files each one is read with
(OFAC's aliases, addresses and remarks). A list is loaded again only when its file or
one of its side files differs from the one downloaded before, or when no file of it was
ever loaded into the store; so an unattended daily run costs a download and, most days,
nothing else.

``mirror`` serves the same files from elsewhere (an internal mirror, an air-gapped copy,
a test server): each file is fetched from ``{mirror}/{the last segment of its address}``.
"""

from __future__ import annotations

import http.client
from collections.abc import Sequence
from pathlib import Path

from tradetrace.errors import InputError
from tradetrace.reference.catalogue import reference_dir
from tradetrace.reference.sources import (
    DownloadError,
    Fetch,
    FoundSource,
    download_sources,
    failure_reason,
    read_index,
    urllib_fetch,
    write_index,
)
from tradetrace.screen.lists.load import load_lists
from tradetrace.store import Store
from tradetrace.store.catalogue import LIST_ENTRIES

__all__ = ["COMPANIONS", "WATCHED", "mirrored", "update_lists"]

#: The list files ``watch --update`` fetches by default (source keys of the catalogue).
WATCHED = ("ofac_sdn", "ofac_cons_prim", "uk_ofsi_conlist", "un_consolidated", "eu_fsf")
#: The side files read with a list file (see ``load_ofac_csv_beside``).
COMPANIONS = {
    "ofac_sdn": ("ofac_alt", "ofac_add", "ofac_comments"),
    "ofac_cons_prim": ("ofac_cons_alt", "ofac_cons_add", "ofac_cons_comments"),
}


def mirrored(mirror: str, fetch: Fetch = urllib_fetch) -> Fetch:
    """A fetch that takes each file from ``mirror`` instead of its publisher."""
    base = mirror.rstrip("/")

    def fetch_from_mirror(url: str, path: Path) -> None:
        address = f"{base}/{url.split('?', 1)[0].rsplit('/', 1)[-1]}"
        try:
            fetch(address, path)
        except (OSError, http.client.HTTPException) as exc:  # say it was the mirror that failed
            raise OSError(f"from the mirror {address}: {failure_reason(exc)}") from exc

    return fetch_from_mirror


def update_lists(
    store: Store,
    keys: Sequence[str] | None = None,
    mirror: str | None = None,
    fetch: Fetch = urllib_fetch,
) -> list[dict]:
    """Download ``keys`` (default :data:`WATCHED`) and load those that changed; the
    summary rows of ``lists load`` for what was loaded (none when nothing changed)."""
    keys = list(keys or WATCHED)
    wanted = [k for key in keys for k in (key, *COMPANIONS.get(key, ()))]
    dest = reference_dir(store)
    fetcher = mirrored(mirror, fetch) if mirror else fetch
    try:
        before = read_index(dest)
        try:
            found = download_sources(dest, wanted, fetch=fetcher)
        except BaseException:
            _forget_unloaded(dest, before)
            raise
    except (DownloadError, ValueError) as exc:
        raise InputError(str(exc)) from exc
    except OSError as exc:  # writing the download, not fetching it
        raise InputError(f"{dest}: cannot store the download ({exc})") from exc
    by_key = {f.source.key: f for f in found}
    changed = {k for k, f in by_key.items() if before.get(k, {}).get("sha256") != f.sha256}
    loaded = _loaded_files(store)
    paths = [
        by_key[key].path
        for key in keys
        if key in by_key
        and (changed & {key, *COMPANIONS.get(key, ())} or not _ever_loaded(by_key[key], loaded))
    ]
    try:
        return load_lists(store, paths) if paths else []
    except BaseException:
        _forget_unloaded(dest, before)
        raise


def _loaded_files(store: Store) -> list[Path]:
    if not store.has_table(LIST_ENTRIES):
        return []
    files = store.table(LIST_ENTRIES).select("source_file").distinct()
    return [Path(f) for f in store.to_arrow(files)["source_file"].to_pylist() if f]


def _ever_loaded(found: FoundSource, loaded: list[Path]) -> bool:
    """Whether a file of this source (any day's download) was ever loaded into the store:
    one that was not (downloaded by `data update` only) is loaded even when unchanged."""
    name = found.source.pattern.rsplit("/", 1)[-1]
    return any(path.match(name) for path in loaded)


def _forget_unloaded(dest: Path, before: dict[str, dict]) -> None:
    """After a failed run, drop from the index the files that changed but were not loaded:
    otherwise the next run would find them unchanged and never load them."""
    index = read_index(dest)
    kept = {k: e for k, e in index.items() if before.get(k, {}).get("sha256") == e["sha256"]}
    if kept != index:
        write_index(dest, kept)
