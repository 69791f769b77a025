"""Fetch the lists from their publishers and load the ones that changed (``watch --update``).

The lists are downloaded as ``data update`` downloads them (into ``<store>.reference/``,
each file with its sha256 in ``index.json``), with the side files each one is read with
(OFAC's aliases, addresses and remarks). A list is loaded again only when its file or
one of its side files differs from the one downloaded before, so an unattended daily
run costs a download and, most days, nothing else.

``mirror`` serves the same files from elsewhere (an internal mirror, an air-gapped copy,
a test server): each file is fetched from ``{mirror}/{the last segment of its address}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tradetrace.errors import InputError
from tradetrace.reference.catalogue import reference_dir
from tradetrace.reference.sources import (
    DownloadError,
    Fetch,
    download_sources,
    read_index,
    urllib_fetch,
)
from tradetrace.screen.lists.load import load_lists
from tradetrace.store import Store

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
        fetch(f"{base}/{url.split('?', 1)[0].rsplit('/', 1)[-1]}", path)

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
    try:
        before = read_index(dest)
        found = download_sources(dest, wanted, fetch=mirrored(mirror, fetch) if mirror else fetch)
    except (DownloadError, ValueError) as exc:
        raise InputError(str(exc)) from exc
    except OSError as exc:  # writing the download, not fetching it
        raise InputError(f"{dest}: cannot store the download ({exc})") from exc
    by_key = {f.source.key: f for f in found}
    changed = {k for k, f in by_key.items() if before.get(k, {}).get("sha256") != f.sha256}
    paths = [
        by_key[key].path
        for key in keys
        if key in by_key and changed & {key, *COMPANIONS.get(key, ())}
    ]
    return load_lists(store, paths) if paths else []
