"""Alerts as a Markdown digest an analyst reads top to bottom, and their facts in words.

The digest groups alerts by what happened (a new match first: it is the one to act on)
and gives each the party, the list entry, its dates and the party's trade, every figure
written by :mod:`tradetrace.formatting`. The facts are built once, by :func:`alert_facts`,
with the markup left to the caller, so the Atom feed (``notify/atom.py``) says exactly
what the digest says, in plain text.

Names come from customs records and sanctions lists (``ООО «АУРУС»``, ``A*B_C``), so they
are escaped: a name must never turn into emphasis, a link or a heading.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence

from tradetrace.analyse.alerts import EVENT_ORDER, Alert, AlertEvent
from tradetrace.formatting import count, day, money, plural
from tradetrace.screen.lists.registry import list_short

__all__ = [
    "EVENT_TITLES",
    "MAX_EVIDENCE",
    "Mark",
    "alert_facts",
    "alert_party",
    "alerts_markdown",
    "as_utc",
    "md_code",
    "md_escape",
]

#: Each event in words, as a group's heading (and an Atom entry's title).
EVENT_TITLES: dict[AlertEvent, str] = {
    "designated": "Newly matched a list entry",
    "delisted": "List entry delisted",
    "listing_date_changed": "Listing date changed",
    "match_gone": "No longer matches a listed entry",
}
#: Evidence ids shown per alert; the rest are counted ("and 3 more").
MAX_EVIDENCE = 10

#: How a piece of text from the data is marked up: escaped, quoted, or left as it is.
Mark = Callable[[str], str]

# Characters that start inline Markdown (emphasis, code, links, HTML, entities, math,
# tables, headings). Escaping any ASCII punctuation is valid CommonMark, so a few more
# than strictly needed costs nothing.
_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~&$])")


def _plain(text: str) -> str:
    return text


def md_escape(text: str) -> str:
    """``A\\*B\\_C``: text from the data, inert in Markdown and kept on one line."""
    return _SPECIAL.sub(r"\\\1", " ".join(text.split()))


def md_code(text: str) -> str:
    """```e-1```: an id as a code span, fenced by more backticks than it contains."""
    text = " ".join(text.split())
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def as_utc(value: dt.datetime) -> dt.datetime:
    """``detected_at`` in UTC; a naive time is already UTC (the store keeps UTC)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def alert_party(alert: Alert, *, name: Mark = _plain, code: Mark = _plain) -> str:
    """``ООО «АУРУС» (party e-1)``: who the alert is about."""
    who = name(alert.entity_name) if alert.entity_name else "Unnamed party"
    return f"{who} (party {code(alert.entity_id)})"


def alert_facts(alert: Alert, *, name: Mark = _plain, code: Mark = _plain) -> list[str]:
    """The alert's facts, one sentence each: entry, dates, trade, evidence, when seen.

    ``name`` marks up text from the data (names, programmes), ``code`` ids; both leave
    the text as it is by default, which is the plain-text form.
    """
    return [
        _entry(alert, name, code),
        _dates(alert),
        _trade(alert),
        _trade_after_listing(alert),
        _evidence(alert, code),
        _seen(alert, code),
    ]


def alerts_markdown(alerts: Sequence[Alert], title: str = "Tradetrace alerts") -> str:
    """The digest: a heading with the count, then one section per event, in
    :data:`EVENT_ORDER`, each alert a bullet with its facts beneath it."""
    if not alerts:
        return f"# {md_escape(title)}\n\nNo alerts.\n"
    parts = [f"# {md_escape(title)}: {plural(len(alerts), 'alert')}\n"]
    for event in EVENT_ORDER:
        group = [a for a in alerts if a.event == event]
        if not group:
            continue
        parts.append(f"## {EVENT_TITLES[event]} ({count(len(group))})\n")
        parts.append("\n".join(_bullet(a) for a in group) + "\n")
    return "\n".join(parts)


def _bullet(alert: Alert) -> str:
    head = alert_party(alert, name=lambda s: f"**{md_escape(s)}**", code=md_code)
    facts = alert_facts(alert, name=md_escape, code=md_code)
    return "\n".join([f"- {head}", *(f"  - {fact}" for fact in facts)])


def _entry(alert: Alert, name: Mark, code: Mark) -> str:
    text = f"{list_short(alert.list)} ({code(alert.list)}) entry {code(alert.list_entity_id)}"
    if alert.list_name:
        text += f" {name(alert.list_name)}"
    if alert.matched_name and alert.matched_name != alert.list_name:
        text += f", matched as {name(alert.matched_name)}"
    if alert.score is not None:
        last = "last " if alert.event == "match_gone" else ""
        text += f" ({last}score {alert.score:.2f})"
    programmes = ", ".join(name(p) for p in alert.programs) or "none recorded"
    return f"{text}; programmes: {programmes}."


def _dates(alert: Alert) -> str:
    listed = f"Listed on {day(alert.listing_date)}" if alert.listing_date else None
    if alert.event == "listing_date_changed":
        before = day(alert.previous_listing_date) if alert.previous_listing_date else "unknown"
        now = day(alert.listing_date) if alert.listing_date else "unknown"
        return f"Listing date changed from {before} to {now}."
    if alert.event == "delisted":
        gone = f"on {day(alert.delisting_date)}" if alert.delisting_date else "(date unknown)"
        return f"{listed or 'Listing date unknown'}; delisted {gone}."
    if alert.event == "match_gone":
        return f"{listed or 'Listing date unknown'}; the entry is still listed."
    return f"{listed or 'Listing date unknown'}."


def _trade(alert: Alert) -> str:
    if alert.declarations == 0 and not alert.trade_usd:
        return "No trade in the store."
    last = f"last on {day(alert.last_trade_date)}" if alert.last_trade_date else "last date unknown"
    return (
        f"Trade: {money(alert.trade_usd)} over {plural(alert.declarations, 'declaration')}, {last}."
    )


def _trade_after_listing(alert: Alert) -> str:
    if alert.listing_date is None:
        return "Trade on or after the listing date cannot be known: the listing date is unknown."
    if alert.trade_after_listing_usd is None:
        return "Trade on or after the listing date cannot be known."
    if alert.declarations_after_listing == 0 and not alert.trade_after_listing_usd:
        return "No trade on or after the listing date."
    return (
        f"On or after the listing date: {money(alert.trade_after_listing_usd)} over "
        f"{plural(alert.declarations_after_listing, 'declaration')}."
    )


def _evidence(alert: Alert, code: Mark) -> str:
    """The declarations to open first: those on or after the listing date when there are
    any (the ones that matter), else all of the party's."""
    after: Sequence[str] = alert.evidence_after_listing
    if after:
        return f"Evidence on or after the listing date: {_ids(after, code)}"
    if not alert.evidence:
        return "Evidence: no declarations."
    return f"Evidence: {_ids(alert.evidence, code)}"


def _ids(ids: Sequence[str], code: Mark) -> str:
    shown = ", ".join(code(e) for e in ids[:MAX_EVIDENCE])
    rest = len(ids) - MAX_EVIDENCE
    return shown + (f" and {count(rest)} more." if rest > 0 else ".")


def _seen(alert: Alert, code: Mark) -> str:
    when = as_utc(alert.detected_at)
    text = f"Seen {day(when.date())} at {when:%H:%M} UTC in screening run {alert.run_id}"
    text += f" ({alert.cause}"
    if alert.list_version:
        text += f", list version {code(alert.list_version)}"
        if alert.previous_list_version:
            text += f", before {code(alert.previous_list_version)}"
    return text + ")."
