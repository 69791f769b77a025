"""How lists, events and match explanations read in a report.

Figures (money, shares, counts, dates, countries) are written by :mod:`tradetrace.formatting`.
"""

from __future__ import annotations

import datetime as dt
import json

from tradetrace.analyse.findings import EVENT_LABELS
from tradetrace.screen.lists.registry import list_authority, list_short

__all__ = ["event_label", "event_short", "explain_match", "list_label", "list_short", "slug"]

#: How each feature of a screening score is said in words (see ``screen/match.py``).
FEATURE_WORDS = {
    "name": "name similarity",
    "country": "country",
    "schema": "incompatible entity types",
    "weak_alias": "matched a weak alias",
    "identifier": "identical identifier",
}


def list_label(name: str) -> str:
    """``the US Treasury's OFAC (SDN list)``: who designates, on which list."""
    who, which = list_authority(name)
    return f"{who} ({which})" if which else who


def event_label(name: str) -> str:
    """An event's name in prose: the invasion spelled out, a designation by its list."""
    if name.startswith("designation:"):
        return f"Designation by {list_label(name.split(':', 1)[1])}"
    return EVENT_LABELS.get(name, name)


def event_short(name: str, day: str) -> str:
    """A label short enough to sit on a chart: ``Invasion 24 Feb 2022``."""
    when = dt.date.fromisoformat(day).strftime("%-d %b %Y")
    if name == "invasion":
        return f"Invasion {when}"
    if name.startswith("designation:"):
        return f"{list_short(name.split(':', 1)[1])} listing {when}"
    return f"{name} {when}"


def slug(text: str) -> str:
    """An HTML id from a finding id (``origin:KR`` → ``origin-KR``)."""
    return "".join(c if c.isalnum() else "-" for c in text).strip("-")


def explain_match(explanation: str | dict | None) -> str:
    """The screening explanation (JSON stored in ``matches``) as one sentence."""
    if not explanation:
        return "No explanation was recorded for this match."
    data = json.loads(explanation) if isinstance(explanation, str) else explanation
    features = data.get("features") or {}
    query, matched = data.get("query_name"), data.get("matched_name")
    if "identifier" in features:
        ids = ", ".join(i.replace(":", " ").upper() for i in data.get("identifiers") or [])
        head = f"Decided by an identical identifier ({ids or 'tax id'}), not by the name"
        if query and matched:
            head += f": “{query}” is listed as “{matched}”"
        return f"{head}. Score {data.get('score', 1.0):.2f}."
    parts = []
    for key, value in features.items():
        if key == "name":
            parts.append(f"name similarity {value:.2f}")
        elif key == "country":
            verdict = "country agrees" if value > 0 else "country differs"
            parts.append(f"{verdict} ({value:+.2f})")
        else:
            parts.append(f"{FEATURE_WORDS.get(key, key)} ({value:+.2f})")
    alias = data.get("alias_type")
    head = f"“{query}” matched “{matched}”" if query and matched else "Name match"
    if alias and alias != "primary":
        head += f" (an alias on the list, type “{alias}”)"
    score = data.get("score")
    tail = f", score {score:.2f}" if score is not None else ""
    return f"{head}: {', '.join(parts) or 'no features recorded'}{tail}."
