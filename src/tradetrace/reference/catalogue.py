"""Reference data next to a store: copied or downloaded files, and the tables made from them.

``tradetrace data import DIR`` and ``tradetrace data update`` put the files in
``<store>.reference/`` (with ``index.json`` recording each file's origin and
sha256) and load what the pipeline joins against into the store: the HS
nomenclature (``ref_hs``), its sections (``ref_hs_sections``), the CHPL list
(``ref_chpl``) and Russia's "unfriendly" countries (``ref_ru_unfriendly``). Sanctions
files stay as files until ``tradetrace lists load``.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from tradetrace.errors import InputError, StoreError
from tradetrace.reference.chpl import chpl_table
from tradetrace.reference.country_groups import UNFRIENDLY_TABLE, load_unfriendly
from tradetrace.reference.hs import load_nomenclature, load_sections
from tradetrace.reference.sources import (
    DownloadError,
    FoundSource,
    download_sources,
    find_sources,
    import_sources,
)
from tradetrace.store import Store

HS_EDITIONS = {"hs2022": "HS2022", "hs2017": "HS2017"}


def reference_dir(store: Store) -> Path:
    if not isinstance(store.path, Path):  # a Spark warehouse: no store file to sit beside
        raise StoreError(f"{store.path}: reference data sits beside a DuckDB store file")
    return store.path.parent / f"{store.path.stem}.reference"


def import_reference(store: Store, directory: Path) -> list[FoundSource]:
    """Copy the known files of ``directory`` and (re)load the reference tables."""
    try:
        import_sources(directory, reference_dir(store))
    except (FileNotFoundError, ValueError) as exc:
        raise InputError(str(exc)) from exc
    return load_reference_tables(store)


def update_reference(store: Store, keys: list[str] | None = None) -> list[FoundSource]:
    """Download the official files, then reload the reference tables."""
    try:
        download_sources(reference_dir(store), keys)
    except (DownloadError, ValueError) as exc:
        raise InputError(str(exc)) from exc
    except OSError as exc:  # writing the download, not fetching it
        raise InputError(f"{reference_dir(store)}: cannot store the download ({exc})") from exc
    return load_reference_tables(store)


def load_reference_tables(store: Store) -> list[FoundSource]:
    """Build the reference tables from the stored files."""
    found = find_sources(reference_dir(store))
    by_key = {f.source.key: f for f in found}
    editions = [
        load_nomenclature(by_key[key].path, edition)
        for key, edition in HS_EDITIONS.items()
        if key in by_key
    ]
    try:
        if editions:
            store.replace_table("ref_hs", pa.concat_tables(editions))
        if "hs_sections" in by_key:
            store.replace_table("ref_hs_sections", load_sections(by_key["hs_sections"].path))
        if "ru_unfriendly" in by_key:
            store.replace_table(UNFRIENDLY_TABLE, load_unfriendly(by_key["ru_unfriendly"].path))
    except ValueError as exc:
        raise InputError(str(exc)) from exc
    store.replace_table("ref_chpl", chpl_table())
    return found
