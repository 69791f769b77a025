"""Recognise a sanctions-list file, run its loader, and keep every version in the store.

``list_entries`` holds every loaded version of every list (so ``lists diff`` can compare
them); the view ``current_list_entries`` shows the newest version of each list, which is
what screening uses. Loading the same list version again replaces it.
"""

from __future__ import annotations

import datetime as dt
import gzip
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from tradetrace.errors import InputError
from tradetrace.resolve.names import script_of
from tradetrace.screen.lists.model import ListEntry, entries_table
from tradetrace.store import Store

LOADERS = (
    "ofac_sdn", "ofac_cons", "ofac_advanced", "un", "uk_ofsi", "uk_sanctions_list", "eu_xml",
    "eu_csv", "eu_pakote", "opensanctions",
)  # fmt: skip


def _head(path: Path, size: int = 65_536) -> str:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            return handle.read(size).decode("utf-8", errors="replace")
    except (OSError, EOFError, zlib.error) as exc:  # zlib.error: a corrupt .gz
        raise InputError(f"{path}: cannot read ({exc})") from exc


def detect(path: Path) -> str:
    """The loader for a file (or the UK Sanctions List folder), from its name and first bytes."""
    if path.is_dir():
        if (path / "subjects.csv").exists():
            return "uk_sanctions_list"
        raise InputError(f"{path}: a folder, but not the UK Sanctions List tables (subjects.csv)")
    name = path.name.lower()
    head = _head(path)
    stripped = head.lstrip("\ufeff \r\n\t")
    if name.startswith("cons_prim"):
        return "ofac_cons"
    if (
        name.startswith("sdn")
        and ".csv" in name
        and not name.startswith(("sdn_comments", "sdn_first_seen"))
    ):
        return "ofac_sdn"  # fmt: skip
    if stripped.startswith("<") or name.endswith((".xml", ".xml.gz")):
        if "CONSOLIDATED_LIST" in head:
            return "un"
        if "DistinctParty" in head or "ReferenceValueSets" in head or "sdn_advanced" in name:
            return "ofac_advanced"
        if "sanctionEntity" in head or "<export" in head:
            return "eu_xml"
    if "Group ID" in head and "Name 6" in head:
        return "uk_ofsi"
    if "Entity_LogicalId" in head:
        return "eu_csv"
    if stripped.startswith("{"):
        if '"metadata"' in head[:2000] and '"entities"' in head:
            return "eu_pakote"
        if '"schema"' in head or '"op"' in head:
            return "opensanctions"
    raise InputError(
        f"{path}: not a sanctions list format tradetrace knows; use --list with one of "
        f"{', '.join(LOADERS)}"
    )


def _sibling(path: Path, *prefixes: str) -> Path | None:
    found = sorted(p for prefix in prefixes for p in path.parent.glob(f"{prefix}*") if p.is_file())
    return found[-1] if found else None


def _ofac(path: Path, list_name: str) -> Iterator[ListEntry]:
    from tradetrace.screen.lists.ofac import load_ofac_csv

    cons = list_name == "ofac_cons"
    prefix = "cons_" if cons else ""
    return load_ofac_csv(
        path,
        alt=_sibling(path, f"{prefix}alt"),
        add=_sibling(path, f"{prefix}add"),
        comments=_sibling(path, f"{prefix}comments" if cons else "sdn_comments"),
        first_seen=None if cons else _sibling(path, "sdn_first_seen"),
        list_name=list_name,
    )


def _loader(kind: str) -> Callable[[Path], Iterator[ListEntry]]:
    if kind in ("ofac_sdn", "ofac_cons"):
        return lambda p: _ofac(p, kind)
    if kind == "ofac_advanced":
        from tradetrace.screen.lists.ofac import load_ofac_advanced_xml

        return load_ofac_advanced_xml
    if kind == "un":
        from tradetrace.screen.lists.un import load_un_xml

        return load_un_xml
    if kind in ("uk_ofsi", "uk_sanctions_list"):
        from tradetrace.screen.lists import uk

        return uk.load_ofsi_conlist if kind == "uk_ofsi" else uk.load_uk_sanctions_list
    if kind in ("eu_xml", "eu_csv", "eu_pakote"):
        from tradetrace.screen.lists import eu

        return {"eu_xml": eu.load_eu_fsf_xml, "eu_csv": eu.load_eu_fsf_csv,
                "eu_pakote": eu.load_pakote_json}[kind]  # fmt: skip
    if kind == "opensanctions":
        from tradetrace.screen.lists.opensanctions import load_ftm

        return load_ftm
    raise InputError(f"unknown list format {kind!r}; known: {', '.join(LOADERS)}")


def read_list(path: Path, kind: str | None = None) -> pa.Table:
    """A list file as the ``list_entries`` table (aliases get their script)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    entries = list(_loader(kind or detect(path))(path))
    if not entries:
        raise InputError(f"{path}: no entries found")
    table = entries_table(entries)
    aliases = [
        [{**a, "script": a["script"] or script_of(a["name"])} for a in row]
        for row in table["aliases"].to_pylist()
    ]
    index = table.schema.get_field_index("aliases")
    return table.set_column(index, "aliases", pa.array(aliases, table.schema.field(index).type))


def load_lists(store: Store, paths: list[Path], kind: str | None = None) -> list[dict]:
    """Load files into ``list_entries``; returns one summary row per file."""
    tables = [(Path(p), read_list(Path(p), kind)) for p in paths]
    summary = []
    for path, table in tables:
        loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        table = table.append_column("loaded_at", pa.array([loaded_at] * table.num_rows))
        _replace_versions(store, table)
        for (list_name, version), count in _counts(table).items():
            summary.append(
                {"file": str(path), "list": list_name, "version": version, "entries": count}
            )
    _current_view(store)
    return summary


def _counts(table: pa.Table) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    for list_name, version in zip(
        table["list"].to_pylist(), table["version"].to_pylist(), strict=True
    ):
        counts[(list_name, version)] = counts.get((list_name, version), 0) + 1
    return counts


def _replace_versions(store: Store, table: pa.Table) -> None:
    with store.atomic():
        if store.has_table("list_entries"):
            for list_name, version in _counts(table):
                store.delete_where("list_entries", {"list": list_name, "version": version})
            store.insert("list_entries", table)
        else:
            store.replace_table("list_entries", table)


def _current_view(store: Store) -> None:
    entries = store.table("list_entries")
    newest = entries.version.max().over(group_by=entries.list)
    current = entries.mutate(_newest=newest).filter(lambda t: t.version == t._newest)
    store.create_view("current_list_entries", current.drop("_newest"))


def list_summary(store: Store) -> list[dict]:
    if not store.has_table("list_entries"):
        return []
    e = store.table("list_entries")
    versions = e.group_by("list", "version").aggregate(
        entries=e.count(),
        with_listing_date=e.listing_date.count(),
        source_file=e.source_file.min(),
        loaded_at=e.loaded_at.max(),
    )
    current = versions.version == versions.version.max().over(group_by=versions.list)
    summary = versions.mutate(current=current).order_by(["list", "version"])
    return store.to_arrow(summary).to_pylist()


def diff_lists(old: pa.Table, new: pa.Table) -> dict:
    """Entries added and removed between two versions (by list and list id)."""

    def keyed(table: pa.Table) -> dict[tuple[str, str], dict]:
        rows = table.select(["list", "list_entity_id", "name", "listing_date"]).to_pylist()
        return {(r["list"], r["list_entity_id"]): r for r in rows}

    before, after = keyed(old), keyed(new)
    return {
        "old": _versions(old),
        "new": _versions(new),
        "added": [after[k] for k in sorted(after.keys() - before.keys())],
        "removed": [before[k] for k in sorted(before.keys() - after.keys())],
        "unchanged": len(after.keys() & before.keys()),
    }


def _versions(table: pa.Table) -> list[str]:
    pairs = pc.unique(pc.binary_join_element_wise(table["list"], table["version"], "@"))
    return sorted(pairs.to_pylist())
