"""Diversion: exports to Russia's neighbours against what their pre-war pattern projected.

For each reporter (an EU member, or the EU-27) and partner (Kazakhstan, Kyrgyzstan,
Armenia, Georgia, Uzbekistan …), the monthly exports of the baseline window are fitted
with a trend and a season (:mod:`.baseline`), projected over the window after, and set
against what was exported:

* ``baseline_usd_per_month``: the projection's monthly mean over the window after: what
  the pre-war pattern says trade would have been then, without the war;
* ``after_usd_per_month``: what it was; ``ratio``: the one over the other;
* ``excess_usd``: the sum over the window after of exports less projection, with a 90%
  band (``excess_low_usd``, ``excess_high_usd``) from the baseline's bootstrap.

The series are read from ``trade_flows`` (``tradetrace stats load``) with one Ibis
expression, so DuckDB and Spark give the same rows; the fit runs on the few hundred
numbers per pair in Python. Findings are worded as the exposure findings are.

:func:`series` gives one pair month by month (exports, the model's values and band) for
the charts; an exposure's context from official statistics (``analyse/exposure.py``) reads
the rows of the countries its goods were dispatched from.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import ibis
from pydantic import Field

from tradetrace.analyse.baseline import Fit, Projection, fit
from tradetrace.errors import InputError, NotFoundError
from tradetrace.formatting import country_label, money_compact
from tradetrace.result import Result
from tradetrace.stats.codes import is_country
from tradetrace.stats.load import current_flows
from tradetrace.store import Store

__all__ = [
    "AFTER_INVASION",
    "AGGREGATE_NAMES",
    "EU27",
    "INVASION_DAY",
    "PRE_WAR",
    "DiversionResult",
    "DiversionRow",
    "FlowFinding",
    "FlowSeries",
    "MonthPoint",
    "Window",
    "YearRatio",
    "diversion",
    "parse_window",
    "place",
    "series",
]

#: The windows used when none is given (the CLI's and the API's defaults, the exposure's
#: context, the dashboard): three pre-war years, and every month from the first full one
#: after the invasion (``None``: up to the latest loaded).
PRE_WAR: tuple[dt.date, dt.date | None] = (dt.date(2019, 1, 1), dt.date(2021, 12, 1))
AFTER_INVASION: tuple[dt.date, dt.date | None] = (dt.date(2022, 3, 1), None)
#: The line the charts draw.
INVASION_DAY = dt.date(2022, 2, 24)

#: A finding is written for a pair whose exports after were at least this many times the
#: projection, whose excess is above zero across its whole band, and whose year's excess
#: is at least this much (a ratio over a near-zero baseline is large and means little).
FINDING_RATIO = 2.0
FINDING_MIN_USD = 10_000_000.0


class Window(Result):
    """A span of months, both ends included (``to`` null: up to the last month loaded)."""

    from_: dt.date = Field(alias="from", description="first month (its first day)")
    to: dt.date | None = Field(description="last month (its first day); null: the latest")


class YearRatio(Result):
    """One calendar year of a pair: exports, the projection for them, their ratio."""

    year: int = Field(description="the calendar year")
    value_usd: float = Field(description="exports in the year's months loaded, USD")
    baseline_usd: float = Field(
        description="the baseline model's value for the same months (in-sample for baseline years)"
    )
    ratio: float | None = Field(description="value over baseline; null when it is 0")
    months: int = Field(description="months of the year with a figure")
    evidence: list[str] = Field(description="the year's `trade_flows` rows, as `file#row`")


class DiversionRow(Result):
    """One reporter–partner pair."""

    reporter: str = Field(description="ISO2, or an aggregate's code (EU27_2020 …)")
    partner: str = Field(description="ISO2 of the destination")
    baseline_usd_per_month: float = Field(
        description="the trend-and-season projection's monthly mean over the window after"
    )
    after_usd_per_month: float = Field(description="exports' monthly mean over the window after")
    ratio: float | None = Field(description="after over baseline; null when baseline is 0")
    excess_usd: float = Field(description="exports less projection, summed over the window after")
    excess_low_usd: float = Field(description="5th percentile of the excess (bootstrap)")
    excess_high_usd: float = Field(description="95th percentile of the excess (bootstrap)")
    baseline_months: int = Field(description="baseline months with a figure")
    after_months: int = Field(description="months after with a figure")
    by_year: list[YearRatio] = Field(description="per calendar year, baseline years included")
    evidence: list[str] = Field(
        description="the `trade_flows` rows of the window after, as `file#row`"
    )
    reporter_name: str = Field(description="the reporter in words (Germany, EU-27)")
    partner_name: str = Field(description="the partner in words")
    aggregate: bool = Field(
        description="the reporter is a group of countries (EU27_2020, EA20 …), not a country"
    )


class FlowFinding(Result):
    """A sentence about one pair, with the rows it rests on."""

    id: str = Field(description="stable id: `diversion:DE:KG:2023`")
    text: str = Field(description="the finding in words; sums rounded down")
    reporter: str = Field(description="the reporter")
    partner: str = Field(description="the partner")
    year: int = Field(description="the year the sentence is about")
    value_usd: float = Field(description="the excess the sentence states, USD")
    evidence: list[str] = Field(description="the `trade_flows` rows of that year, `file#row`")


class DiversionResult(Result):
    """``tradetrace flows diversion --json`` (docs/stats.md)."""

    baseline: Window = Field(description="the months the pattern is fitted on")
    after: Window = Field(description="the months compared with its projection")
    rows: list[DiversionRow] = Field(description="one per pair, the largest excess first")
    findings: list[FlowFinding] = Field(description="pairs whose exports clearly rose")


class MonthPoint(Result):
    """One month of a pair: what was exported, and what the pre-war pattern gives."""

    month: dt.date = Field(description="the month (its first day)")
    value_usd: float = Field(description="exports in the month, USD")
    expected_usd: float | None = Field(
        description="the model's value: fitted for a baseline month, projected for a month "
        "after; null for a month in neither window"
    )
    expected_low_usd: float | None = Field(
        description="5th percentile of the projection (months after only)"
    )
    expected_high_usd: float | None = Field(
        description="95th percentile of the projection (months after only)"
    )
    evidence: list[str] = Field(description="the month's `trade_flows` rows, as `file#row`")


class FlowSeries(Result):
    """``tradetrace flows series --json``: one pair month by month, for its chart."""

    reporter: str = Field(description="ISO2, or an aggregate's code (EU27_2020 …)")
    partner: str = Field(description="ISO2 of the destination")
    baseline: Window = Field(description="the months the pattern is fitted on")
    after: Window = Field(description="the months compared with its projection")
    invasion: dt.date = Field(description="the day the charts mark: 2022-02-24")
    row: DiversionRow | None = Field(
        description="the pair's diversion row; null when its baseline is too short to fit"
    )
    months: list[MonthPoint] = Field(description="every month loaded, oldest first")


def parse_window(text: str, option: str) -> tuple[dt.date, dt.date | None]:
    """``2019-01:2021-12`` or ``2022-03:`` (open end) → first days of the two months."""
    start, sep, end = text.partition(":")
    if not sep:
        raise InputError(f"{option}: {text!r} is not FROM:TO (YYYY-MM:YYYY-MM, TO may be empty)")

    def month(part: str) -> dt.date:
        try:
            return dt.date.fromisoformat(part.strip() + "-01")
        except ValueError:
            raise InputError(f"{option}: {part!r} is not a month (YYYY-MM)") from None

    first = month(start)
    last = month(end) if end.strip() else None
    if last is not None and last < first:
        raise InputError(f"{option}: {text!r} ends before it starts")
    return first, last


#: Eurostat's code of the EU-27 (from 2020) as a reporter.
EU27 = "EU27_2020"
#: How the sentences name the aggregates a finding may be about.
AGGREGATE_NAMES = {EU27: "the EU-27"}


def place(code: str, article: bool = True) -> str:
    """A reporter or partner in words: the country's name, or the aggregate's ("the EU-27"
    in a sentence, "EU-27" in a table cell: ``article=False``)."""
    if is_country(code):
        return country_label(code)
    name = AGGREGATE_NAMES.get(code, code)
    return name if article else name.removeprefix("the ")


def diversion(
    store: Store,
    partners: Sequence[str],
    baseline: tuple[dt.date, dt.date | None],
    after: tuple[dt.date, dt.date | None],
    reporters: Sequence[str] | None = None,
) -> DiversionResult:
    """Each reporter's monthly exports to each of ``partners``, against its projection."""
    if baseline[1] is None:
        raise InputError("--baseline: give its last month (YYYY-MM:YYYY-MM)")
    pairs, last_month = _monthly(store, partners, reporters)
    end = after[1] or last_month
    found = [
        fitted.row()
        for (reporter, partner), months in sorted(pairs.items())
        if (fitted := _fit_pair(reporter, partner, months, baseline, (after[0], end))) is not None
    ]
    found.sort(key=lambda r: (-r.excess_usd, r.reporter, r.partner))
    return DiversionResult(
        baseline=Window(from_=baseline[0], to=baseline[1]),
        after=Window(from_=after[0], to=end),
        rows=found,
        findings=_findings(found, baseline),
    )


def series(
    store: Store,
    reporter: str,
    partner: str,
    baseline: tuple[dt.date, dt.date | None] = PRE_WAR,
    after: tuple[dt.date, dt.date | None] = AFTER_INVASION,
) -> FlowSeries:
    """One pair month by month: exports, and the model's values and band where it has them."""
    if baseline[1] is None:
        raise InputError("--baseline: give its last month (YYYY-MM:YYYY-MM)")
    pairs, last_month = _monthly(store, [partner], [reporter])
    months = pairs.get((reporter, partner))
    if not months:
        raise NotFoundError(
            f"no monthly exports from {reporter} to {partner} in trade_flows "
            "(`tradetrace stats` lists what is loaded)"
        )
    end = after[1] or last_month
    fitted = _fit_pair(reporter, partner, months, baseline, (after[0], end))
    return FlowSeries(
        reporter=reporter,
        partner=partner,
        baseline=Window(from_=baseline[0], to=baseline[1]),
        after=Window(from_=after[0], to=end),
        invasion=INVASION_DAY,
        row=fitted.row() if fitted else None,
        months=fitted.points() if fitted else [_point(m, None) for m in months],
    )


def _monthly(
    store: Store, partners: Sequence[str], reporters: Sequence[str] | None
) -> tuple[dict[tuple[str, str], list[dict]], dt.date | None]:
    """Each pair's months (oldest first, with their rows as evidence), and the last month
    loaded for any of them: one query, the same on every engine."""
    f = current_flows(store)
    f = f.filter(
        (f.flow == "export") & (f.frequency == "month") & (f.product_level == "total")
        & f.partner.isin(list(partners)) & f.value_usd.notnull()
    )  # fmt: skip
    if reporters:
        f = f.filter(f.reporter.isin(list(reporters)))
    rows = store.to_arrow(
        f.group_by(["reporter", "partner", "period_start"]).aggregate(
            value_usd=f.value_usd.sum(),
            evidence=(f.source_file + ibis.literal("#") + f.source_row.cast("string")).collect(),
        )
    ).to_pylist()
    pairs: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: r["period_start"]):
        pairs[(row["reporter"], row["partner"])].append(row)
    return pairs, max((r["period_start"] for r in rows), default=None)


@dataclass(frozen=True)
class _FittedPair:
    """One pair's months split by window, its baseline model and its projection."""

    reporter: str
    partner: str
    months: list[dict]
    before: list[dict]
    later: list[dict]
    model: Fit
    projection: Projection

    def row(self) -> DiversionRow:
        projection, later = self.projection, self.later
        actual = sum(m["value_usd"] for m in later)
        expected = float(projection.values.sum())
        n = len(later)
        by_year: dict[int, _Year] = defaultdict(_Year)
        for m, value in zip(self.before, self.model.in_sample(), strict=True):
            by_year[m["period_start"].year].add(m, float(value))
        for m, value in zip(later, projection.values, strict=True):
            by_year[m["period_start"].year].add(m, float(value))
        return DiversionRow(
            reporter=self.reporter,
            partner=self.partner,
            baseline_usd_per_month=round(expected / n, 2),
            after_usd_per_month=round(actual / n, 2),
            ratio=round(actual / expected, 3) if expected > 0 else None,
            excess_usd=round(actual - expected, 2),
            excess_low_usd=round(actual - projection.total_high, 2),
            excess_high_usd=round(actual - projection.total_low, 2),
            baseline_months=len(self.before),
            after_months=n,
            by_year=[y.result(year) for year, y in sorted(by_year.items())],
            evidence=sorted(e for m in later for e in m["evidence"]),
            reporter_name=place(self.reporter, article=False),
            partner_name=place(self.partner, article=False),
            aggregate=not is_country(self.reporter),
        )

    def points(self) -> list[MonthPoint]:
        """Every month, with the model's value where a window has one."""
        model: dict[dt.date, tuple[float, float | None, float | None]] = {
            m["period_start"]: (float(v), None, None)
            for m, v in zip(self.before, self.model.in_sample(), strict=True)
        }
        p = self.projection
        for m, v, lo, hi in zip(self.later, p.values, p.low, p.high, strict=True):
            model[m["period_start"]] = (float(v), float(lo), float(hi))
        return [_point(m, model.get(m["period_start"])) for m in self.months]


def _point(month: dict, model: tuple[float, float | None, float | None] | None) -> MonthPoint:
    value, low, high = model or (None, None, None)
    return MonthPoint(
        month=month["period_start"],
        value_usd=round(month["value_usd"], 2),
        expected_usd=None if value is None else round(value, 2),
        expected_low_usd=None if low is None else round(low, 2),
        expected_high_usd=None if high is None else round(high, 2),
        evidence=sorted(month["evidence"]),
    )


def _fit_pair(
    reporter: str,
    partner: str,
    months: list[dict],
    baseline: tuple[dt.date, dt.date | None],
    after: tuple[dt.date, dt.date | None],
) -> _FittedPair | None:
    """One pair fitted; None when its baseline is too short to fit or nothing is after."""
    before = [m for m in months if baseline[0] <= m["period_start"] <= (baseline[1] or dt.date.max)]
    later = [m for m in months if after[0] <= m["period_start"] <= (after[1] or dt.date.max)]
    model = fit([m["period_start"] for m in before], [m["value_usd"] for m in before])
    if model is None or not later:
        return None
    projection = model.project([m["period_start"] for m in later])
    return _FittedPair(reporter, partner, months, before, later, model, projection)


class _Year:
    """A calendar year of a pair, summed month by month."""

    def __init__(self) -> None:
        self.value = self.baseline = 0.0
        self.evidence: list[str] = []
        self.months = 0

    def add(self, month: dict, baseline: float) -> None:
        self.value += month["value_usd"]
        self.baseline += baseline
        self.evidence += month["evidence"]
        self.months += 1

    def result(self, year: int) -> YearRatio:
        return YearRatio(
            year=year,
            value_usd=round(self.value, 2),
            baseline_usd=round(self.baseline, 2),
            ratio=round(self.value / self.baseline, 3) if self.baseline > 0 else None,
            months=self.months,
            evidence=sorted(self.evidence),
        )


def _findings(
    rows: list[DiversionRow], baseline: tuple[dt.date, dt.date | None]
) -> list[FlowFinding]:
    """For each pair clearly above its projection, its latest full year in words: the
    member states' and the EU-27's (the other aggregates overlap them)."""
    span = f"{baseline[0].year}–{baseline[1].year}" if baseline[1] else str(baseline[0].year)
    out = []
    for row in rows:
        named = is_country(row.reporter) or row.reporter in AGGREGATE_NAMES
        if not named or row.excess_low_usd <= 0 or (row.ratio or 0) < FINDING_RATIO:
            continue
        years = [
            y for y in row.by_year if y.months == 12 and y.year > (baseline[1] or dt.date.min).year
        ]
        if not years or years[-1].ratio is None:
            continue
        year = years[-1]
        more = year.value_usd - year.baseline_usd
        if more < FINDING_MIN_USD:
            continue
        text = (
            f"In {year.year}, {place(row.reporter)}'s exports to {place(row.partner)} were "
            f"{year.ratio:.1f}× their {span} level: about {money_compact(more)} more than "
            "the pre-war trend."
        )
        out.append(
            FlowFinding(
                id=f"diversion:{row.reporter}:{row.partner}:{year.year}",
                text=text,
                reporter=row.reporter,
                partner=row.partner,
                year=year.year,
                value_usd=round(more, 2),
                evidence=year.evidence,
            )
        )
    return out
