"""The history of screening: one row per run (``screen_runs``), one per change (``match_events``).

Every screening, full (``screen``) or incremental (``watch``), compares the matches it
replaces with the ones it writes and records each difference as an event, with the list
versions and the time it was seen:

* ``designated``: the party now matches a list entry it did not match before;
* ``delisted``: the entry it matched left the list, or got a delisting date;
* ``listing_date_changed``: the entry's listing date changed;
* ``match_gone``: the entry is still listed but no longer matches the party.

Each event says what brought it (``cause``): the party's ``first screening``, a ``list
change`` (the entry was added, removed or edited), a ``party change`` (new data or a new
resolution changed the party's names), or a ``rescreening`` (a new threshold or new
matching code). Nothing is ever deleted from either table, so "what did we know when"
can be answered from them, and ``screen --as-of-list`` can screen again against the list
versions loaded by any time.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass

import pyarrow as pa

from tradetrace.screen.changes import ListChanges, PartyChanges
from tradetrace.store import Store
from tradetrace.store.catalogue import LIST_ENTRIES, SCREEN_RUNS

__all__ = [
    "EVENTS_SCHEMA",
    "RUNS_SCHEMA",
    "LastRun",
    "list_versions_as_of",
    "last_run",
    "match_events",
]

EVENTS_SCHEMA = pa.schema(
    [
        ("run_id", pa.int64()),
        ("detected_at", pa.timestamp("us")),
        ("event", pa.string()),
        ("cause", pa.string()),
        ("entity_id", pa.string()),
        ("entity_name", pa.string()),
        ("list", pa.string()),
        ("list_entity_id", pa.string()),
        ("list_name", pa.string()),
        ("matched_name", pa.string()),
        ("score", pa.float64()),
        ("programs", pa.list_(pa.string())),
        ("listing_date", pa.date32()),
        ("previous_listing_date", pa.date32()),
        ("delisting_date", pa.date32()),
        ("list_version", pa.string()),
        ("previous_list_version", pa.string()),
    ]
)

RUNS_SCHEMA = pa.schema(
    [
        ("run_id", pa.int64()),
        ("kind", pa.string()),  # "full" | "incremental"
        ("reason", pa.string()),  # why a run asked to be incremental was full
        ("started_at", pa.timestamp("us")),
        ("finished_at", pa.timestamp("us")),
        ("threshold", pa.float64()),
        ("code_version", pa.string()),
        ("lists", pa.string()),  # JSON: {list: version}
        ("entries_added", pa.int64()),
        ("entries_removed", pa.int64()),
        ("entries_changed", pa.int64()),
        ("parties_new", pa.int64()),
        ("parties_changed", pa.int64()),
        ("parties_gone", pa.int64()),
        ("entities_screened", pa.int64()),
        ("matches", pa.int64()),
        ("events", pa.int64()),
    ]
)


@dataclass(frozen=True)
class LastRun:
    """What the next incremental screening needs of the last one."""

    run_id: int
    threshold: float
    code_version: str
    finished_at: dt.datetime


def last_run(store: Store) -> LastRun | None:
    if not store.has_table(SCREEN_RUNS):
        return None
    runs = store.table(SCREEN_RUNS)
    rows = store.to_arrow(runs.order_by(runs.run_id.desc()).limit(1)).to_pylist()
    if not rows:
        return None
    row = rows[0]
    return LastRun(row["run_id"], row["threshold"], row["code_version"], row["finished_at"])


def _version_day(version: str | None) -> dt.date | None:
    """A list version's date, when the version is one (``2024-05-03``; not every list's is)."""
    try:
        return dt.date.fromisoformat(version[:10]) if version else None
    except ValueError:
        return None


def match_events(
    old: Iterable[dict],
    new: Iterable[dict],
    *,
    lists: ListChanges,
    parties: PartyChanges,
    names: dict[str, str | None],
    run_id: int,
    detected_at: dt.datetime,
) -> list[dict]:
    """The events between the matches replaced (``old``) and those written (``new``):
    rows of ``matches`` for the same entities. ``names``: entity id → name."""
    before = {(m["entity_id"], m["list"], m["list_entity_id"]): m for m in old}
    after = {(m["entity_id"], m["list"], m["list_entity_id"]): m for m in new}
    events: list[dict] = []

    def add(kind: str, key: tuple[str, str, str], row: dict, **extra: object) -> None:
        entity_id, list_name, entry_id = key
        if entity_id in parties.new:
            cause = "first screening"
        elif entity_id in parties.touched:
            cause = "party change"
        elif (list_name, entry_id) in lists.entries:
            cause = "list change"
        else:
            cause = "rescreening"
        events.append(
            {
                "run_id": run_id,
                "detected_at": detected_at,
                "event": kind,
                "cause": cause,
                "entity_id": entity_id,
                "entity_name": names.get(entity_id),
                "list": list_name,
                "list_entity_id": entry_id,
                "list_name": row["list_name"],
                "matched_name": row["matched_name"],
                "score": row["score"],
                "programs": row["programs"],
                "listing_date": row["listing_date"],
                "previous_listing_date": None,
                "delisting_date": row["delisting_date"],
                "list_version": lists.versions_now.get(list_name),
                "previous_list_version": lists.versions_before.get(list_name),
                **extra,
            }
        )

    for key in sorted(after.keys() - before.keys()):
        add("designated", key, after[key])
    for key in sorted(before.keys() - after.keys()):
        row, entry = before[key], (key[1], key[2])
        if entry in lists.removed:  # left the list: delisted by the first version without it
            left = row["delisting_date"] or _version_day(lists.versions_now.get(key[1]))
            add("delisted", key, row, delisting_date=left or detected_at.date())
        else:
            add("match_gone", key, row)
    for key in sorted(after.keys() & before.keys()):
        was, now = before[key], after[key]
        if now["delisting_date"] is not None and was["delisting_date"] is None:
            add("delisted", key, now)
        elif now["listing_date"] != was["listing_date"]:
            add("listing_date_changed", key, now, previous_listing_date=was["listing_date"])
    return events


def events_table(events: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(events, schema=EVENTS_SCHEMA)


def run_row(**values: object) -> pa.Table:
    """One ``screen_runs`` row (``lists`` given as a dict is written as JSON)."""
    if isinstance(values.get("lists"), dict):
        values["lists"] = json.dumps(values["lists"], sort_keys=True)
    return pa.Table.from_pylist([values], schema=RUNS_SCHEMA)


def list_versions_as_of(store: Store, moment: dt.datetime) -> dict[str, str]:
    """Per list, the newest version among those loaded by ``moment`` (UTC, naive)."""
    entries = store.table(LIST_ENTRIES)
    loaded = entries.filter(entries.loaded_at <= moment)
    newest = loaded.group_by("list").aggregate(version=loaded.version.max())
    return {r["list"]: r["version"] for r in store.to_arrow(newest).to_pylist()}
