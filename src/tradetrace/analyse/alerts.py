"""Alerts: what changed on the lists for the parties in the store, with the trade behind it.

An alert is one row of ``match_events`` (``screen/history.py``) with the trade of that
party attached: every declaration line on which the entity is the importer or the
exporter, its total in USD, its last date, and what of it is dated on or after the
listing date. ``tradetrace alerts`` and ``watch`` print them, ``GET /alerts`` serves
them, and ``notify/`` sends them out (Markdown, Atom, webhook).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import ibis.expr.types as ir
import pyarrow as pa
from pydantic import Field

from tradetrace.analyse.breakdowns import usd
from tradetrace.result import Result
from tradetrace.store import Store
from tradetrace.store.catalogue import MATCH_EVENTS, RESOLVED_DECLARATIONS, SCREEN_RUNS

__all__ = ["EVENT_ORDER", "Alert", "AlertCause", "AlertEvent", "alerts", "party_lines"]

AlertEvent = Literal["designated", "delisted", "listing_date_changed", "match_gone"]
AlertCause = Literal["first screening", "list change", "party change", "rescreening"]


class Alert(Result):
    """One change on a list for one party of the store, with that party's trade."""

    entity_id: str = Field(description="the party (resolved entity) the change concerns")
    entity_name: str | None = Field(description="the party's name when the change was seen")
    list: str = Field(description="the sanctions list, e.g. `ofac_sdn`")
    list_entity_id: str = Field(description="the entry's id in that list")
    event: AlertEvent = Field(
        description=(
            "`designated`: the party now matches a list entry; `delisted`: the entry left "
            "the list or got a delisting date; `listing_date_changed`: the entry's listing "
            "date changed; `match_gone`: the entry is still listed but no longer matches"
        )
    )
    listing_date: dt.date | None = Field(description="the entry's listing date, if known")
    trade_usd: float = Field(description="all trade of the party in the store, USD")
    trade_after_listing_usd: float | None = Field(
        description="of which dated on or after the listing date; null without a listing date"
    )
    last_trade_date: dt.date | None = Field(description="the date of the party's latest line")
    evidence: tuple[str, ...] = Field(description="ids of the declarations behind `trade_usd`")
    detected_at: dt.datetime = Field(description="when the change was seen (UTC)")
    cause: AlertCause = Field(
        description=(
            "what brought the change: the party's first screening, a list update, a "
            "change on the party's side (new data, re-resolution), or a rescreening with "
            "a new threshold or matching code"
        )
    )
    list_name: str | None = Field(description="the entry's primary name")
    matched_name: str | None = Field(description="the entry's name (or alias) that matched")
    score: float | None = Field(description="the match score, 0-1 (the last one for a lost match)")
    programs: tuple[str, ...] = Field(description="the entry's sanctions programmes")
    previous_listing_date: dt.date | None = Field(
        description="for `listing_date_changed`: the listing date before the change"
    )
    delisting_date: dt.date | None = Field(
        description=(
            "for `delisted`: the entry's delisting date, or the date of the first list "
            "version without it"
        )
    )
    list_version: str | None = Field(description="the list version the change was seen in")
    previous_list_version: str | None = Field(description="the list version screened before")
    declarations: int = Field(description="declarations behind `trade_usd`")
    declarations_after_listing: int = Field(
        description="declarations behind `trade_after_listing_usd`"
    )
    evidence_after_listing: tuple[str, ...] = Field(
        description="ids of the declarations behind `trade_after_listing_usd`"
    )
    run_id: int = Field(description="the screening run that saw the change")


#: The order alerts are listed in within a run: what needs action first.
EVENT_ORDER: tuple[AlertEvent, ...] = (
    "designated",
    "delisted",
    "listing_date_changed",
    "match_gone",
)


def alerts(
    store: Store, since: dt.datetime | None = None, run_id: int | None = None
) -> list[Alert]:
    """The alerts of one screening run (the latest by default), or of every run since a time.

    Runs are those of ``screen`` and ``watch``; ``since`` is UTC. A store screened before
    the history existed has none until its next screening.
    """
    store.require(MATCH_EVENTS)
    events = store.table(MATCH_EVENTS)
    if since is not None:
        events = events.filter(events.detected_at >= since)
    else:
        runs = store.table(SCREEN_RUNS)
        chosen = run_id if run_id is not None else store.to_arrow(runs.run_id.max()).as_py()
        events = events.filter(events.run_id == chosen)
    rows = store.to_arrow(events).to_pylist()
    trade = _trade(store, rows)
    found = [_alert(row, trade.get(n, {})) for n, row in enumerate(rows)]
    return sorted(
        found,
        key=lambda a: (a.run_id, EVENT_ORDER.index(a.event), -a.trade_usd, a.entity_id,
                       a.list, a.list_entity_id),
    )  # fmt: skip


def _trade(store: Store, events: list[dict]) -> dict[int, dict]:
    """Per event (by position): the trade of its party, all of it and since the listing."""
    if not events:
        return {}
    staged = store.stage_copy(
        "_alert_events",
        pa.table(
            {
                "event_no": pa.array(range(len(events)), pa.int64()),
                "entity_id": pa.array([e["entity_id"] for e in events], pa.string()),
                "listing_date": pa.array([e["listing_date"] for e in events], pa.date32()),
            }
        ),
    )
    lines = party_lines(store.table(RESOLVED_DECLARATIONS))
    j = lines.join(staged, "entity_id")
    after = j.date >= j.listing_date
    per_event = j.group_by("event_no").aggregate(
        trade_usd=usd(j),
        last_trade_date=j.date.max(),
        evidence=j.declaration_id.collect(distinct=True),
        trade_after_listing_usd=j.value_usd.sum(where=after).fill_null(0.0),
        evidence_after_listing=j.declaration_id.collect(distinct=True, where=after),
    )
    return {r["event_no"]: r for r in store.to_arrow(per_event).to_pylist()}


def party_lines(declarations: ir.Table) -> ir.Table:
    """One row per (declaration line, party entity): a line counts once for a party that
    is both its importer and its exporter."""
    columns = ["declaration_id", "line_no", "source_file", "source_row", "date", "value_usd"]
    sides = [
        declarations.select(*columns, entity_id=declarations[side])
        for side in ("importer_entity_id", "exporter_entity_id")
    ]
    both = sides[0].union(sides[1], distinct=True)
    return both.filter(both.entity_id.notnull())


def _alert(event: dict, trade: dict) -> Alert:
    evidence = tuple(sorted(trade.get("evidence") or []))
    after = tuple(sorted(trade.get("evidence_after_listing") or []))
    listed = event["listing_date"] is not None
    return Alert(
        entity_id=event["entity_id"],
        entity_name=event["entity_name"],
        list=event["list"],
        list_entity_id=event["list_entity_id"],
        event=event["event"],
        listing_date=event["listing_date"],
        trade_usd=round(trade.get("trade_usd") or 0.0, 2),
        trade_after_listing_usd=round(trade.get("trade_after_listing_usd") or 0.0, 2)
        if listed
        else None,
        last_trade_date=trade.get("last_trade_date"),
        evidence=evidence,
        detected_at=event["detected_at"].replace(tzinfo=dt.UTC),  # stored as naive UTC
        cause=event["cause"],
        list_name=event["list_name"],
        matched_name=event["matched_name"],
        score=event["score"],
        programs=tuple(event["programs"] or ()),
        previous_listing_date=event["previous_listing_date"],
        delisting_date=event["delisting_date"],
        list_version=event["list_version"],
        previous_list_version=event["previous_list_version"],
        declarations=len(evidence),
        declarations_after_listing=len(after) if listed else 0,
        evidence_after_listing=after if listed else (),
        run_id=event["run_id"],
    )
