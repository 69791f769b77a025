"""Analyst judgements as input: validation, the analyst's name, and plain rows for the store.

A judgement says two party records are the same firm (``--same``) or not (``--different``);
:mod:`tradetrace.resolve.graph` decides what it does to the clusters. Storage is elsewhere:
this module only turns judgements into dict rows (columns ``a, b, same, who, at, note``)
and back, checking them both ways.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from tradetrace.resolve.graph import Judgement, judgement_time

__all__ = ["COLUMNS", "default_who", "judgement_rows", "judgements_from_rows", "parse_judgement"]

COLUMNS = ("a", "b", "same", "who", "at", "note")
_TRUE = {"true", "t", "1", "yes", "y"}
_FALSE = {"false", "f", "0", "no", "n"}


def default_who() -> str:
    """``$TRADETRACE_USER``, else the OS user name, else ``"unknown"``."""
    who = os.environ.get("TRADETRACE_USER", "").strip()
    if who:
        return who
    try:
        return getpass.getuser() or "unknown"
    except (KeyError, OSError):  # no login name and no passwd entry (some containers)
        return "unknown"


def parse_judgement(
    a: str,
    b: str,
    same: bool | None,
    different: bool | None,
    who: str | None,
    note: str = "",
    *,
    at: str | None = None,
) -> Judgement:
    """A checked :class:`Judgement` from command-line style input (ValueError if unusable).

    Exactly one of ``same`` / ``different`` must be set. Ids are stripped and put in order
    (a judgement is symmetric, and the store then holds each pair one way). ``who`` defaults
    to :func:`default_who`, ``at`` to now (UTC, ISO 8601).
    """
    if bool(same) == bool(different):
        raise ValueError(
            "give exactly one of --same or --different"
            + (" (not both)" if same else " (neither was given)")
        )
    who = (who or "").strip() or default_who()
    at = at if at is not None else datetime.now(UTC).isoformat(timespec="microseconds")
    return _checked(a, b, bool(same), who, at, note or "")


def _checked(a: Any, b: Any, same: bool, who: str, at: str, note: str) -> Judgement:
    a = a.strip() if isinstance(a, str) else ""
    b = b.strip() if isinstance(b, str) else ""
    if not a or not b:
        raise ValueError("a judgement needs two non-empty ids")
    if a == b:
        raise ValueError(f"cannot judge {a!r} against itself")
    judgement_time(at)  # ValueError naming the bad timestamp
    lo, hi = sorted((a, b))
    return Judgement(a=lo, b=hi, same=same, who=who, at=at, note=note)


def judgement_rows(judgements: Iterable[Judgement]) -> list[dict[str, Any]]:
    """Judgements as dict rows with the columns of :data:`COLUMNS`."""
    return [
        {"a": j.a, "b": j.b, "same": j.same, "who": j.who, "at": j.at, "note": j.note}
        for j in judgements
    ]


def judgements_from_rows(rows: Iterable[Mapping[str, Any]]) -> list[Judgement]:
    """Judgements from dict rows (as :func:`judgement_rows` writes them), checked again.

    ``same`` may be a bool, 0/1 or a true/false word; ``note`` may be missing or None.
    A bad row is a ValueError naming its position (0-based).
    """
    out = []
    for n, row in enumerate(rows):
        try:
            missing = [c for c in ("a", "b", "same", "at") if row.get(c) is None]
            if missing:
                raise ValueError(f"missing {', '.join(missing)}")
            out.append(
                _checked(
                    row["a"],
                    row["b"],
                    _as_bool(row["same"]),
                    str(row.get("who") or ""),
                    str(row["at"]),
                    str(row.get("note") or ""),
                )
            )
        except ValueError as exc:
            raise ValueError(f"judgement row {n}: {exc}") from exc
    return out


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE or word in _FALSE:
            return word in _TRUE
    elif value in (True, False):  # bool, 0/1 and numpy booleans
        return bool(value)
    raise ValueError(f"'same' must be true or false, not {value!r}")
