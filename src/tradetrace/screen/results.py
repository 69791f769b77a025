"""Screening results as typed objects, and the one function that screens names with status.

``screen-name``, ``screen-file`` and the API's ``POST /screen`` all screen names through
:func:`screen_names` and read its :class:`ScreeningResult`; a match's status on a date is
:meth:`ScreenMatch.on` (the API keeps each name's matches without a date, and dates a
copy per request). The models are the JSON contract too: ``screen-name --json`` prints
:meth:`ScreeningResult.to_json`, and the API's answer and OpenAPI schema are built from
:class:`ScreenMatch` (``api/models.py``), so every key is documented once, here.

A match's ``status_as_of`` is left out of the JSON (not written as ``null``) when no date
was asked for: that is how the output has always been, and clients rely on it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import Field

from tradetrace.result import Result
from tradetrace.screen.match import ListIndex, Match, Query, Status, status_on

__all__ = [
    "ListsAsOf",
    "ScreenMatch",
    "ScreenQuery",
    "ScreenRun",
    "ScreeningResult",
    "StoredMatch",
    "screen_names",
]


class ScreenMatch(Result):
    """A list entry that matched a screened name, with why and, given a date, its status."""

    list: str = Field(description="the sanctions list, e.g. `ofac_sdn`, `uk_ofsi`")
    id: str = Field(description="the entry's id in that list")
    name: str | None = Field(description="the entry's primary name")
    matched_name: str | None = Field(description="the entry's name (or alias) that matched")
    score: float = Field(description="match score, 0-1; 1.0 when a decisive identifier is equal")
    listing_date: dt.date | None = Field(description="when the entry was listed, if known")
    delisting_date: dt.date | None = Field(description="when it was delisted, if it was")
    listing_date_note: str | None = Field(
        description="where the listing date comes from, or why it is unknown"
    )
    programs: tuple[str, ...] = Field(description="the sanctions programmes of the entry")
    explanation: dict[str, Any] = Field(
        description="which query name met which list name, and what each feature added"
    )
    status_as_of: Status | None = Field(
        default=None,
        exclude_if=lambda status: status is None,
        description="the entry's status on the date asked for; present only with a date",
    )

    @classmethod
    def of(cls, match: Match) -> ScreenMatch:
        return cls(
            list=match.list,
            id=match.list_entity_id,
            name=match.name,
            matched_name=match.matched_name,
            score=match.score,
            listing_date=match.listing_date,  # ISO text, as the lists are loaded
            delisting_date=match.delisting_date,
            listing_date_note=match.listing_date_note,
            programs=match.programs,
            explanation=match.explanation,
        )

    def on(self, day: dt.date | None) -> ScreenMatch:
        """This match with its status on ``day`` (without one when ``day`` is None)."""
        status = status_on(day, self.listing_date, self.delisting_date) if day else None
        return self.model_copy(update={"status_as_of": status})


class ScreenQuery(Result):
    """What was screened: the name and what else was known of it, and the date asked for."""

    name: str = Field(description="the name screened, as given")
    country: str | None = Field(description="ISO 3166 alpha-2 country of the party, if given")
    schema_: str | None = Field(
        alias="schema", description="the kind of party: Company, Person, Vessel ..."
    )
    identifiers: tuple[str, ...] = Field(description="identifiers given, e.g. `inn:7743237789`")
    as_of: dt.date | None = Field(description="the date each match's status is given on")

    @classmethod
    def of(cls, query: Query, as_of: dt.date | None) -> ScreenQuery:
        return cls(
            name=query.name,
            country=query.country,
            schema_=query.schema,
            identifiers=query.identifiers,
            as_of=as_of,
        )


class ScreeningResult(Result):
    """One name screened against every loaded list: the query and its matches, best first."""

    query: ScreenQuery = Field(description="what was screened")
    matches: tuple[ScreenMatch, ...] = Field(description="every match over the threshold")


def screen_names(
    index: ListIndex, queries: Sequence[Query], as_of: dt.date | None = None
) -> list[ScreeningResult]:
    """Each query matched against ``index`` (at its threshold), with each match's status
    on ``as_of`` when given; one result per query, in order."""
    return [
        ScreeningResult(
            query=ScreenQuery.of(query, as_of),
            matches=tuple(ScreenMatch.of(m).on(as_of) for m in index.match(query)),
        )
        for query in queries
    ]


class ScreenRun(Result):
    """One screening of the store (``screen`` or ``watch``): what it read, changed and found.

    The first three keys are ``screen --json``'s since its first version.
    """

    entities: int = Field(description="entities in the store")
    matched_entities: int = Field(description="entities with at least one match")
    matches: int = Field(description="(entity, list entry) matches at or above the threshold")
    run_id: int = Field(description="this run's number in `screen_runs`")
    kind: Literal["full", "incremental"] = Field(
        description="`full`: every entity screened; `incremental`: only what changed"
    )
    reason: str | None = Field(
        description="why a run asked to be incremental was full (no earlier run, new "
        "threshold, new matching code)"
    )
    started_at: dt.datetime = Field(description="when the run started (UTC)")
    threshold: float = Field(description="the match threshold")
    lists: dict[str, str] = Field(description="list → the version screened against")
    entries_added: int = Field(description="list entries new since the last run")
    entries_removed: int = Field(description="list entries gone since the last run")
    entries_changed: int = Field(description="list entries whose content changed")
    parties_new: int = Field(description="entities never screened before")
    parties_changed: int = Field(description="entities whose names, country or ids changed")
    parties_gone: int = Field(description="entities gone since the last run (re-resolution)")
    entities_screened: int = Field(description="entities this run screened")
    events: int = Field(description="match events recorded (alerts)")


class StoredMatch(Result):
    """One row of ``matches``: an entity of the store and the list entry it matched."""

    entity_id: str = Field(description="the entity (party) screened")
    list: str = Field(description="the sanctions list")
    list_entity_id: str = Field(description="the entry's id in that list")
    list_name: str | None = Field(description="the entry's primary name")
    query_name: str | None = Field(description="the entity's name (or alias) that matched")
    matched_name: str | None = Field(description="the entry's name (or alias) that matched")
    score: float = Field(description="match score, 0-1")
    explanation: str = Field(description="why it matched, as JSON text")
    listing_date: dt.date | None = Field(description="the entry's listing date, if known")
    delisting_date: dt.date | None = Field(description="its delisting date, if any")
    listing_date_note: str | None = Field(description="where the listing date comes from")
    programs: tuple[str, ...] = Field(description="the entry's sanctions programmes")


class ListsAsOf(Result):
    """``screen --as-of-list``: the store's entities against the lists known at a time."""

    as_of_list: dt.datetime = Field(description="the moment (UTC) whose lists were used")
    lists: dict[str, str] = Field(description="list → the newest version loaded by then")
    entities: int = Field(description="entities screened (the store's, today)")
    matched_entities: int = Field(description="entities with at least one match")
    matches: int = Field(description="(entity, list entry) matches")
    results: list[StoredMatch] = Field(description="the matches, by entity and entry")
