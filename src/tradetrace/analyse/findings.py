"""Findings: the exposure told in sentences, each pointing at its declarations.

The wording follows trade-journalism habits: customs data is partial, so sums are "at
least" and are rounded *down* ($34,049,999 is "at least $34.0M", never "$34.1M"; the
policy is in :mod:`tradetrace.formatting`); every sentence carries its period and its
share; list dates say when they are proxies.
"""

from __future__ import annotations

from collections.abc import Sequence

from tradetrace.analyse.breakdowns import TradeLines
from tradetrace.analyse.results import (
    ContinuedAfterDesignation,
    CounterpartyBrief,
    CounterpartyRow,
    CountryRow,
    EventResult,
    ExposureResult,
    Finding,
    ListedCounterparty,
)
from tradetrace.formatting import day, money_compact, period_text, plural, share_words
from tradetrace.formatting import hhi as hhi_text
from tradetrace.reference.countries import country_name
from tradetrace.roles import Role, role
from tradetrace.screen.lists.registry import list_authority

__all__ = ["EVENT_LABELS", "HHI_BANDS", "findings", "hhi_band", "records"]

EVENT_LABELS = {"invasion": "Russia's full-scale invasion of Ukraine"}
#: US merger-guideline bands for the Herfindahl-Hirschman index (0-10,000).
HHI_BANDS = (
    (2500, "highly concentrated"),
    (1500, "moderately concentrated"),
    (0, "unconcentrated"),
)


def hhi_band(value: float) -> str:
    """The merger-guideline band of an index."""
    return next(label for floor, label in HHI_BANDS if value >= floor)


def _names(rows: Sequence[CounterpartyRow | CounterpartyBrief], limit: int = 5) -> str:
    names = [r.name for r in rows[:limit]]
    if len(rows) > limit:
        names.append(f"{len(rows) - limit} others")
    return _join(names)


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def records(declarations: int, aggregate_rows: int = 0, word: str = "declaration") -> str:
    """``12 customs declarations``, ``40 monthly aggregate rows`` or both: a vendor's
    monthly summary row is never called a declaration."""
    parts = []
    if declarations or not aggregate_rows:
        parts.append(plural(declarations, word))
    if aggregate_rows:
        parts.append(plural(aggregate_rows, "monthly aggregate row"))
    return " and ".join(parts)


def _upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower(label: str) -> str:
    return label if label.startswith("HS") else label[:1].lower() + label[1:]


def findings(result: ExposureResult, trade: TradeLines) -> list[Finding]:
    """The findings of an exposure (without findings), in the report's order."""
    words = role(result.role)
    out = [_total(result, trade, words)]
    if result.total_usd > 0:
        out.extend(_top_origin(result, trade, words))
        out.extend(_event(result, trade, words, e) for e in result.events if _narrated(e))
        out.extend(
            _designation(result, trade, words, c) for c in result.continued_after_designation
        )
        out.extend(_listed_party(trade, words, p) for p in result.listed_counterparties)
        out.extend(_transshipment(result, trade))
        out.extend(_chpl(result, trade))
        out.extend(_concentration(result, trade, words))
    return out


def _declared(suppliers: list[CounterpartyRow]) -> list[CounterpartyRow]:
    """Counterparties with value that the declarations name: the lines whose other party is
    missing (many vendor files have no supplier column) are not one more supplier."""
    return [s for s in suppliers if s.entity_id and s.value_usd > 0]


def _main_origin(result: ExposureResult) -> CountryRow | None:
    """The largest *known* origin country: value without one may still be the largest."""
    return next((c for c in result.by_origin_country if c.country), None)


def _from_parties(suppliers: list[CounterpartyRow], words: Role, named: bool = False) -> str:
    """``from 4 suppliers`` (`` (A, B and C)`` when ``named``), or that none is named."""
    if not suppliers:
        return f"(no {words.party} named)"
    text = f"{words.from_to} {plural(len(suppliers), words.party)}"
    return f"{text} ({_names(suppliers)})" if named else text


def _finding(id_: str, text: str, value: float, evidence: list[str]) -> Finding:
    return Finding(id=id_, text=text, value_usd=round(value, 2), evidence=evidence)


def _who(result: ExposureResult) -> str:
    target = result.target
    extra = [a.name for a in target.aliases if a.script != "Latin" and a.name != target.name][:1]
    extra += [i.replace(":", " ").upper() for i in target.identifiers[:1]]
    return f"{target.name} ({', '.join(extra)})" if extra else target.name


def _total(result: ExposureResult, trade: TradeLines, words: Role) -> Finding:
    when = _upper(period_text(result.period.start, result.period.end))
    if not result.total_usd:
        text = (
            f"{when}, no declarations with {result.target.name} as {result.role} "
            "and a customs value are recorded."
        )
        return _finding("total", text, 0.0, trade.evidence(trade.lines))
    suppliers = _declared(result.by_supplier)
    origins = [c for c in result.by_origin_country if c.country and c.value_usd > 0]
    where = (
        f"with goods from {plural(len(origins), 'country')} of origin"
        if origins
        else "with no country of origin declared"
    )
    counted = records(result.declarations, result.aggregate_rows, "customs declaration")
    text = (
        f"{when}, {_who(result)} {words.traded} at least {money_compact(result.total_usd)} "
        f"of goods in {counted} {_from_parties(suppliers, words)}, {where}."
    )
    flagged = result.unit_value_flagged
    if flagged.value_usd:
        text += (
            f" {money_compact(flagged.value_usd)} of it ({share_words(flagged.share)}) rests "
            "on values far from their goods' usual unit value, which may be misdeclared or "
            "misread."
        )
    return _finding("total", text, result.total_usd, trade.evidence(trade.lines))


def _counts(rows: list[CounterpartyRow]) -> tuple[int, int]:
    """Declarations and monthly aggregate rows summed over breakdown rows."""
    return sum(r.declarations for r in rows), sum(r.aggregate_rows for r in rows)


def _top_origin(result: ExposureResult, trade: TradeLines, words: Role) -> list[Finding]:
    """The largest known origin, its suppliers and goods ([] when no origin is declared)."""
    top = _main_origin(result)
    if top is None or top.value_usd <= 0:
        return []
    lines = trade.lines.filter(trade.lines.origin_country == top.country)
    suppliers = _declared(trade.by_counterparty(lines))
    categories = trade.by_category(lines)[:4]
    covered = sum(c.share for c in categories)
    what = _join([_lower(c.category) for c in categories])
    text = (
        f"At least {money_compact(top.value_usd)} ({share_words(top.share)}) of it "
        f"originated in {country_name(top.country)}{',' if suppliers else ''} "
        f"{_from_parties(suppliers, words, named=True)}: "
        f"{'mainly' if covered >= 0.75 else 'including'} {what}."
    )
    return [_finding(f"origin:{top.country}", text, top.value_usd, trade.evidence(lines))]


def _narrated(event: EventResult) -> bool:
    return event.in_period and not event.name.startswith("designation:")


def _event(result: ExposureResult, trade: TradeLines, words: Role, event: EventResult) -> Finding:
    label = EVENT_LABELS.get(event.name, event.name)
    lines = trade.lines.filter(trade.lines.date >= event.date)
    until = day(result.period.end) if result.period.end else "the end of the data"
    if not event.after_usd:
        text = (
            f"No {words.trade.lower()} are recorded after {label} on {day(event.date)} "
            f"(up to {until})."
        )
        return _finding(f"event:{event.name}", text, 0.0, [])
    top = _main_origin(result)
    main = top.country if top else None
    after_main = next((c for c in event.by_origin_after if main and c.country == main), None)
    text = (
        f"{words.trade} continued after {label} on {day(event.date)}: at least "
        f"{money_compact(event.after_usd)} ({share_words(event.after_usd / result.total_usd)} "
        f"of the period's total) {words.moved} between then and {until}"
    )
    if after_main:
        text += f", {money_compact(after_main.value_usd)} of it originating in {country_name(main)}"
    text += "."
    new = event.new_suppliers_after
    if new:
        text += (
            f" {_upper(plural(len(new), words.party))} "
            f"{'appears' if len(new) == 1 else 'appear'} for the first time after it: "
            f"{_names(new)}."
        )
    return _finding(f"event:{event.name}", text, event.after_usd, trade.evidence(lines))


def _designation(
    result: ExposureResult, trade: TradeLines, words: Role, cont: ContinuedAfterDesignation
) -> Finding:
    listing = next(
        item
        for item in result.target.listings
        if item.list == cont.list and item.listing_date == cont.date
    )
    who, which = list_authority(cont.list)
    detail = [which] if which else []
    if listing.programs:
        detail.append(f"programme {', '.join(listing.programs)}")
    text = f"{result.target.name} was designated by {who}"
    text += f" ({', '.join(detail)})" if detail else ""
    text += f" on {day(cont.date)}."
    if listing.listing_date_note:
        text += f" Listing date: {listing.listing_date_note}."
    after = trade.all_lines.filter(trade.all_lines.date >= cont.date)
    suppliers = [s for s in cont.suppliers if s.value_usd > 0]
    if not suppliers:
        text += f" No {words.trade.lower()} involving it are recorded after that date."
        return _finding(f"designation:{cont.list}", text, 0.0, [])
    parties = [_dated_party(s) for s in _declared(suppliers)[:5]]
    if any(not s.entity_id for s in suppliers):
        parties.append(f"{words.parties} not named in the declarations")
    verb = "still delivered" if words.party == "supplier" else "still bought"
    text += (
        f" After that date {_join(parties)} {verb} at least {money_compact(cont.value_usd)} "
        f"of goods in {records(*_counts(suppliers))}."
    )
    return _finding(f"designation:{cont.list}", text, cont.value_usd, trade.evidence(after))


def _listed_party(trade: TradeLines, words: Role, party: ListedCounterparty) -> Finding:
    who, _ = list_authority(party.list)
    text = f"{party.name}, a {words.party}, was listed by {who} on {day(party.listing_date)}"
    lines = trade.lines.filter(
        (trade.lines.party_id == party.entity_id) & (trade.lines.date >= party.listing_date)
    )
    if party.value_usd_after_listing > 0 and party.last_date:
        text += (
            f"; at least {money_compact(party.value_usd_after_listing)} in "
            f"{plural(party.declarations_after_listing, 'declaration')} "
            f"{'came from' if words.party == 'supplier' else 'went to'} it after that date, "
            f"the last on {day(party.last_date)}."
        )
    else:
        text += "; no trade with it is recorded after that date in this period."
    return _finding(
        f"listed:{party.entity_id}:{party.list}",
        text,
        party.value_usd_after_listing,
        trade.evidence(lines),
    )


def _dated_party(party: CounterpartyRow) -> str:
    """``HANBIT AUTOTECH (South Korea, last on 24 September 2024)``; no country if unknown."""
    origins = party.origin_countries
    country = party.country or (origins[0] if len(origins) == 1 else None)
    where = f"{country_name(country)}, " if country else ""
    last = day(party.last_date) if party.last_date else "date unknown"
    return f"{party.name} ({where}last on {last})"


def _transshipment(result: ExposureResult, trade: TradeLines) -> list[Finding]:
    routes = result.transshipment
    if not routes:
        return []
    value = sum(r.value_usd for r in routes)
    shown = _join(
        [
            f"goods from {country_name(r.origin)} via {country_name(r.dispatch)} "
            f"({money_compact(r.value_usd)})"
            for r in routes[:3]
        ]
    )
    hubs = sorted({country_name(r.dispatch) for r in routes if r.hub})
    counted = records(sum(r.declarations for r in routes), sum(r.aggregate_rows for r in routes))
    text = (
        f"At least {money_compact(value)} ({share_words(value / result.total_usd)}) in "
        f"{counted} was dispatched from a country other than the goods' origin, including "
        f"{shown}."
    )
    if hubs:
        text += (
            f" {_join(hubs)} {'is' if len(hubs) == 1 else 'are'} on the transshipment watch list."
        )
    return [_finding("transshipment", text, value, trade.evidence(trade.moved_lines()))]


def _chpl(result: ExposureResult, trade: TradeLines) -> list[Finding]:
    rows = result.chpl
    if not rows:
        return []
    value = sum(r.value_usd for r in rows)
    codes = _join([f"HS {r.hs6} ({r.tier}, {money_compact(r.value_usd)})" for r in rows[:4]])
    text = (
        f"At least {money_compact(value)} ({share_words(value / result.total_usd)}) was in "
        f"goods on the Common High Priority List of battlefield-relevant items (version of 23 "
        f"February 2024): {codes}."
    )
    return [_finding("chpl", text, value, trade.evidence(trade.chpl_lines()))]


def _concentration(result: ExposureResult, trade: TradeLines, words: Role) -> list[Finding]:
    """The largest named counterparty and the HHIs ([] when no counterparty is named)."""
    suppliers = _declared(result.by_supplier)
    hhi = result.concentration
    if not suppliers or hhi.hhi_supplier is None:
        return []
    top = suppliers[0]
    by_country = (
        f"by origin country {hhi_text(hhi.hhi_country)}"
        if hhi.hhi_country is not None
        else "no origin country declared"
    )
    text = (
        f"The largest {words.party}, {top.name}, accounts for {share_words(top.share)} of the "
        f"value; by {words.party} the trade is {hhi_band(hhi.hhi_supplier)} "
        f"(HHI {hhi_text(hhi.hhi_supplier)}; {by_country})."
    )
    unnamed = sum(s.share for s in result.by_supplier if not s.entity_id)
    if unnamed > 0:
        text += f" {_upper(share_words(unnamed))} of the value has no {words.party} named."
    lines = trade.lines.filter(trade.lines.party_id == top.entity_id)
    return [_finding("concentration", text, top.value_usd, trade.evidence(lines))]
