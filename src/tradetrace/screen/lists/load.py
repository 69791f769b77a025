"""Load sanctions-list files (recognised and read as ``registry`` says) and keep every version.

``list_entries`` holds every loaded version of every list (so ``lists diff`` can compare
them); the view ``current_list_entries`` shows the newest version of each list, which is
what screening uses. Loading the same list version again replaces it. A list loaded
``as_of`` a past date (rebuilt from its history, see ``registry.ListFormat.load_as_of``)
is the version of that date, so it sorts before the list's newer versions.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from tradetrace.errors import InputError
from tradetrace.resolve.names import script_of
from tradetrace.screen.lists.model import entries_table
from tradetrace.screen.lists.registry import detect, format_ids, get_format
from tradetrace.store import Store

__all__ = ["detect", "diff_lists", "list_summary", "load_lists", "read_list"]


def read_list(path: Path, kind: str | None = None, as_of: str | None = None) -> pa.Table:
    """A list file as the ``list_entries`` table (aliases get their script).

    ``as_of`` (ISO date): the list as it stood on that date, rebuilt from its history;
    an :class:`InputError` for a format without one.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    form = get_format(kind or detect(path))
    if as_of is None:
        entries = list(form.load(path))
    elif form.load_as_of is None:
        with_history = [f for f in format_ids() if get_format(f).load_as_of]
        raise InputError(
            f"{path}: no history known for list {form.id}; --as-of needs a list with one: "
            f"{', '.join(with_history)}"
        )
    else:
        entries = list(form.load_as_of(path, as_of))
    if not entries:
        raise InputError(f"{path}: no entries found")
    table = entries_table(entries)
    aliases = [
        [{**a, "script": a["script"] or script_of(a["name"])} for a in row]
        for row in table["aliases"].to_pylist()
    ]
    index = table.schema.get_field_index("aliases")
    return table.set_column(index, "aliases", pa.array(aliases, table.schema.field(index).type))


def load_lists(
    store: Store, paths: list[Path], kind: str | None = None, as_of: str | None = None
) -> list[dict]:
    """Load files into ``list_entries`` (each ``as_of`` that date, when given); returns
    one summary row per file."""
    tables = [(Path(p), read_list(Path(p), kind, as_of)) for p in paths]
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
