"""Exposure of one target: who supplied it, from where, what, and what changed after events.

Every figure is an Ibis expression over ``resolved_declarations`` (so the same code runs
on DuckDB and Spark). The target's lines are read once into a temporary table and every
breakdown is a small query over it. Values are the declared customs values in USD at the
declaration date; lines without a USD value count as lines but add nothing.

Scope rules (also in the report's methodology):

* ``period`` bounds every figure, including each event's before/after windows: *before*
  is [from, event), *after* is [event, to]. Without ``--from``/``--to`` the period is the
  target's first to last declaration.
* ``continued_after_designation`` is the exception: deliveries after the target's own
  listing date are read to the end of the data, because the question it answers is
  whether deliveries ever stopped.
* "New" suppliers after an event are those with no delivery in the period before it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import ibis
import ibis.expr.types as ir

from tradetrace.analyse.breakdowns import (
    TradeLines,
    aggregate_rows,
    declarations,
    line_count,
    measures,
    usd,
)
from tradetrace.analyse.categories import CategoryMap, load_category_map
from tradetrace.analyse.diversion import (
    AFTER_INVASION,
    EU27,
    INVASION_DAY,
    PRE_WAR,
    DiversionRow,
    Window,
    diversion,
)
from tradetrace.analyse.findings import findings
from tradetrace.analyse.results import (
    ChplRow,
    Concentration,
    ContinuedAfterDesignation,
    CounterpartyBrief,
    CounterpartyRow,
    CountryGroupRow,
    CountryRow,
    EventOriginRow,
    EventResult,
    ExposureResult,
    HubRatio,
    HubStatistics,
    ListedCounterparty,
    Period,
    SourceFile,
    TransshipmentRow,
    UnitValueFlagged,
    YearRow,
)
from tradetrace.analyse.target import Target, find_target
from tradetrace.dates import parse_date
from tradetrace.errors import InputError
from tradetrace.reference.country_groups import HUBS, country_groups
from tradetrace.reference.unit_values import (
    FACTOR,
    YARDSTICKS_TABLE,
    with_unit_value_flag,
    yardsticks,
)
from tradetrace.roles import IMPORTER, Role, role
from tradetrace.store import Store
from tradetrace.store.catalogue import TRADE_FLOWS

__all__ = ["INVASION", "Event", "ExposureOptions", "exposure", "options_from", "parse_event"]


@dataclass(frozen=True)
class Event:
    name: str
    date: dt.date
    source: str = "user"


#: Built into every exposure: Russia's full-scale invasion of Ukraine.
INVASION = Event("invasion", INVASION_DAY, "built-in")


@dataclass(frozen=True)
class ExposureOptions:
    #: The target's side of the trade (a :class:`Role`, or its name).
    role: Role = IMPORTER
    start: dt.date | None = None
    end: dt.date | None = None
    events: tuple[Event, ...] = ()
    categories: CategoryMap = field(default_factory=load_category_map)

    def __post_init__(self) -> None:
        object.__setattr__(self, "role", role(self.role))


def parse_event(text: str) -> Event:
    """``NAME=YYYY-MM-DD`` → :class:`Event`."""
    name, sep, day = text.partition("=")
    if not sep or not name.strip():
        raise InputError(f"--event {text!r}: expected NAME=YYYY-MM-DD")
    return Event(name.strip(), parse_date(day, "--event", shown=text))


def options_from(
    role: str = "importer",
    start: str | None = None,
    end: str | None = None,
    events: list[str] | None = None,
    categories: str | None = None,
) -> ExposureOptions:
    """Options from their text form (CLI, API), each checked with a one-line error."""
    return ExposureOptions(
        role=role,  # type: ignore[arg-type]  # __post_init__ makes it a Role
        start=_date_option(start, "--from"),
        end=_date_option(end, "--to"),
        events=tuple(parse_event(e) for e in events or ()),
        categories=load_category_map(categories),
    )


def _date_option(text: str | None, option: str) -> dt.date | None:
    """None when the option is not given; an empty text is a bad date, as in the API."""
    return None if text is None else parse_date(text, option)


def exposure(store: Store, target: str, options: ExposureOptions | None = None) -> ExposureResult:
    """The exposure of ``target`` (an entity id, tax id or name)."""
    options = options or ExposureOptions()
    if options.start and options.end and options.start > options.end:
        raise InputError(f"--from {options.start} is after --to {options.end}")
    found = find_target(store, target)
    with store.cached(_target_lines(store, found.entity_id, options.role)) as lines:
        return _Exposure(store, found, options, lines).result()


def _target_lines(store: Store, entity_id: str, role: Role) -> ir.Table:
    d = store.table("resolved_declarations")
    mine = d.filter(d[role.entity_column] == entity_id)
    if store.has_table(YARDSTICKS_TABLE):
        sticks = store.table(YARDSTICKS_TABLE)
    else:  # a store resolved by an older tradetrace
        peers = store.table("declarations")
        sticks = yardsticks(peers.filter(peers.hs6.isin(mine.select("hs6").distinct().hs6)))
    mine = with_unit_value_flag(mine, sticks)
    return mine.select(
        "declaration_id",
        "date",
        "origin_country",
        "dispatch_country",
        "hs6",
        "ingest_id",
        "unit_value_flagged",
        value_usd=mine.value_usd.fill_null(0.0),
        valued=mine.value_usd.notnull(),
        party_id=mine[role.counterpart_column],
        is_aggregate=mine.granularity == "month",
    )


class _Exposure:
    """One computation; methods are the result's sections."""

    def __init__(self, store: Store, target: Target, options: ExposureOptions, lines: ir.Table):
        self.store = store
        self.target = target
        self.options = options
        self.trade = TradeLines(store, lines, self._period(lines), options.categories)
        self.lines = self.trade.lines

    def _period(self, lines: ir.Table) -> tuple[dt.date | None, dt.date | None]:
        bounds = lines.aggregate(lo=lines.date.min(), hi=lines.date.max())
        [row] = self.store.to_arrow(bounds).to_pylist()
        start = self.options.start or row["lo"]
        end = self.options.end or row["hi"]
        if start is None:  # no lines at all
            return self.options.start, self.options.end
        end = end or start
        if start > end:  # one bound given, and the target's data lie wholly beyond it
            return (start, start) if self.options.start else (end, end)
        return start, end

    def result(self) -> ExposureResult:
        trade, t = self.trade, self.lines
        suppliers = trade.by_counterparty(t)
        origins = trade.by_country(t, "origin_country")
        sources = self.sources()
        facts = ExposureResult(
            target=self.target.info(),
            period=Period(start=trade.start, end=trade.end),
            role=self.options.role.name,
            total_usd=round(trade.total, 2),
            declarations=trade.scalar(declarations(t)),
            lines=trade.scalar(line_count(t)),
            aggregate_rows=trade.scalar(aggregate_rows(t)),
            unvalued_lines=trade.scalar((~t.valued).sum().fill_null(0)),
            unit_value_flagged=self.flagged(),
            by_year=self.by_year(),
            by_origin_country=origins,
            by_dispatch_country=(dispatched := trade.by_country(t, "dispatch_country")),
            by_supplier=suppliers,
            by_category=trade.by_category(t),
            events=[self.event(e) for e in self.events()],
            transshipment=(routes := self.transshipment()),
            chpl=self.chpl(),
            country_groups=self.country_groups(),
            concentration=Concentration(
                hhi_supplier=_hhi([(s.entity_id, s.value_usd, s.share) for s in suppliers]),
                hhi_country=_hhi([(c.country, c.value_usd, c.share) for c in origins]),
                top_supplier_share=next((s.share for s in suppliers if s.entity_id), 0.0),
                scale="0-10000 (sum of squared percentage shares)",
            ),
            continued_after_designation=self.continued_after_designation(),
            listed_counterparties=self.listed_counterparties(suppliers),
            categories=self.options.categories.name,
            sources=sources,
            synthetic=any(source.synthetic for source in sources),
            findings=[],
            official_statistics=self.official_statistics(routes, dispatched),
        )
        return facts.model_copy(update={"findings": findings(facts, trade)})

    def by_year(self) -> list[YearRow]:
        t = self.lines
        grouped = t.group_by(year=t.date.year()).aggregate(value_usd=usd(t)).order_by("year")
        return [
            YearRow(year=r["year"], value_usd=round(r["value_usd"], 2))
            for r in self.trade.rows(grouped)
        ]

    def events(self) -> list[Event]:
        designations: dict[str, Event] = {}
        for listing in self.target.listings:
            if listing.listing_date:
                day = listing.listing_date
                name = f"designation:{listing.list}"
                if name not in designations or day < designations[name].date:
                    designations[name] = Event(name, day, f"listing {listing.list_entity_id}")
        chosen = [INVASION, *designations.values(), *self.options.events]
        unique = {e.name: e for e in chosen}  # a user event may override a built-in one
        return sorted(unique.values(), key=lambda e: (e.date, e.name))

    def event(self, event: Event) -> EventResult:
        trade, t = self.trade, self.lines
        before, after = t.filter(t.date < event.date), t.filter(t.date >= event.date)
        after_usd = trade.scalar(usd(after))
        suppliers_after = [_brief(s) for s in trade.by_counterparty(after)]
        earlier = {r["party_id"] for r in trade.rows(before.select("party_id").distinct())}
        return EventResult(
            name=event.name,
            date=event.date,
            before_usd=round(trade.scalar(usd(before)), 2),
            after_usd=round(after_usd, 2),
            by_origin_after=[
                EventOriginRow(country=r.country, value_usd=r.value_usd, share=r.share)
                for r in trade.by_country(after, "origin_country", after_usd)
            ],
            suppliers_after=suppliers_after,
            new_suppliers_after=[
                s for s in suppliers_after if s.entity_id and s.entity_id not in earlier
            ],
            source=event.source,
            in_period=bool(trade.start and trade.end and trade.start <= event.date <= trade.end),
            before_declarations=trade.scalar(declarations(before)),
            after_declarations=trade.scalar(declarations(after)),
            before_aggregate_rows=trade.scalar(aggregate_rows(before)),
            after_aggregate_rows=trade.scalar(aggregate_rows(after)),
        )

    def transshipment(self) -> list[TransshipmentRow]:
        moved = self.trade.moved_lines()
        grouped = (
            moved.group_by(origin=moved.origin_country, dispatch=moved.dispatch_country)
            .aggregate(**measures(moved))
            .order_by([ibis.desc("value_usd"), "origin", "dispatch"])
        )
        return [
            TransshipmentRow(
                **{**r, "value_usd": round(r["value_usd"], 2)},
                hub=r["dispatch"] in HUBS,
                share=self.trade.share(r["value_usd"]),
            )
            for r in self.trade.rows(grouped)
        ]

    def official_statistics(
        self, routes: list[TransshipmentRow], dispatched: list[CountryRow]
    ) -> list[HubStatistics]:
        """Each country goods were sent from by way of a route (origin elsewhere) or that is
        on the hub watch list, with the EU-27's diversion ratio to it and that of each of
        the routes' origins that reports to Comext (docs/stats.md): whether the country's
        role as a hub shows in the national figures, not only in this target's."""
        via: dict[str, list[TransshipmentRow]] = {}
        for route in routes:  # largest first, so are each country's origins
            via.setdefault(route.dispatch, []).append(route)
        countries = {  # largest first
            row.country: row.value_usd
            for row in dispatched
            if row.country and (row.country in via or row.country in HUBS) and row.value_usd > 0
        }
        if not countries or not self.store.has_table(TRADE_FLOWS):
            return []
        origins = sorted({r.origin for r in routes})
        found = diversion(self.store, list(countries), PRE_WAR, AFTER_INVASION, [EU27, *origins])
        rows = {(r.reporter, r.partner): r for r in found.rows}
        out = []
        for hub, value in countries.items():
            through = via.get(hub, [])
            reporters = [(EU27, "eu27"), *[(r.origin, "origin") for r in through]]
            ratios = [
                _hub_ratio(rows[(reporter, hub)], basis, found.after)
                for reporter, basis in reporters
                if (reporter, hub) in rows
            ]
            out.append(
                HubStatistics(
                    hub=hub,
                    watch_list=hub in HUBS,
                    value_usd=value,
                    origins=[r.origin for r in through],
                    ratios=ratios,
                    rerouted_usd=round(sum(r.value_usd for r in through), 2),
                )
            )
        return out

    def chpl(self) -> list[ChplRow]:
        t = self.trade.chpl_lines()
        grouped = (
            t.group_by("tier", "hs6", "description")
            .aggregate(**measures(t))
            .order_by(["tier", ibis.desc("value_usd"), "hs6"])
        )
        return [
            ChplRow(**{**r, "value_usd": round(r["value_usd"], 2)})
            for r in self.trade.rows(grouped)
        ]

    def country_groups(self) -> list[CountryGroupRow]:
        trade, t = self.trade, self.lines
        rows = []
        for group, members in country_groups(self.store).items():
            value = trade.scalar(usd(t.filter(t.origin_country.isin(sorted(members)))))
            dispatched = trade.scalar(usd(t.filter(t.dispatch_country.isin(sorted(members)))))
            rows.append(
                CountryGroupRow(
                    group=group,
                    value_usd=round(value, 2),
                    share=trade.share(value),
                    basis="origin country",
                    dispatch_value_usd=round(dispatched, 2),
                )
            )
        return rows

    def sources(self) -> list[SourceFile]:
        """The ingested files behind the figures, and whether they are SYNTHETIC."""
        t = self.lines
        runs = self.store.table("ingest_runs").select("ingest_id", "file", "synthetic")
        counted = t.group_by("ingest_id").aggregate(
            lines=line_count(t), aggregate_rows=aggregate_rows(t)
        )
        joined = counted.join(runs, "ingest_id").order_by("file")
        rows = self.trade.rows(joined.select("file", "synthetic", "lines", "aggregate_rows"))
        return [SourceFile(**r) for r in rows]

    def flagged(self) -> UnitValueFlagged:
        """How much of the total rests on values far from their goods' usual unit value
        (see :mod:`reference.unit_values`): kept in every figure, but said."""
        t = self.lines.filter(self.lines.unit_value_flagged)
        [row] = self.trade.rows(t.aggregate(value_usd=usd(t), rows=t.count()))
        return UnitValueFlagged(
            value_usd=round(row["value_usd"], 2),
            share=self.trade.share(row["value_usd"]),
            rows=row["rows"],
            rule=f"value per kg (else per unit) over {FACTOR:g}x from its HS6's median",
        )

    def continued_after_designation(self) -> list[ContinuedAfterDesignation]:
        t = self.trade.all_lines
        result = []
        for event in self.events():
            if not event.name.startswith("designation:"):
                continue
            after = t.filter(t.date >= event.date)
            result.append(
                ContinuedAfterDesignation(
                    list=event.name.split(":", 1)[1],
                    date=event.date,
                    value_usd=round(self.trade.scalar(usd(after)), 2),
                    suppliers=self.trade.by_counterparty(after),
                )
            )
        return result

    def listed_counterparties(self, suppliers: list[CounterpartyRow]) -> list[ListedCounterparty]:
        """Counterparties on a list with a date, and the trade with them after it."""
        t = self.lines
        rows = []
        for supplier in suppliers:
            for listing in supplier.listings:
                if not listing.listing_date or supplier.entity_id is None:
                    continue
                after = t.filter(
                    (t.party_id == supplier.entity_id) & (t.date >= listing.listing_date)
                )
                [stats] = self.trade.rows(
                    after.aggregate(
                        value=usd(after), declarations=declarations(after), last=after.date.max()
                    )
                )
                rows.append(
                    ListedCounterparty(
                        entity_id=supplier.entity_id,
                        name=supplier.name,
                        list=listing.list,
                        listing_date=listing.listing_date,
                        value_usd=supplier.value_usd,
                        value_usd_after_listing=round(stats["value"], 2),
                        declarations_after_listing=stats["declarations"],
                        last_date=stats["last"],
                    )
                )
        return rows


def _hub_ratio(row: DiversionRow, basis: str, after: Window) -> HubRatio:
    """The part of a diversion row the exposure carries (the whole row: `flows diversion`)."""
    return HubRatio(
        reporter=row.reporter,
        basis=basis,
        ratio=row.ratio,
        baseline_usd_per_month=row.baseline_usd_per_month,
        after_usd_per_month=row.after_usd_per_month,
        excess_usd=row.excess_usd,
        excess_low_usd=row.excess_low_usd,
        excess_high_usd=row.excess_high_usd,
        after=after,
        evidence=row.evidence,
        reporter_name=row.reporter_name,
    )


def _brief(row: CounterpartyRow) -> CounterpartyBrief:
    return CounterpartyBrief(
        **row.model_dump(include=set(CounterpartyBrief.model_fields)),
    )


def _hhi(rows: list[tuple[str | None, float, float]]) -> float | None:
    """Herfindahl-Hirschman index on percentage shares: 10,000 = one supplier/country.

    ``rows`` are (key, value, share). Only rows whose key is declared count, each with
    its share of the whole total: lines without a supplier or an origin country are not
    one supplier or one country (a vendor file without an origin column would read as
    10,000), and their value could be spread over any number of them, so leaving it out
    gives the least concentration the data allow, a lower bound like every sum here.
    ``None`` when nothing valued is declared.
    """
    known = [share for key, value, share in rows if key is not None and value > 0]
    if not known:
        return None
    return round(sum((share * 100) ** 2 for share in known), 1)
