"""Everything a report template shows, gathered once from the exposure and the store.

The templates only lay out and format; the choices (which events are drawn, which lines
illustrate a finding, how a match is explained) are made here, once for HTML, PDF and
Markdown alike.
"""

from __future__ import annotations

import datetime as dt

from tradetrace.analyse.diversion import AFTER_INVASION, PRE_WAR, FlowSeries, series
from tradetrace.analyse.findings import hhi_band
from tradetrace.analyse.results import ContinuedAfterDesignation, EventResult, ExposureResult
from tradetrace.analyse.target import entity_matches
from tradetrace.formatting import (
    ADDS_UP_NOTE,
    money,
    period_text,
    share,
    whole_dollar_grid,
    whole_dollars,
)
from tradetrace.reference.country_groups import HUBS
from tradetrace.reference.unit_values import FACTOR
from tradetrace.report import queries
from tradetrace.report.colours import Palette
from tradetrace.report.labels import event_label, event_short, explain_match, list_label, slug
from tradetrace.roles import role
from tradetrace.store import Store
from tradetrace.store.catalogue import TRADE_FLOWS
from tradetrace.version import __version__

__all__ = ["EVIDENCE_SAMPLE", "FLOW_CHARTS", "build_context"]

#: Declarations per finding shown line by line; all ids are listed regardless.
EVIDENCE_SAMPLE = 5
#: Hubs (largest first) whose monthly series is charted in the official-statistics section.
FLOW_CHARTS = 3
#: Where each country group comes from (``reference/country_groups.py`` has the detail).
GROUP_SOURCES = {
    "EU": "the 27 member states since 1 February 2020",
    "G7": "Canada, France, Germany, Italy, Japan, the United Kingdom, the United States",
    "coalition": (
        "the US and the partners BIS exempts from its Russia export controls "
        "(15 CFR 746, Supplement No. 3)"
    ),
    "EAEU": "Eurasian Economic Union: Armenia, Belarus, Kazakhstan, Kyrgyzstan, Russia",
    "unfriendly": (
        "Russia's Order 430-r list as encoded in the imported reference file "
        "(a hackathon encoding, not the legal text)"
    ),
}


def build_context(
    store: Store, exposure: ExposureResult, generated: dt.datetime | None = None
) -> dict:
    """The template context: the exposure plus the store's extra figures and explanations."""
    generated = generated or dt.datetime.now(dt.UTC).replace(microsecond=0)
    palette = Palette.for_exposure(exposure)
    year_origin = queries.year_by_origin(store, exposure)
    return {
        "x": exposure,
        "words": role(exposure.role),
        "palette": palette,
        "period_words": period_text(exposure.period.start, exposure.period.end),
        "aliases": _aliases(exposure),
        "findings": _findings(exposure),
        "events": _events(exposure),
        "year_origin": year_origin,
        "year_table": _year_table(year_origin, palette),
        "hhi_bands": {
            "hhi_supplier": _hhi_band(exposure.concentration.hhi_supplier),
            "hhi_country": _hhi_band(exposure.concentration.hhi_country),
        },
        "matrix": _matrix(queries.origin_dispatch(store, exposure)),
        "after_designation": [_after_designation(c) for c in exposure.continued_after_designation],
        "adds_up_note": ADDS_UP_NOTE,
        "sanctions": _sanctions(store, exposure),
        "evidence": _evidence(store, exposure),
        "hubs": HUBS,
        "statistics_loaded": store.has_table(TRADE_FLOWS),
        "flow_series": _flow_series(store, exposure),
        "group_sources": GROUP_SOURCES,
        "methodology": _methodology(exposure),
        "version": __version__,
        "generated": generated.isoformat().replace("+00:00", "Z"),
    }


def _flow_series(store: Store, exposure: ExposureResult) -> list[FlowSeries]:
    """The monthly series behind the first ratio of each of the largest hubs covered."""
    covered = [h for h in exposure.official_statistics if h.ratios][:FLOW_CHARTS]
    return [series(store, h.ratios[0].reporter, h.hub, PRE_WAR, AFTER_INVASION) for h in covered]


def _aliases(exposure: ExposureResult) -> list:
    """Aliases other than the canonical name (which the title already shows)."""
    return [a for a in exposure.target.aliases if a.name != exposure.target.name]


def _findings(exposure: ExposureResult) -> list[dict]:
    return [
        {**f.model_dump(), "number": n, "slug": slug(f.id), "anchor": f"evidence-{slug(f.id)}"}
        for n, f in enumerate(exposure.findings, start=1)
    ]


def _events(exposure: ExposureResult) -> list[dict]:
    """Events with their labels, and where a chart should draw them (dates as ISO text)."""
    start, end = exposure.period.start, exposure.period.end
    out = []
    for event in exposure.events:
        if event.in_period:
            placement = "inside"
        elif start and event.date < start:
            placement = "before"
        else:
            placement = "after"
        out.append(
            {
                **event.to_json(),
                **_rates(event, start, end),
                "label": event_label(event.name),
                "short": event_short(event.name, event.date.isoformat()),
                "placement": placement,
            }
        )
    return out


def _rates(event: EventResult, start: dt.date | None, end: dt.date | None) -> dict:
    """Value per year before and after an in-period event: the windows differ in length."""
    if not (event.in_period and start and end):
        return {"per_year_before": None, "per_year_after": None}
    before_years = (event.date - start).days / 365.25
    after_years = ((end - event.date).days + 1) / 365.25
    return {
        "per_year_before": event.before_usd / before_years if before_years else None,
        "per_year_after": event.after_usd / after_years if after_years else None,
    }


def _year_table(rows: list[dict], palette: Palette) -> dict:
    """Year × origin (the chart's legend labels as columns), with the year's total, in
    whole dollars that add up across and down (see :func:`whole_dollar_grid`)."""
    years: dict[int, dict[str, float]] = {}
    for r in rows:
        cells = years.setdefault(r["year"], {})
        label = palette.label(r["origin"])
        cells[label] = cells.get(label, 0.0) + (r["value_usd"] or 0.0)
    used = {label for cells in years.values() for label, v in cells.items() if v}
    columns = [label for label in palette.scale()[0] if label in used]
    ordered = sorted(years.items())
    grid = whole_dollar_grid([[cells.get(c, 0.0) for c in columns] for _, cells in ordered])
    return {
        "columns": columns,
        "totals": {c: sum(row[i] for row in grid) for i, c in enumerate(columns)},
        "total": sum(map(sum, grid)),
        "colours": dict(zip(*palette.scale(), strict=True)),
        "rows": [
            {"year": year, "cells": dict(zip(columns, row, strict=True)), "total": sum(row)}
            for (year, _), row in zip(ordered, grid, strict=True)
        ],
    }


def _hhi_band(value: float | None) -> str:
    """The merger-guideline band; the exposure gives no index when nothing is declared."""
    return "not measurable: none declared" if value is None else hhi_band(value)


def _matrix(rows: list[dict]) -> dict:
    """Origin (rows) × dispatch (columns), both ordered by value, with hub columns flagged,
    in whole dollars that add up across and down (see :func:`whole_dollar_grid`)."""
    origins = _ranked(rows, "origin")
    dispatches = _ranked(rows, "dispatch")
    found = {(r["origin"], r["dispatch"]): r for r in rows}
    grid = whole_dollar_grid(
        [
            [found[o, d]["value_usd"] if (o, d) in found else 0.0 for d in dispatches]
            for o in origins
        ]
    )
    cells = {
        (o, d): {**found[o, d], "value_usd": grid[i][j]}
        for i, o in enumerate(origins)
        for j, d in enumerate(dispatches)
        if (o, d) in found
    }
    return {
        "origins": origins,
        "dispatches": dispatches,
        "cells": cells,
        "peak": max((r["value_usd"] for r in rows), default=0.0),
        "hub": {d: d in HUBS for d in dispatches},
        "row_total": {o: sum(grid[i]) for i, o in enumerate(origins)},
        "col_total": {d: sum(row[j] for row in grid) for j, d in enumerate(dispatches)},
        "total": sum(map(sum, grid)),
    }


def _after_designation(continued: ContinuedAfterDesignation) -> dict:
    """A designation's counterparties after it, in whole dollars adding up to its total."""
    values = whole_dollars([s.value_usd for s in continued.suppliers], continued.value_usd)
    return {
        "suppliers": list(zip(continued.suppliers, values, strict=True)),
        "total": sum(values),
    }


def _ranked(rows: list[dict], key: str) -> list[str | None]:
    totals: dict[str | None, float] = {}
    for r in rows:
        totals[r[key]] = totals.get(r[key], 0.0) + r["value_usd"]
    return sorted(totals, key=lambda k: (-totals[k], k or "~"))


def _sanctions(store: Store, exposure: ExposureResult) -> dict:
    """The target's matches and every listed counterparty's, each explained in words."""
    target_id = exposure.target.entity_id
    listed = [s for s in exposure.by_supplier if s.listings and s.entity_id]
    rows = [
        {**m.model_dump(), "why": explain_match(m.explanation), "designated_by": list_label(m.list)}
        for m in entity_matches(store, [target_id, *(s.entity_id for s in listed if s.entity_id)])
    ]
    after = exposure.listed_counterparties
    parties = [
        {
            **s.model_dump(),
            "matches": [r for r in rows if r["entity_id"] == s.entity_id],
            "after": [a for a in after if a.entity_id == s.entity_id],
        }
        for s in listed
    ]
    return {
        "target": [r for r in rows if r["entity_id"] == target_id],
        "parties": parties,
        "screened_parties": len(exposure.by_supplier),
    }


def _evidence(store: Store, exposure: ExposureResult) -> list[dict]:
    """Per finding: all its declaration ids, and the first few read line by line."""
    sample = {f.id: f.evidence[:EVIDENCE_SAMPLE] for f in exposure.findings}
    lines = queries.evidence_lines(store, exposure, [i for ids in sample.values() for i in ids])
    by_declaration: dict[str, list[dict]] = {}
    for line in lines:
        by_declaration.setdefault(line["declaration_id"], []).append(line)
    return [
        {
            **f.model_dump(),
            "number": n,
            "anchor": f"evidence-{slug(f.id)}",
            "sample": [line for i in sample[f.id] for line in by_declaration.get(i, [])],
            "sampled": len(sample[f.id]),
        }
        for n, f in enumerate(exposure.findings, start=1)
    ]


def _methodology(exposure: ExposureResult) -> list[dict]:
    """The caveats a reader needs, as plain sentences (docs/exposure.md has the detail)."""
    hubs = ", ".join(HUBS.values())
    flagged = exposure.unit_value_flagged
    extra = []
    if exposure.aggregate_rows:
        extra.append((
            "Monthly aggregates",
            f"{exposure.aggregate_rows:,} of the rows behind these figures are a trade-data "
            "vendor's monthly aggregates (one row per importer, supplier, goods code and month, "
            "dated the first of its month), not customs declarations: they are counted apart, "
            "dates are known to the month only, and a figure built on them cannot be traced to "
            "single declarations.",
        ))  # fmt: skip
    if flagged.rows:
        extra.append((
            "Unusual unit values",
            f"{flagged.rows:,} rows worth {money(flagged.value_usd)} "
            f"({share(flagged.share)} of the total) have a value per kilogram (else per "
            f"unit) more than {FACTOR:g} times above or below the median of their HS subheading "
            "in the store: a currency misread, a typo or a unit price summed as a total is "
            "likely. They are kept in every figure.",
        ))  # fmt: skip
    items = [
        *extra,
        (
            "Coverage",
            "Customs records are partial: a declaration absent from the data is not a shipment "
            'that did not happen. Every sum is therefore a lower bound ("at least"), and '
            "figures are rounded down: to $0.1M in the findings, to the dollar in the tables. "
            "A table with a total row (by year, origin × dispatch, after a designation) rounds "
            "its cells so that they add up to the total printed: each is rounded down, then the "
            "dollars left over go to the cells with the largest remainders, so a cell may read "
            "one dollar above its own rounded-down value.",
        ),
        (
            "Values",
            "Values are the declared customs value in USD (declared, or converted at the ECB "
            "reference rate of the declaration date, else HMRC's monthly customs rate). Rows "
            "without a USD value (a currency with no rate, or none named) count as rows and add "
            f"nothing ({exposure.unvalued_lines:,} such rows here).",
        ),
        (
            "Scope",
            "The period bounds every figure. Each event splits it: before is [from, event), "
            "after is [event, to]; a supplier is new after an event when it has no delivery "
            "in the period before it. The one exception is the table of deliveries after the "
            "target's designation, which reads to the end of the data.",
        ),
        (
            "Events",
            "Built in: Russia's full-scale invasion of Ukraine (24 February 2022) and, for "
            "every list that matched the target when screened, its earliest listing date on "
            "that list. Analysts may add events; an event outside the period is drawn at the "
            "chart's edge and leaves one side of its comparison empty.",
        ),
        (
            "Listing dates",
            "OFAC's lists carry no dates: tradetrace uses the first snapshot in which an entry "
            "appears (a proxy, usually the designation date or one day later); entries already "
            "on the first snapshot have an unknown date. UK, UN and EU lists carry their own "
            "dates. Each listing above shows its date note.",
        ),
        (
            "Matching",
            "Parties are resolved across scripts into entities, then screened against the "
            "loaded lists: an equal tax id, OGRN or IMO decides; otherwise the name similarity "
            "with country and entity-type adjustments must reach the threshold (0.85 by "
            "default). A match is a lead to verify, not a legal determination.",
        ),
        (
            "Country groups",
            "By country of origin, with the value by dispatch country beside it. Membership is "
            "current, not as of the declaration date. The unfriendly-countries group is a "
            "hackathon encoding of Russia's Order 430-r, not the legal text.",
        ),
        (
            "Transshipment",
            "Lines whose origin differs from the dispatch country. The hub flag marks dispatch "
            f"from the analyst's watch list compiled from FinCEN/BIS joint alerts (2022, 2023) "
            f"and the EU's anti-circumvention work ({hubs}); it is a pointer to read the "
            "declarations, not a finding of evasion by itself.",
        ),
        (
            "Categories and CHPL",
            f"Categories follow the {exposure.categories!r} map of HS prefixes (longest prefix "
            "wins). CHPL goods are HS6 codes on the Common High Priority List of 2024-02-23.",
        ),
        (
            "Concentration",
            "Herfindahl-Hirschman index on percentage shares (0-10,000), by supplier and by "
            "origin country, read with the US merger-guideline bands. Only named suppliers and "
            "declared origins count: value without one could be spread over any number of "
            "them, so the index is a lower bound.",
        ),
    ]
    if exposure.synthetic:
        items.insert(
            0,
            (
                "SYNTHETIC data",
                "The declarations behind this report come from the SYNTHETIC sample generated "
                "by tradetrace sample (real HS and country codes, fictional suppliers, a "
                "scenario modelled on published figures). They are not real customs records "
                "and must not be cited as such.",
            ),
        )
    return [{"title": title, "text": text} for title, text in items]
