"""A target's lines and the breakdowns both the exposure and its findings compute.

:class:`TradeLines` holds the target's lines (read once into a temporary table by
:func:`tradetrace.analyse.exposure.exposure`) and answers the questions the findings ask
again on a subset, such as "who supplied the goods of Korean origin": counterparties,
countries, categories, CHPL goods and the declarations behind a figure. Every figure is
an Ibis expression, so the same code runs on DuckDB and Spark. Values are the declared
customs values in USD; lines without one count as lines and add nothing.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from typing import Any

import ibis
import ibis.expr.types as ir

from tradetrace.analyse.categories import CategoryMap, HsNames
from tradetrace.analyse.results import CategoryRow, CounterpartyRow, CountryRow, ListingBrief
from tradetrace.analyse.target import listings_by_entity
from tradetrace.reference.chpl import chpl_table
from tradetrace.store import Store

__all__ = [
    "UNDECLARED_PARTY",
    "TradeLines",
    "aggregate_rows",
    "declarations",
    "line_count",
    "measures",
    "usd",
]

#: The name of the counterparty of lines that name none.
UNDECLARED_PARTY = "(party not declared)"


def usd(t: ir.Table) -> ir.Scalar:
    return t.value_usd.sum().fill_null(0.0)


def declarations(t: ir.Table) -> ir.IntegerScalar:
    """Distinct customs declarations: a vendor's monthly aggregate row is not one."""
    return t.declaration_id.nunique(where=~t.is_aggregate).fill_null(0)


def aggregate_rows(t: ir.Table) -> ir.IntegerScalar:
    """Monthly aggregate rows (vendor summaries), counted apart from declarations."""
    return t.is_aggregate.cast("int64").sum().fill_null(0)


def measures(t: ir.Table) -> dict[str, ir.Scalar]:
    """The three figures of every breakdown row: value, declarations, aggregate rows."""
    return {
        "value_usd": usd(t),
        "declarations": declarations(t),
        "aggregate_rows": aggregate_rows(t),
    }


def line_count(t: ir.Table) -> ir.IntegerScalar:
    """Declaration lines and bills of lading (aggregate rows apart)."""
    return (~t.is_aggregate).cast("int64").sum().fill_null(0)


def _distinct(column: ir.Column) -> ir.ArrayScalar:
    """The group's distinct non-null values, ``[]`` when it has none.

    Ibis skips nulls with ``FILTER (WHERE x IS NOT NULL)``, and DuckDB's ``ARRAY_AGG`` of
    no rows is NULL, not ``[]``: a supplier whose lines all lack an origin country (many
    vendor files have no origin column) would otherwise hand ``None`` to the caller.
    """
    empty = ibis.literal([], type=ibis.dtype(f"array<{column.type()}>"))
    return column.collect(distinct=True).fill_null(empty)


class TradeLines:
    """The target's lines in the period (``lines``) and in all the data (``all_lines``)."""

    def __init__(
        self,
        store: Store,
        all_lines: ir.Table,
        period: tuple[dt.date | None, dt.date | None],
        categories: CategoryMap,
    ):
        self.store = store
        self.all_lines = all_lines
        self.start, self.end = period
        self.lines = (
            all_lines.filter(all_lines.date.between(self.start, self.end))
            if self.start
            else all_lines
        )
        self.categories = categories
        self.total: float = self.scalar(usd(self.lines))

    def scalar(self, expr: ir.Scalar) -> Any:
        return self.store.to_arrow(expr).as_py()

    def rows(self, expr: ir.Table) -> list[dict]:
        return self.store.to_arrow(expr).to_pylist()

    def share(self, value: float, total: float | None = None) -> float:
        """``value`` as a fraction of ``total`` (the period's total by default)."""
        total = self.total if total is None else total
        return round(value / total, 4) if total else 0.0

    def evidence(self, t: ir.Table) -> list[str]:
        """The declaration ids behind a figure, sorted."""
        ids = t.select("declaration_id").distinct().order_by("declaration_id")
        return [r["declaration_id"] for r in self.rows(ids)]

    def by_country(self, t: ir.Table, column: str, total: float | None = None) -> list[CountryRow]:
        grouped = (
            t.group_by(country=t[column])
            .aggregate(**measures(t))
            .order_by([ibis.desc("value_usd"), "country"])
        )
        return [
            CountryRow(
                country=r["country"],
                value_usd=round(r["value_usd"], 2),
                share=self.share(r["value_usd"], total),
                declarations=r["declarations"],
                aggregate_rows=r["aggregate_rows"],
            )
            for r in self.rows(grouped)
        ]

    def by_counterparty(self, t: ir.Table) -> list[CounterpartyRow]:
        """Counterparties (suppliers of an importer, buyers of an exporter), largest first;
        shares are of ``t``'s own total."""
        grouped = (
            t.group_by("party_id")
            .aggregate(
                value_usd=usd(t),
                declarations=declarations(t),
                aggregate_rows=aggregate_rows(t),
                lines=line_count(t),
                first_date=t.date.min(),
                last_date=t.date.max(),
                origins=_distinct(t.origin_country),
            )
            .order_by([ibis.desc("value_usd"), "party_id"])
        )
        rows = self.rows(grouped)
        info = self._parties([r["party_id"] for r in rows if r["party_id"]])
        total = self.scalar(usd(t))
        return [
            CounterpartyRow(
                entity_id=r["party_id"],
                name=info.get(r["party_id"], {}).get("name") or UNDECLARED_PARTY,
                country=info.get(r["party_id"], {}).get("country"),
                value_usd=round(r["value_usd"], 2),
                declarations=r["declarations"],
                aggregate_rows=r["aggregate_rows"],
                first_date=r["first_date"],
                last_date=r["last_date"],
                share=self.share(r["value_usd"], total),
                lines=r["lines"],
                origin_countries=sorted(c for c in r["origins"] if c),
                listings=info.get(r["party_id"], {}).get("listings", []),
            )
            for r in rows
        ]

    def _parties(self, entity_ids: list[str]) -> dict[str, dict]:
        """Names, countries and listings of counterparties, fetched in one batch."""
        if not entity_ids:
            return {}
        e = self.store.table("entities")
        rows = self.rows(
            e.filter(e.entity_id.isin(entity_ids)).select("entity_id", "name", "country")
        )
        listings = listings_by_entity(self.store, entity_ids)
        return {
            r["entity_id"]: {
                **r,
                "listings": [
                    ListingBrief(list=x.list, listing_date=x.listing_date)
                    for x in listings.get(r["entity_id"], [])
                ],
            }
            for r in rows
        }

    def by_category(self, t: ir.Table) -> list[CategoryRow]:
        """Goods by the category map's labels, largest first; shares of ``t``'s total."""
        grouped = t.group_by("hs6").aggregate(
            value_usd=usd(t),
            declarations=_distinct(
                ibis.ifelse(t.is_aggregate, ibis.null("string"), t.declaration_id)
            ),
            aggregate_rows=aggregate_rows(t),
        )
        merged: dict[str, dict] = {}
        for row in self.rows(grouped):
            label = self.categories.label(row["hs6"], self.hs_names)
            entry = merged.setdefault(
                label, {"hs_codes": [], "value_usd": 0.0, "declarations": set(), "aggregates": 0}
            )
            entry["aggregates"] += row["aggregate_rows"]
            entry["hs_codes"].append(row["hs6"] or "")
            entry["value_usd"] += row["value_usd"]
            entry["declarations"].update(row["declarations"])
        total = sum(c["value_usd"] for c in merged.values())
        ordered = sorted(merged.items(), key=lambda item: (-item[1]["value_usd"], item[0]))
        return [
            CategoryRow(
                category=label,
                hs_codes=sorted(c["hs_codes"]),
                value_usd=round(c["value_usd"], 2),
                share=self.share(c["value_usd"], total),
                declarations=len(c["declarations"]),
                aggregate_rows=c["aggregates"],
            )
            for label, c in ordered
        ]

    @cached_property
    def hs_names(self) -> HsNames:
        return HsNames.from_store(self.store)

    def chpl_lines(self) -> ir.Table:
        """The lines whose HS6 is on the Common High Priority List, with its tier."""
        chpl = ibis.memtable(chpl_table())
        t = self.lines
        return t.join(chpl, t.hs6 == chpl.hs6).select(t, chpl.tier, chpl.description)

    def moved_lines(self) -> ir.Table:
        """Lines dispatched from a country other than the goods' origin (both declared)."""
        t = self.lines
        return t.filter(
            t.origin_country.notnull()
            & t.dispatch_country.notnull()
            & (t.origin_country != t.dispatch_country)
        )
