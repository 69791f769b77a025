"""The exposure result and its parts, as typed objects.

:func:`tradetrace.analyse.exposure.exposure` returns an :class:`ExposureResult`; the CLI,
the report, the API and the dashboard read it (the dashboard through the API's JSON).
``to_json()`` gives the JSON of ``tradetrace exposure --json`` and ``GET /exposure``, a
public contract (docs/exposure.md; ``tests/test_json_contract.py`` pins its keys), and the
API's OpenAPI schema is generated from these models, so every key is described once, here.

Conventions: money is ``value_usd`` in US dollars (declared, or converted at the
declaration date) rounded to cents, a *lower bound* because customs data is partial;
``share`` is a fraction of the relevant total rounded to 4 decimals; dates are calendar
days (ISO text in JSON); a ``None`` country or entity id means the declarations do not say.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field

from tradetrace.analyse.diversion import Window
from tradetrace.resolve.records import EntityRecord
from tradetrace.result import Redirected, Result
from tradetrace.roles import RoleName

__all__ = [
    "Alias",
    "CategoryRow",
    "ChplRow",
    "Concentration",
    "ContinuedAfterDesignation",
    "CountryGroupRow",
    "CountryRow",
    "EntityDetail",
    "EntityMatch",
    "CounterpartyBrief",
    "CounterpartyRow",
    "EventOriginRow",
    "EventResult",
    "ExposureResult",
    "Finding",
    "HubRatio",
    "HubStatistics",
    "ListedCounterparty",
    "Listing",
    "ListingBrief",
    "Period",
    "SourceFile",
    "TargetInfo",
    "TransshipmentRow",
    "UnitValueFlagged",
    "YearRow",
]

# Models with a field called ``list`` cannot write ``list[...]`` after it: aliases.
Texts = list[str]


def _money(what: str) -> Any:
    return Field(description=f"{what}, in USD rounded to cents (a lower bound)")


def _share(of: str) -> Any:
    return Field(description=f"fraction of {of}, rounded to 4 decimals")


_DECLARATIONS = Field(description="distinct customs declarations (line-level rows)")
_AGGREGATE_ROWS = Field(
    description="a vendor's monthly aggregate rows, counted apart: never declarations"
)


class Alias(Result):
    name: str = Field(description="a spelling of the entity's name as declared")
    script: str | None = Field(description="its writing system (Latin, Cyrillic, Hangul ...)")


class Listing(Result):
    """A sanctions-list entry the entity matched when screened."""

    list: str = Field(description="the list's name in the store (ofac_sdn, uk_ofsi ...)")
    list_entity_id: str = Field(description="the entry's id on that list")
    list_name: str | None = Field(description="the entry's primary name")
    listing_date: dt.date | None = Field(description="when it was listed (see the note)")
    delisting_date: dt.date | None = Field(description="when it was delisted, if it was")
    listing_date_note: str | None = Field(description="how the listing date is known")
    programs: Texts = Field(description="sanctions programmes of the entry")
    score: float = Field(description="match score, 0-1")
    matched_name: str | None = Field(description="the list's spelling that matched")


class ListingBrief(Result):
    list: str = Field(description="the list's name in the store")
    listing_date: dt.date | None = Field(description="when the counterparty was listed")


class TargetInfo(Redirected):
    """The entity analysed."""

    entity_id: str = Field(description="tradetrace entity id (tt-…)")
    name: str = Field(description="canonical name")
    aliases: list[Alias] = Field(description="every spelling in the declarations")
    listings: list[Listing] = Field(description="its sanctions-list matches, earliest first")
    country: str | None = Field(description="ISO 3166 alpha-2 country, if declared")
    identifiers: list[str] = Field(description="scheme:value identifiers (inn:…, id:…)")


class Period(Result):
    start: dt.date | None = Field(alias="from", description="first day of every figure")
    end: dt.date | None = Field(alias="to", description="last day of every figure")


class UnitValueFlagged(Result):
    """How much of the total rests on values far from their goods' usual unit value."""

    value_usd: float = _money("value of the flagged rows")
    share: float = _share("the period's total")
    rows: int = Field(description="flagged rows (kept in every figure)")
    rule: str = Field(description="the rule that flags a row")


class YearRow(Result):
    year: int = Field(description="calendar year")
    value_usd: float = _money("value declared in the year")


class CountryRow(Result):
    country: str | None = Field(description="ISO2 country; null where none is declared")
    value_usd: float = _money("value with this country")
    share: float = _share("the total")
    declarations: int = _DECLARATIONS
    aggregate_rows: int = _AGGREGATE_ROWS


class CounterpartyRow(Result):
    """A supplier (of an importer) or buyer (of an exporter)."""

    entity_id: str | None = Field(description="its entity id; null for lines naming none")
    name: str = Field(description="canonical name, or '(party not declared)'")
    country: str | None = Field(description="its ISO2 country, if declared")
    value_usd: float = _money("value traded with it")
    declarations: int = _DECLARATIONS
    aggregate_rows: int = _AGGREGATE_ROWS
    first_date: dt.date | None = Field(description="its first declaration in the window")
    last_date: dt.date | None = Field(description="its last declaration in the window")
    share: float = _share("the window's total")
    lines: int = Field(description="declaration lines (aggregate rows apart)")
    origin_countries: list[str] = Field(description="ISO2 origins of its goods")
    listings: list[ListingBrief] = Field(description="its sanctions-list matches")


Counterparties = list[CounterpartyRow]


class CounterpartyBrief(Result):
    entity_id: str | None = Field(description="its entity id; null for lines naming none")
    name: str = Field(description="canonical name, or '(party not declared)'")
    country: str | None = Field(description="its ISO2 country, if declared")
    value_usd: float = _money("value traded with it after the event")
    first_date: dt.date | None = Field(description="its first declaration after the event")
    last_date: dt.date | None = Field(description="its last declaration after the event")


class CategoryRow(Result):
    category: str = Field(description="the category map's label for these HS codes")
    hs_codes: list[str] = Field(description="HS6 codes in the category")
    value_usd: float = _money("value in the category")
    share: float = _share("the total")
    declarations: int = _DECLARATIONS
    aggregate_rows: int = _AGGREGATE_ROWS


class EventOriginRow(Result):
    country: str | None = Field(description="ISO2 origin; null where none is declared")
    value_usd: float = _money("value after the event from this origin")
    share: float = _share("the value after the event")


class EventResult(Result):
    """The period split at an event: before is [from, event), after is [event, to]."""

    name: str = Field(description="invasion, designation:<list>, or the analyst's name")
    date: dt.date = Field(description="the event's day")
    before_usd: float = _money("value before the event")
    after_usd: float = _money("value from the event on")
    by_origin_after: list[EventOriginRow] = Field(description="origins after the event")
    suppliers_after: list[CounterpartyBrief] = Field(description="counterparties after it")
    new_suppliers_after: list[CounterpartyBrief] = Field(
        description="counterparties after it with no delivery in the period before it"
    )
    source: str = Field(description="built-in, user, or the listing it comes from")
    in_period: bool = Field(description="the event falls inside the period")
    before_declarations: int = Field(description="declarations before the event")
    after_declarations: int = Field(description="declarations from the event on")
    before_aggregate_rows: int = Field(description="monthly aggregate rows before the event")
    after_aggregate_rows: int = Field(description="monthly aggregate rows from the event on")


class TransshipmentRow(Result):
    origin: str = Field(description="ISO2 country of origin")
    dispatch: str = Field(description="ISO2 country of dispatch, other than the origin")
    value_usd: float = _money("value on this route")
    declarations: int = _DECLARATIONS
    aggregate_rows: int = _AGGREGATE_ROWS
    hub: bool = Field(description="the dispatch country is on the transshipment watch list")
    share: float = _share("the total")


class HubRatio(Result):
    """A reporter's exports to a hub since the invasion, against the pre-war projection
    (``tradetrace flows diversion`` with its default windows; docs/stats.md)."""

    reporter: str = Field(description="ISO2 of the reporter, or EU27_2020 for the EU-27")
    basis: str = Field(
        description="why this reporter: `eu27` (every hub) or `origin` (goods of that origin "
        "were dispatched from the hub)"
    )
    ratio: float | None = Field(description="exports after over the projection")
    baseline_usd_per_month: float = Field(description="the projection's monthly mean, USD")
    after_usd_per_month: float = Field(description="exports' monthly mean, USD")
    excess_usd: float = Field(description="exports less projection over the months after")
    excess_low_usd: float = Field(description="5th percentile of the excess")
    excess_high_usd: float = Field(description="95th percentile of the excess")
    after: Window = Field(description="the months compared: from March 2022 to the latest")
    evidence: list[str] = Field(description="the `trade_flows` rows compared, as `file#row`")
    reporter_name: str = Field(description="the reporter in words (Germany, EU-27)")


class HubStatistics(Result):
    """A country the target's goods were dispatched from, by way of a route (their origin
    elsewhere) or on the transshipment watch list, with what official statistics say of
    exports to it."""

    hub: str = Field(description="ISO2 country of dispatch")
    watch_list: bool = Field(description="on the transshipment watch list")
    value_usd: float = _money("the target's value dispatched from it")
    origins: list[str] = Field(
        description="the origins of the goods dispatched from it, other than itself, largest "
        "first (empty: none declared)"
    )
    ratios: list[HubRatio] = Field(
        description="the EU-27's, then each origin's that reports; empty: not covered"
    )
    rerouted_usd: float = _money("of `value_usd`, goods of a declared origin elsewhere")


class ChplRow(Result):
    tier: str = Field(description="Common High Priority List tier")
    hs6: str = Field(description="HS6 code")
    description: str = Field(description="the list's description of the code")
    value_usd: float = _money("value in this code")
    declarations: int = _DECLARATIONS
    aggregate_rows: int = _AGGREGATE_ROWS


class CountryGroupRow(Result):
    group: str = Field(description="EU, G7, coalition, EAEU, unfriendly ...")
    value_usd: float = _money("value originating in the group")
    share: float = _share("the total")
    basis: str = Field(description="what membership is read from")
    dispatch_value_usd: float = _money("value dispatched from the group")


class Concentration(Result):
    hhi_supplier: float | None = Field(
        description="Herfindahl-Hirschman index by named counterparty; null if none"
    )
    hhi_country: float | None = Field(
        description="Herfindahl-Hirschman index by declared origin; null if none"
    )
    top_supplier_share: float = _share("the total of the largest named counterparty")
    scale: str = Field(description="how to read the indices")


class ContinuedAfterDesignation(Result):
    """Trade after the target's own listing, read to the end of the data."""

    list: str = Field(description="the list that designated the target")
    date: dt.date = Field(description="its listing date")
    value_usd: float = _money("value on or after that date, to the end of the data")
    suppliers: Counterparties = Field(description="counterparties after that date")


class ListedCounterparty(Result):
    entity_id: str = Field(description="the listed counterparty's entity id")
    name: str = Field(description="its canonical name")
    list: str = Field(description="the list it matched")
    listing_date: dt.date = Field(description="its listing date")
    value_usd: float = _money("value traded with it in the period")
    value_usd_after_listing: float = _money("value traded with it on or after its listing")
    declarations_after_listing: int = Field(description="declarations after its listing")
    last_date: dt.date | None = Field(description="its last declaration after its listing")


class SourceFile(Result):
    file: str = Field(description="the ingested file")
    synthetic: bool = Field(description="SYNTHETIC sample data, not real records")
    lines: int = Field(description="declaration lines from the file in the figures")
    aggregate_rows: int = _AGGREGATE_ROWS


class Finding(Result):
    """A sentence of the exposure, with the declarations it rests on."""

    id: str = Field(description="stable id: total, origin:KR, event:invasion ...")
    text: str = Field(description="the finding in words; sums rounded down")
    value_usd: float = _money("the figure the sentence states")
    evidence: list[str] = Field(description="ids of the declarations behind it")


class ExposureResult(Result):
    """The exposure of ``tradetrace exposure --json`` (docs/exposure.md)."""

    target: TargetInfo = Field(description="the entity analysed")
    period: Period = Field(description="the days every figure covers")
    role: RoleName = Field(description="the target's side of the trade")
    total_usd: float = _money("value in the period")
    declarations: int = _DECLARATIONS
    lines: int = Field(description="declaration goods lines and bills of lading")
    aggregate_rows: int = _AGGREGATE_ROWS
    unvalued_lines: int = Field(description="rows without a USD value: counted, add nothing")
    unit_value_flagged: UnitValueFlagged = Field(
        description="how much of the total rests on unusual unit values"
    )
    by_year: list[YearRow] = Field(description="value per calendar year")
    by_origin_country: list[CountryRow] = Field(description="by country of origin")
    by_dispatch_country: list[CountryRow] = Field(description="by country of dispatch")
    by_supplier: list[CounterpartyRow] = Field(description="counterparties, largest first")
    by_category: list[CategoryRow] = Field(description="goods by category, largest first")
    events: list[EventResult] = Field(description="built-in and analyst events, by date")
    transshipment: list[TransshipmentRow] = Field(description="origin ≠ dispatch routes")
    chpl: list[ChplRow] = Field(description="goods on the Common High Priority List")
    country_groups: list[CountryGroupRow] = Field(description="value by country group")
    concentration: Concentration = Field(description="how concentrated the trade is")
    continued_after_designation: list[ContinuedAfterDesignation] = Field(
        description="per listing of the target: trade after it, to the end of the data"
    )
    listed_counterparties: list[ListedCounterparty] = Field(
        description="counterparties on a dated list, and trade with them after it"
    )
    categories: str = Field(description="the category map used")
    sources: list[SourceFile] = Field(description="the files behind the figures")
    synthetic: bool = Field(description="any file behind the figures is SYNTHETIC")
    findings: list[Finding] = Field(description="the exposure in sentences, with evidence")
    official_statistics: list[HubStatistics] = Field(
        default_factory=list,
        description="per dispatch country of the transshipment routes, its diversion ratios "
        "from `trade_flows`; empty when no statistics are loaded",
    )


class EntityMatch(Result):
    """A stored screening match of an entity, with the reasons for it."""

    entity_id: str = Field(description="the entity matched")
    list: str = Field(description="the list's name in the store")
    list_entity_id: str = Field(description="the entry's id on that list")
    list_name: str | None = Field(description="the entry's primary name")
    query_name: str | None = Field(description="the entity's spelling that was screened")
    matched_name: str | None = Field(description="the list's spelling that matched")
    score: float = Field(description="match score, 0-1")
    explanation: dict[str, Any] = Field(description="the score's features, as screened")
    listing_date: dt.date | None = Field(description="when the entry was listed")
    delisting_date: dt.date | None = Field(description="when it was delisted, if it was")
    listing_date_note: str | None = Field(description="how the listing date is known")
    programs: Texts | None = Field(description="sanctions programmes of the entry")


class EntityDetail(EntityRecord, Redirected):
    """One entity with its sanctions matches (``entities show``, ``GET /entities/{id}``)."""

    matches: list[EntityMatch] = Field(description="its screening matches, earliest listing first")
