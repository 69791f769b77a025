"""How figures, dates, lists and match explanations read in a report.

Tables show whole dollars rounded *down* (customs data is partial, every sum is a lower
bound, as in the findings) with thousands separators, so a reader can check a figure
against the declarations without meeting cents or a rounded-up value.
"""

from __future__ import annotations

import datetime as dt
import json
import math

from tradetrace.analyse.findings import EVENT_LABELS, list_authority, plural
from tradetrace.reference.countries import country_name

__all__ = [
    "count",
    "country_label",
    "event_label",
    "event_short",
    "explain_match",
    "hhi",
    "list_label",
    "list_short",
    "money",
    "plural",
    "share",
    "slug",
]

#: Short names for charts and table cells, by list-name prefix.
LIST_SHORT = (
    ("ofac_sdn", "OFAC SDN"),
    ("ofac_advanced", "OFAC SDN"),
    ("ofac_cons", "OFAC non-SDN"),
    ("uk_", "UK"),
    ("un", "UN"),
    ("eu", "EU"),
    ("opensanctions", "OpenSanctions"),
)
#: How each feature of a screening score is said in words (see ``screen/match.py``).
FEATURE_WORDS = {
    "name": "name similarity",
    "country": "country",
    "schema": "incompatible entity types",
    "weak_alias": "matched a weak alias",
    "identifier": "identical identifier",
}


def money(value: float | None) -> str:
    """``$1,172,250``: whole dollars rounded down; a dash for no value."""
    if value is None:
        return "–"
    return f"${math.floor(round(value, 2)):,}"


def share(value: float | None) -> str:
    """``45.6%`` from a fraction; shares are rounded, not floored (they are not sums)."""
    if value is None:
        return "–"
    return f"{value * 100:.1f}%"


def hhi(value: float | None) -> str:
    """``3,469``: a concentration index; a dash when nothing was declared to measure."""
    return "–" if value is None else f"{value:,.0f}"


def count(value: int | None) -> str:
    return "–" if value is None else f"{value:,}"


def country_label(iso2: str | None) -> str:
    """``South Korea``; a dash where the declarations name no country."""
    return country_name(iso2) if iso2 else "–"


def list_short(name: str) -> str:
    return next((label for prefix, label in LIST_SHORT if name.startswith(prefix)), name)


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
