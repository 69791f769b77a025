"""The report's charts: Altair specs rendered to inline SVG on the server.

Rendering with vl-convert (no browser, no JavaScript, no network: ``allowed_base_urls`` is
empty) gives SVG that a browser, WeasyPrint and a printer all draw the same, and keeps
the report one self-contained file. Colours come from the report's :class:`Palette`, so a
country has one colour in every chart.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Mapping
from typing import Any, Literal

import altair as alt
import vl_convert

from tradetrace.analyse.diversion import FlowSeries, place
from tradetrace.formatting import money_compact
from tradetrace.report.colours import Palette
from tradetrace.report.labels import event_short

__all__ = ["flow_chart", "render_charts", "to_svg"]

WIDTH = 760
# DejaVu Sans comes first: `make system` installs it, so vl-convert lays the text out with
# the very glyphs WeasyPrint draws, and a browser without it falls back to a narrower face
# (Helvetica, Arial), so a right-aligned axis label never outgrows the chart's box. With
# Liberation Sans first, vl-convert measured its own built-in copy while WeasyPrint, finding
# none installed, drew the wider DejaVu Sans and cut the labels' first letters off.
# Noto CJK (also from `make system`) draws Hangul and Chinese names.
FONT = "DejaVu Sans, Noto Sans CJK KR, Noto Sans CJK SC, sans-serif"
INK = "#1f2328"
MUTED = "#57606a"
BAR = "#4a6fa5"
SEVERAL = "Several origins"
SEVERAL_HUE = "#6e7781"
MAX_BARS = 15
# $2.5M, $10M: short enough for an axis, exact figures are in the tables; SI's G is a
# billion in money, as the sentences write it ($1.6B)
USD_AXIS = alt.Axis(labelExpr="replace(format(datum.value, '$,.3~s'), 'G', 'B')")
CONFIG: dict[str, Any] = {
    "font": FONT,
    "background": "white",
    "padding": 8,
    "view": {"stroke": None},
    "title": {"anchor": "start", "fontSize": 14, "fontWeight": 600, "color": INK, "offset": 10},
    "axis": {
        "labelFontSize": 11,
        "titleFontSize": 11,
        "titleFontWeight": 600,
        "labelColor": MUTED,
        "titleColor": MUTED,
        "gridColor": "#eaeef2",
        "domainColor": "#8c959f",
        "tickColor": "#8c959f",
    },
    "legend": {"labelFontSize": 11, "titleFontSize": 11, "titleFontWeight": 600},
}


def render_charts(ctx: dict) -> dict[str, str]:
    """Every chart that has data, as inline SVG keyed by the name the templates use."""
    builders = {
        "years": year_chart,
        "events": event_chart,
        "suppliers": supplier_chart,
        "categories": category_chart,
    }
    charts = {name: build(ctx) for name, build in builders.items()}
    charts |= {f"flows-{s.partner}": flow_chart(s) for s in ctx.get("flow_series", [])}
    return {name: to_svg(chart, name) for name, chart in charts.items() if chart is not None}


def to_svg(chart: alt.TopLevelMixin, name: str) -> str:
    """SVG for inlining: ids made unique per chart, sized by CSS, labelled for readers."""
    spec = chart.configure(**CONFIG).to_dict()
    svg = vl_convert.vegalite_to_svg(spec, allowed_base_urls=[])
    # Vega hides overlapping axis labels with opacity 0; left in, a PDF's text layer would
    # hold labels no reader sees (a search for "$3M" finding nothing on the page).
    svg = re.sub(r'<text\b[^>]*\bopacity="0"[^>]*>[^<]*</text>', "", svg)
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{name}-\1"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{name}-\1)", svg)
    svg = re.sub(r'href="#([^"]+)"', rf'href="#{name}-\1"', svg)
    title = spec.get("title", {})
    label = title.get("text", name) if isinstance(title, dict) else str(title)
    return svg.replace(
        "<svg ", f'<svg role="img" aria-label="{_attr(label)}" class="chart chart-{name}" ', 1
    )


def _attr(text: str | list) -> str:
    text = " ".join(text) if isinstance(text, list) else text
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def _legend(labels: set[str]) -> alt.Legend:
    return alt.Legend(orient="bottom", columns=min(len(labels), 6), symbolType="square")


def _colour(palette: Palette, labels: set[str], extra: dict[str, str] | None = None) -> alt.Scale:
    domain, hues = palette.scale(labels)
    for label, hue in (extra or {}).items():
        if label in labels:
            domain.append(label)
            hues.append(hue)
    return alt.Scale(domain=domain, range=hues)


# -- imports by year, stacked by origin, with event lines ------------------------------------


def year_chart(ctx: dict) -> alt.LayerChart | None:
    """Yearly value stacked by origin country, with every event as a labelled rule.

    Years sit on a numeric axis (a bar spans its year) so that an event falls where its
    date is within the year; events outside the period are drawn dashed at the edge.
    """
    palette: Palette = ctx["palette"]
    rows = _year_rows(ctx["year_origin"], palette)
    if not rows:
        return None
    first = min(r["year"] for r in rows)
    last = max(r["year"] for r in rows)
    domain = [first, last + 1]
    labels = {r["origin"] for r in rows}
    marks = _event_marks(ctx["events"], first, last)
    headroom = 1.08 + 0.07 * len(marks)  # room above the bars for the event labels
    top = max(r["y1"] for r in rows) * headroom
    bars = (
        alt.Chart(alt.Data(values=rows))
        .mark_rect()
        .encode(
            x=alt.X(
                "x0:Q",
                title="Year",
                scale=alt.Scale(domain=domain, nice=False, zero=False),
                axis=alt.Axis(
                    values=[y + 0.5 for y in range(first, last + 1)],
                    labelExpr="floor(datum.value)",
                    grid=False,
                ),
            ),
            x2="x1:Q",
            y=alt.Y(
                "y0:Q",
                title="Value (USD)",
                scale=alt.Scale(domain=[0, top], nice=True),
                axis=USD_AXIS,
            ),
            y2="y1:Q",
            color=alt.Color(
                "origin:N",
                title="Country of origin",
                scale=_colour(palette, labels),
                legend=_legend(labels),
            ),
        )
    )
    layers = [bars, *_event_layers(marks)]
    trade = ctx["words"].trade
    # what alt.layer builds when no layer has a facet channel (it types a FacetChart too)
    return alt.LayerChart(layer=layers).properties(
        width=WIDTH,
        height=300,
        title=alt.Title(
            f"{trade} by year and country of origin",
            subtitle="Declared customs value in USD; vertical lines mark events",
            subtitleColor=MUTED,
        ),
    )


def _year_rows(rows: list[dict], palette: Palette) -> list[dict]:
    """Year × legend label, stacked here (y0..y1) in legend order, small origins folded."""
    order = {label: n for n, label in enumerate(palette.scale()[0])}
    summed: dict[tuple[int, str], float] = {}
    for r in rows:
        key = (r["year"], palette.label(r["origin"]))
        summed[key] = summed.get(key, 0.0) + (r["value_usd"] or 0.0)
    out: list[dict] = []
    base: dict[int, float] = {}
    for (year, label), value in sorted(summed.items(), key=lambda kv: (kv[0][0], order[kv[0][1]])):
        if value <= 0:
            continue
        y0 = base.get(year, 0.0)
        base[year] = y0 + value
        out.append(
            {
                "year": year,
                "x0": year + 0.1,
                "x1": year + 0.9,
                "y0": round(y0, 2),
                "y1": round(y0 + value, 2),
                "origin": label,
            }
        )
    return out


def _event_layers(marks: list[dict]) -> list[alt.Chart]:
    """A rule per event (dashed when outside the period) and its label beside it."""
    layers = []
    for dashed in (False, True):
        group = [m for m in marks if m["dashed"] == dashed]
        if group:
            layers.append(
                alt.Chart(alt.Data(values=group))
                .mark_rule(color=INK, strokeWidth=1.5, strokeDash=[4, 3] if dashed else [1, 0])
                .encode(x="pos:Q")
            )
    sides: list[tuple[Literal["left", "right"], int]] = [("left", 4), ("right", -4)]
    for align, dx in sides:
        group = [m for m in marks if m["align"] == align]
        if group:
            layers.append(
                alt.Chart(alt.Data(values=group))
                .mark_text(align=align, dx=dx, fontSize=11, fontWeight=600, color=INK)
                .encode(x="pos:Q", y=alt.Y("label_y:Q", scale=None), text="text:N")
            )
    return layers


def _event_marks(events: list[dict], first: int, last: int) -> list[dict]:
    """Rule positions (fractional years), staggered label rows; outsiders clamped, dashed."""
    marks = []
    for n, event in enumerate(events):
        day = dt.date.fromisoformat(event["date"])
        pos = day.year + (day.timetuple().tm_yday - 1) / (366 if calendar.isleap(day.year) else 365)
        text = event_short(event["name"], event["date"])
        if pos < first:
            pos, text = first, f"← {text}"
        elif pos > last + 1:
            pos, text = last + 1, f"{text} →"
        marks.append(
            {
                "pos": pos,
                "text": text,
                "dashed": not event["in_period"],
                "align": "left" if pos - first < (last + 1 - first) / 2 else "right",
                "label_y": 8 + 15 * n,
            }
        )
    return marks


# -- before / after each event -----------------------------------------------------------------


def event_chart(ctx: dict) -> alt.Chart | None:
    """Before vs after each in-period event, stacked by origin (before = period − after)."""
    palette: Palette = ctx["palette"]
    totals = {r.country: r.value_usd for r in ctx["x"].by_origin_country}
    order = palette.scale()[0]
    rows = []
    for event in ctx["events"]:
        if not event["in_period"]:
            continue
        after = {r["country"]: r["value_usd"] for r in event["by_origin_after"]}
        when = dt.date.fromisoformat(event["date"]).strftime("%-d %b %Y")
        label = event_short(event["name"], event["date"]).removesuffix(f" {when}")
        for side, values in (
            ("before", {c: v - after.get(c, 0.0) for c, v in totals.items()}),
            ("after", after),
        ):
            for country, value in values.items():
                if value > 0.005:
                    rows.append(
                        {
                            "bar": f"{label}: {side} {when}",
                            "origin": palette.label(country),
                            "value_usd": round(value, 2),
                            "rank": order.index(palette.label(country)),
                        }
                    )
    if not rows:
        return None
    bars = list(dict.fromkeys(r["bar"] for r in rows))
    labels = {r["origin"] for r in rows}
    return (
        alt.Chart(alt.Data(values=rows))
        .mark_bar(height={"band": 0.7})
        .encode(
            y=alt.Y("bar:N", title=None, sort=bars, axis=alt.Axis(labelLimit=260)),
            x=alt.X("sum(value_usd):Q", title="Value (USD)", axis=USD_AXIS),
            color=alt.Color(
                "origin:N",
                title="Country of origin",
                scale=_colour(palette, labels),
                legend=_legend(labels),
            ),
            order=alt.Order("rank:Q"),
        )
        .properties(
            width=WIDTH - 180,
            height=34 * len(bars),
            title=alt.Title(
                f"{ctx['words'].trade} before and after each event",
                subtitle="Within the report period; windows differ in length",
                subtitleColor=MUTED,
            ),
        )
    )


# -- suppliers and categories ----------------------------------------------------------------


def supplier_chart(ctx: dict) -> alt.LayerChart | None:
    """The largest counterparties, coloured by the origin of their goods."""
    palette: Palette = ctx["palette"]
    words = ctx["words"]
    suppliers = [s for s in ctx["x"].by_supplier if s.value_usd > 0]
    if not suppliers:
        return None
    rows = [
        {
            "name": s.name,
            "value_usd": s.value_usd,
            "origin": _supplier_origin(s.origin_countries, palette),
            "value_text": money_compact(s.value_usd),
        }
        for s in suppliers[:MAX_BARS]
    ]
    labels = {r["origin"] for r in rows}
    shown = "" if len(suppliers) <= MAX_BARS else f" (largest {MAX_BARS} of {len(suppliers)})"
    return _hbar(
        rows,
        title=f"{words.parties.capitalize()} by value{shown}",
        color=alt.Color(
            "origin:N",
            title="Origin of goods",
            scale=_colour(palette, labels, {SEVERAL: SEVERAL_HUE}),
            legend=_legend(labels),
        ),
    )


def _supplier_origin(countries: list[str], palette: Palette) -> str:
    """A supplier's colour: its one origin, "several", or unknown when none is declared."""
    if len(countries) > 1:
        return SEVERAL
    return palette.label(countries[0] if countries else None)


def category_chart(ctx: dict) -> alt.LayerChart | None:
    """Product categories by value (the category map's labels, largest first)."""
    categories = [c for c in ctx["x"].by_category if c.value_usd > 0]
    if not categories:
        return None
    rows = [
        {
            "name": c.category,
            "value_usd": c.value_usd,
            "value_text": money_compact(c.value_usd),
        }
        for c in categories[:MAX_BARS]
    ]
    rest = categories[MAX_BARS:]
    if rest:
        value = sum(c.value_usd for c in rest)
        rows.append(
            {
                "name": f"{len(rest)} other categories",
                "value_usd": value,
                "value_text": money_compact(value),
            }
        )
    return _hbar(
        rows, title=f"Product categories ({ctx['x'].categories} map)", color=alt.value(BAR)
    )


def _hbar(rows: list[dict], title: str, color: alt.Color | Mapping[str, Any]) -> alt.LayerChart:
    """Horizontal bars, longest first, each labelled with its value."""
    order = [r["name"] for r in rows]
    base = alt.Chart(alt.Data(values=rows)).encode(
        y=alt.Y("name:N", title=None, sort=order, axis=alt.Axis(labelLimit=280)),
        x=alt.X(
            "value_usd:Q",
            title="Value (USD)",
            axis=USD_AXIS,
            scale=alt.Scale(nice=True),
        ),
    )
    bars = base.mark_bar(height={"band": 0.72}).encode(color=color)
    text = base.mark_text(align="left", dx=4, fontSize=10.5, color=INK).encode(text="value_text:N")
    # what alt.layer builds when no layer has a facet channel (it types a FacetChart too)
    return alt.LayerChart(layer=[bars, text]).properties(
        width=WIDTH - 260, height=24 * len(rows), title=title
    )


# -- official statistics: a pair's monthly exports against the pre-war pattern -----------------


def flow_chart(series: FlowSeries) -> alt.LayerChart:
    """Monthly exports (solid), the trend-and-season model (dashed: fitted on the baseline,
    projected after it, with its 90% band shaded) and the invasion as a labelled rule."""
    rows = [
        {
            "month": p.month.isoformat(),
            "value": p.value_usd,
            "expected": p.expected_usd,
            "low": p.expected_low_usd,
            "high": p.expected_high_usd,
        }
        for p in series.months
    ]
    x = alt.X("month:T", title=None, axis=alt.Axis(format="%Y", tickCount="year", grid=False))
    y_axis = USD_AXIS
    base = alt.Chart(alt.Data(values=rows))
    band = (
        base.transform_filter("datum.low != null")
        .mark_area(color=BAR, opacity=0.15)
        .encode(x=x, y=alt.Y("low:Q", title="Exports per month (USD)", axis=y_axis), y2="high:Q")
    )
    expected = (
        base.transform_filter("datum.expected != null")
        .mark_line(color=MUTED, strokeDash=[5, 3], strokeWidth=1.5)
        .encode(x=x, y="expected:Q")
    )
    actual = base.mark_line(color=BAR, strokeWidth=2).encode(
        x=x, y=alt.Y("value:Q", title="Exports per month (USD)", axis=y_axis)
    )
    invasion = {"month": series.invasion.isoformat(), "text": "Invasion, 24 Feb 2022"}
    rule = alt.Chart(alt.Data(values=[invasion])).encode(x="month:T")
    layers = [
        band,
        expected,
        actual,
        rule.mark_rule(color="#c62828", strokeWidth=1.5, strokeDash=[4, 3]),
        rule.mark_text(align="right", dx=-4, dy=-4, fontSize=11, fontWeight=600, color=INK)
        .encode(y=alt.value(10), text="text:N"),
    ]  # fmt: skip
    reporter, partner = place(series.reporter), place(series.partner)
    subtitle = "Solid: exports. Dashed: the pre-war trend and season"
    if series.row is not None:
        subtitle += f" ({series.baseline.from_:%b %Y}–{series.baseline.to:%b %Y}), "
        subtitle += "projected with its 90% band"
    return alt.LayerChart(layer=layers).properties(
        width=WIDTH,
        height=240,
        title=alt.Title(
            f"{reporter[:1].upper()}{reporter[1:]}'s exports to {partner}, monthly",
            subtitle=subtitle,
            subtitleColor=MUTED,
        ),
    )
