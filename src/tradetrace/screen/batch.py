"""Batch screening and name-pair scoring from CSV files (``screen-file``, ``names compare``)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from tradetrace.errors import InputError
from tradetrace.screen.index_cache import index_for_store
from tradetrace.screen.match import MatchConfig, Query, compare_names
from tradetrace.screen.results import ScreenMatch, screen_names
from tradetrace.store import Store


def _rows(path: Path, required: tuple[str, ...]) -> list[tuple[int, dict]]:
    if not path.exists():
        raise InputError(f"{path}: no such file")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = [h.strip().lower() for h in reader.fieldnames or []]
        missing = [c for c in required if c not in header]
        if missing:
            raise InputError(
                f"{path}: missing column(s) {', '.join(missing)}; headers seen: {', '.join(header)}"
            )
        reader.fieldnames = header
        return list(enumerate(reader, start=2))


def screen_csv(store: Store, path: Path, threshold: float, as_of: dt.date | None) -> list[dict]:
    """Every name of the file screened; a row per match, or one empty row if none."""
    index = index_for_store(store, MatchConfig(threshold=threshold))
    lines, queries = [], []
    for line, row in _rows(path, ("name",)):
        name = (row.get("name") or "").strip()
        if not name:
            raise InputError(f"{path}:{line}: column 'name' is empty")
        ids = tuple(i for i in (row.get("id") or "").split(";") if i)
        lines.append(line)
        queries.append(Query(name, (row.get("country") or "").upper() or None,
                             row.get("schema") or "Company", ids))  # fmt: skip
    return [
        _csv_row(line, result.query.name, match)
        for line, result in zip(lines, screen_names(index, queries, as_of), strict=True)
        for match in result.matches or [None]
    ]


def _csv_row(line: int, name: str, m: ScreenMatch | None) -> dict:
    """The ``screen-file`` columns (public: append, never rename or drop)."""
    return {"line": line, "name": name, **match_columns(m)}


def match_columns(m: ScreenMatch | None) -> dict:
    """A match's columns in ``screen-file`` and the Python API's ``screen_names``; all
    empty for a name without a match."""
    return {
        "list": m.list if m else None,
        "id": m.id if m else None,
        "list_name": m.name if m else None,
        "score": m.score if m else None,
        "listing_date": m.listing_date if m else None,
        "status_as_of": m.status_as_of if m else None,
    }


def compare_csv(path: Path) -> list[dict]:
    """``name1,name2[,schema]`` → each pair's score and is_match."""
    out = []
    for line, row in _rows(path, ("name1", "name2")):
        score, is_match = compare_names(row["name1"] or "", row["name2"] or "", row.get("schema"))
        out.append({"line": line, "name1": row["name1"], "name2": row["name2"],
                    "score": score, "is_match": is_match})  # fmt: skip
    return out
