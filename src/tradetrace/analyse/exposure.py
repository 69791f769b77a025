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
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

import ibis
import ibis.expr.types as ir

from tradetrace.analyse.categories import CategoryMap, HsNames, load_category_map
from tradetrace.analyse.findings import findings
from tradetrace.analyse.target import Target, find_target, listings_by_entity
from tradetrace.errors import InputError
from tradetrace.reference.chpl import chpl_table
from tradetrace.reference.country_groups import HUBS, country_groups
from tradetrace.reference.unit_values import (
    FACTOR,
    YARDSTICKS_TABLE,
    with_unit_value_flag,
    yardsticks,
)
from tradetrace.store import Store

__all__ = ["INVASION", "Event", "ExposureOptions", "exposure", "options_from", "parse_event"]

Role = Literal["importer", "exporter"]


@dataclass(frozen=True)
class Event:
    name: str
    date: dt.date
    source: str = "user"


#: Built into every exposure: Russia's full-scale invasion of Ukraine.
INVASION = Event("invasion", dt.date(2022, 2, 24), "built-in")


@dataclass(frozen=True)
class ExposureOptions:
    role: Role = "importer"
    start: dt.date | None = None
    end: dt.date | None = None
    events: tuple[Event, ...] = ()
    categories: CategoryMap = field(default_factory=load_category_map)


def parse_event(text: str) -> Event:
    """``NAME=YYYY-MM-DD`` → :class:`Event`."""
    name, sep, day = text.partition("=")
    if not sep or not name.strip() or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day.strip()):
        raise InputError(f"--event {text!r}: expected NAME=YYYY-MM-DD")
    try:
        return Event(name.strip(), dt.date.fromisoformat(day.strip()))
    except ValueError as exc:
        raise InputError(f"--event {text!r}: {exc}") from exc


def options_from(
    role: str = "importer",
    start: str | None = None,
    end: str | None = None,
    events: list[str] | None = None,
    categories: str | None = None,
) -> ExposureOptions:
    """Options from their text form (CLI, API), each checked with a one-line error."""
    if role not in ("importer", "exporter"):
        raise InputError(f"--role {role!r}: expected importer or exporter")
    return ExposureOptions(
        role=role,  # type: ignore[arg-type]
        start=_date_option(start, "--from"),
        end=_date_option(end, "--to"),
        events=tuple(parse_event(e) for e in events or ()),
        categories=load_category_map(categories),
    )


def _date_option(text: str | None, option: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise InputError(f"{option} {text!r}: expected a date as YYYY-MM-DD") from exc


def exposure(store: Store, target: str, options: ExposureOptions | None = None) -> dict:
    """The exposure JSON for ``target`` (an entity id, tax id or name)."""
    options = options or ExposureOptions()
    if options.start and options.end and options.start > options.end:
        raise InputError(f"--from {options.start} is after --to {options.end}")
    found = find_target(store, target)
    with store.cached(_target_lines(store, found.entity_id, options.role)) as lines:
        return _Exposure(store, found, options, lines).to_json()


def _target_lines(store: Store, entity_id: str, role: Role) -> ir.Table:
    d = store.table("resolved_declarations")
    own, other = (
        ("importer_entity_id", "exporter_entity_id")
        if role == "importer"
        else ("exporter_entity_id", "importer_entity_id")
    )
    mine = d.filter(d[own] == entity_id)
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
        party_id=mine[other],
        is_aggregate=mine.granularity == "month",
    )


def _usd(expr: ir.Table) -> ir.Scalar:
    return expr.value_usd.sum().fill_null(0.0)


def _declarations(t: ir.Table) -> ir.IntegerScalar:
    """Distinct customs declarations: a vendor's monthly aggregate row is not one."""
    return t.declaration_id.nunique(where=~t.is_aggregate).fill_null(0)


def _aggregate_rows(t: ir.Table) -> ir.IntegerScalar:
    """Monthly aggregate rows (vendor summaries), counted apart from declarations."""
    return t.is_aggregate.cast("int64").sum().fill_null(0)


def _distinct(column: ir.Column) -> ir.ArrayScalar:
    """The group's distinct non-null values, ``[]`` when it has none.

    Ibis skips nulls with ``FILTER (WHERE x IS NOT NULL)``, and DuckDB's ``ARRAY_AGG`` of
    no rows is NULL, not ``[]``: a supplier whose lines all lack an origin country (many
    vendor files have no origin column) would otherwise hand ``None`` to the caller.
    """
    empty = ibis.literal([], type=ibis.dtype(f"array<{column.type()}>"))
    return column.collect(distinct=True).fill_null(empty)


class _Exposure:
    """One computation; methods are the JSON sections, in the contract's order."""

    def __init__(self, store: Store, target: Target, options: ExposureOptions, lines: ir.Table):
        self.store = store
        self.target = target
        self.options = options
        self.all_lines = lines
        self.start, self.end = self._period()
        self.lines = lines.filter(lines.date.between(self.start, self.end)) if self.start else lines
        self.total = self._scalar(_usd(self.lines))
        self.parties = _Parties(store)

    def _scalar(self, expr: ir.Scalar):
        return self.store.to_arrow(expr).as_py()

    def _rows(self, expr: ir.Table) -> list[dict]:
        return self.store.to_arrow(expr).to_pylist()

    def _period(self) -> tuple[dt.date | None, dt.date | None]:
        bounds = self.all_lines.aggregate(
            lo=self.all_lines.date.min(), hi=self.all_lines.date.max()
        )
        [row] = self._rows(bounds)
        start = self.options.start or row["lo"]
        end = self.options.end or row["hi"]
        if start is None:  # no lines at all
            return self.options.start, self.options.end
        end = end or start
        if start > end:  # one bound given, and the target's data lie wholly beyond it
            return (start, start) if self.options.start else (end, end)
        return start, end

    def evidence(self, expr: ir.Table) -> list[str]:
        ids = expr.select("declaration_id").distinct().order_by("declaration_id")
        return [r["declaration_id"] for r in self._rows(ids)]

    def share(self, value: float, total: float | None = None) -> float:
        total = self.total if total is None else total
        return round(value / total, 4) if total else 0.0

    # -- sections ---------------------------------------------------------------------------

    def to_json(self) -> dict:
        suppliers = self.by_supplier(self.lines)
        origins = self.by_country(self.lines, "origin_country")
        result = {
            "target": self.target.to_json(),
            "period": {"from": _iso(self.start), "to": _iso(self.end)},
            "role": self.options.role,
            "total_usd": round(self.total, 2),
            "declarations": self._scalar(_declarations(self.lines)),
            "lines": self._scalar((~self.lines.is_aggregate).cast("int64").sum().fill_null(0)),
            "aggregate_rows": self._scalar(_aggregate_rows(self.lines)),
            "unvalued_lines": self._scalar((~self.lines.valued).sum().fill_null(0)),
            "unit_value_flagged": self.flagged(),
            "by_year": self.by_year(),
            "by_origin_country": origins,
            "by_dispatch_country": self.by_country(self.lines, "dispatch_country"),
            "by_supplier": suppliers,
            "by_category": self.by_category(self.lines),
            "events": [self.event(e) for e in self.events()],
            "transshipment": self.transshipment(),
            "chpl": self.chpl(),
            "country_groups": self.country_groups(),
            "concentration": {
                "hhi_supplier": _hhi(suppliers, "entity_id"),
                "hhi_country": _hhi(origins, "country"),
                "top_supplier_share": next((s["share"] for s in suppliers if s["entity_id"]), 0.0),
                "scale": "0-10000 (sum of squared percentage shares)",
            },
            "continued_after_designation": self.continued_after_designation(),
            "listed_counterparties": self.listed_counterparties(suppliers),
            "categories": self.options.categories.name,
            "sources": self.sources(),
        }
        result["synthetic"] = any(source["synthetic"] for source in result["sources"])
        result["findings"] = findings(result, self)
        return result

    def by_year(self) -> list[dict]:
        t = self.lines
        grouped = t.group_by(year=t.date.year()).aggregate(value_usd=_usd(t)).order_by("year")
        return [{**r, "value_usd": round(r["value_usd"], 2)} for r in self._rows(grouped)]

    def by_country(self, t: ir.Table, column: str, total: float | None = None) -> list[dict]:
        grouped = (
            t.group_by(country=t[column])
            .aggregate(
                value_usd=_usd(t), declarations=_declarations(t), aggregate_rows=_aggregate_rows(t)
            )
            .order_by([ibis.desc("value_usd"), "country"])
        )
        total = self.total if total is None else total
        return [
            {
                "country": r["country"],
                "value_usd": round(r["value_usd"], 2),
                "share": self.share(r["value_usd"], total),
                "declarations": r["declarations"],
                "aggregate_rows": r["aggregate_rows"],
            }
            for r in self._rows(grouped)
        ]

    def by_supplier(self, t: ir.Table) -> list[dict]:
        """Counterparties (suppliers of an importer, buyers of an exporter), largest first."""
        grouped = (
            t.group_by("party_id")
            .aggregate(
                value_usd=_usd(t),
                declarations=_declarations(t),
                aggregate_rows=_aggregate_rows(t),
                lines=(~t.is_aggregate).cast("int64").sum().fill_null(0),
                first_date=t.date.min(),
                last_date=t.date.max(),
                origins=_distinct(t.origin_country),
            )
            .order_by([ibis.desc("value_usd"), "party_id"])
        )
        rows = self._rows(grouped)
        info = self.parties.info([r["party_id"] for r in rows if r["party_id"]])
        total = self._scalar(_usd(t))
        return [
            {
                "entity_id": r["party_id"],
                "name": info.get(r["party_id"], {}).get("name") or "(party not declared)",
                "country": info.get(r["party_id"], {}).get("country"),
                "value_usd": round(r["value_usd"], 2),
                "declarations": r["declarations"],
                "aggregate_rows": r["aggregate_rows"],
                "first_date": _iso(r["first_date"]),
                "last_date": _iso(r["last_date"]),
                "share": self.share(r["value_usd"], total),
                "lines": r["lines"],
                "origin_countries": sorted(c for c in r["origins"] if c),
                "listings": info.get(r["party_id"], {}).get("listings", []),
            }
            for r in rows
        ]

    def by_category(self, t: ir.Table) -> list[dict]:
        grouped = t.group_by("hs6").aggregate(
            value_usd=_usd(t),
            declarations=_distinct(
                ibis.ifelse(t.is_aggregate, ibis.null("string"), t.declaration_id)
            ),
            aggregate_rows=_aggregate_rows(t),
        )
        names = self.hs_names
        categories: dict[str, dict] = {}
        for row in self._rows(grouped):
            label = self.options.categories.label(row["hs6"], names)
            entry = categories.setdefault(
                label,
                {"category": label, "hs_codes": [], "value_usd": 0.0, "_decl": set(), "_agg": 0},
            )
            entry["_agg"] += row["aggregate_rows"]
            entry["hs_codes"].append(row["hs6"] or "")
            entry["value_usd"] += row["value_usd"]
            entry["_decl"].update(row["declarations"])
        total = sum(c["value_usd"] for c in categories.values())
        ordered = sorted(categories.values(), key=lambda c: (-c["value_usd"], c["category"]))
        return [
            {
                "category": c["category"],
                "hs_codes": sorted(c["hs_codes"]),
                "value_usd": round(c["value_usd"], 2),
                "share": self.share(c["value_usd"], total),
                "declarations": len(c["_decl"]),
                "aggregate_rows": c["_agg"],
            }
            for c in ordered
        ]

    @cached_property
    def hs_names(self) -> HsNames:
        return HsNames.from_store(self.store)

    def events(self) -> list[Event]:
        designations = {}
        for listing in self.target.listings:
            if listing["listing_date"]:
                day = dt.date.fromisoformat(listing["listing_date"])
                name = f"designation:{listing['list']}"
                if name not in designations or day < designations[name].date:
                    designations[name] = Event(name, day, f"listing {listing['list_entity_id']}")
        chosen = [INVASION, *designations.values(), *self.options.events]
        unique = {e.name: e for e in chosen}  # a user event may override a built-in one
        return sorted(unique.values(), key=lambda e: (e.date, e.name))

    def event(self, event: Event) -> dict:
        t = self.lines
        before, after = t.filter(t.date < event.date), t.filter(t.date >= event.date)
        after_usd = self._scalar(_usd(after))
        suppliers_after = self.by_supplier(after)
        earlier = {r["party_id"] for r in self._rows(before.select("party_id").distinct())}
        brief = ("entity_id", "name", "country", "value_usd", "first_date", "last_date")
        return {
            "name": event.name,
            "date": event.date.isoformat(),
            "before_usd": round(self._scalar(_usd(before)), 2),
            "after_usd": round(after_usd, 2),
            "by_origin_after": [
                {k: r[k] for k in ("country", "value_usd", "share")}
                for r in self.by_country(after, "origin_country", after_usd)
            ],
            "suppliers_after": [{k: s[k] for k in brief} for s in suppliers_after],
            "new_suppliers_after": [
                {k: s[k] for k in brief}
                for s in suppliers_after
                if s["entity_id"] and s["entity_id"] not in earlier
            ],
            "source": event.source,
            "in_period": bool(self.start and self.start <= event.date <= self.end),
            "before_declarations": self._scalar(_declarations(before)),
            "after_declarations": self._scalar(_declarations(after)),
            "before_aggregate_rows": self._scalar(_aggregate_rows(before)),
            "after_aggregate_rows": self._scalar(_aggregate_rows(after)),
        }

    def transshipment(self) -> list[dict]:
        t = self.lines
        moved = t.filter(
            t.origin_country.notnull()
            & t.dispatch_country.notnull()
            & (t.origin_country != t.dispatch_country)
        )
        grouped = (
            moved.group_by(origin=moved.origin_country, dispatch=moved.dispatch_country)
            .aggregate(
                value_usd=_usd(moved),
                declarations=_declarations(moved),
                aggregate_rows=_aggregate_rows(moved),
            )
            .order_by([ibis.desc("value_usd"), "origin", "dispatch"])
        )
        return [
            {
                **r,
                "value_usd": round(r["value_usd"], 2),
                "hub": r["dispatch"] in HUBS,
                "share": self.share(r["value_usd"]),
            }
            for r in self._rows(grouped)
        ]

    def chpl_lines(self) -> ir.Table:
        chpl = ibis.memtable(chpl_table())
        t = self.lines
        return t.join(chpl, t.hs6 == chpl.hs6).select(t, chpl.tier, chpl.description)

    def chpl(self) -> list[dict]:
        t = self.chpl_lines()
        grouped = (
            t.group_by("tier", "hs6", "description")
            .aggregate(
                value_usd=_usd(t), declarations=_declarations(t), aggregate_rows=_aggregate_rows(t)
            )
            .order_by(["tier", ibis.desc("value_usd"), "hs6"])
        )
        return [{**r, "value_usd": round(r["value_usd"], 2)} for r in self._rows(grouped)]

    def country_groups(self) -> list[dict]:
        t = self.lines
        rows = []
        for group, members in country_groups(self.store).items():
            value = self._scalar(_usd(t.filter(t.origin_country.isin(sorted(members)))))
            dispatched = self._scalar(_usd(t.filter(t.dispatch_country.isin(sorted(members)))))
            rows.append(
                {
                    "group": group,
                    "value_usd": round(value, 2),
                    "share": self.share(value),
                    "basis": "origin country",
                    "dispatch_value_usd": round(dispatched, 2),
                }
            )
        return rows

    def sources(self) -> list[dict]:
        """The ingested files behind the figures, and whether they are SYNTHETIC."""
        t = self.lines
        runs = self.store.table("ingest_runs").select("ingest_id", "file", "synthetic")
        counted = t.group_by("ingest_id").aggregate(
            lines=(~t.is_aggregate).cast("int64").sum(), aggregate_rows=_aggregate_rows(t)
        )
        joined = counted.join(runs, "ingest_id").order_by("file")
        return self._rows(joined.select("file", "synthetic", "lines", "aggregate_rows"))

    def flagged(self) -> dict:
        """How much of the total rests on values far from their goods' usual unit value
        (see :mod:`reference.unit_values`): kept in every figure, but said."""
        t = self.lines.filter(self.lines.unit_value_flagged)
        [row] = self._rows(t.aggregate(value_usd=_usd(t), rows=t.count()))
        return {
            "value_usd": round(row["value_usd"], 2),
            "share": self.share(row["value_usd"]),
            "rows": row["rows"],
            "rule": f"value per kg (else per unit) over {FACTOR:g}x from its HS6's median",
        }

    def continued_after_designation(self) -> list[dict]:
        t = self.all_lines
        result = []
        for event in self.events():
            if not event.name.startswith("designation:"):
                continue
            after = t.filter(t.date >= event.date)
            result.append(
                {
                    "list": event.name.split(":", 1)[1],
                    "date": event.date.isoformat(),
                    "value_usd": round(self._scalar(_usd(after)), 2),
                    "suppliers": self.by_supplier(after),
                }
            )
        return result

    def listed_counterparties(self, suppliers: list[dict]) -> list[dict]:
        """Counterparties on a list with a date, and the trade with them after it."""
        t = self.lines
        rows = []
        for supplier in suppliers:
            for listing in supplier["listings"]:
                if not listing["listing_date"]:
                    continue
                after = t.filter(
                    (t.party_id == supplier["entity_id"])
                    & (t.date >= dt.date.fromisoformat(listing["listing_date"]))
                )
                stats = self._rows(
                    after.aggregate(
                        value=_usd(after),
                        declarations=_declarations(after),
                        last=after.date.max(),
                    )
                )[0]
                rows.append(
                    {
                        "entity_id": supplier["entity_id"],
                        "name": supplier["name"],
                        "list": listing["list"],
                        "listing_date": listing["listing_date"],
                        "value_usd": supplier["value_usd"],
                        "value_usd_after_listing": round(stats["value"], 2),
                        "declarations_after_listing": stats["declarations"],
                        "last_date": _iso(stats["last"]),
                    }
                )
        return rows


class _Parties:
    """Names, countries and listings of counterparties, fetched per batch of ids."""

    def __init__(self, store: Store):
        self.store = store

    def info(self, entity_ids: list[str]) -> dict[str, dict]:
        if not entity_ids:
            return {}
        e = self.store.table("entities")
        rows = self.store.to_arrow(
            e.filter(e.entity_id.isin(entity_ids)).select("entity_id", "name", "country")
        ).to_pylist()
        listings = listings_by_entity(self.store, entity_ids)
        return {
            r["entity_id"]: {
                **r,
                "listings": [
                    {"list": x["list"], "listing_date": x["listing_date"]}
                    for x in listings.get(r["entity_id"], [])
                ],
            }
            for r in rows
        }


def _hhi(rows: list[dict], key: str) -> float | None:
    """Herfindahl-Hirschman index on percentage shares: 10,000 = one supplier/country.

    Only rows whose ``key`` is declared count, each with its share of the whole total:
    lines without a supplier or an origin country are not one supplier or one country (a
    vendor file without an origin column would read as 10,000), and their value could be
    spread over any number of them, so leaving it out gives the least concentration the
    data allow, a lower bound like every sum here. ``None`` when nothing valued is declared.
    """
    known = [r for r in rows if r[key] is not None and r["value_usd"] > 0]
    if not known:
        return None
    return round(sum((r["share"] * 100) ** 2 for r in known), 1)


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None
