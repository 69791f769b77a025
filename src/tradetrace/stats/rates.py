"""Period-average ECB rates: US dollars per unit of a currency over a month or a year.

A monthly or annual trade figure is a sum over the whole period, so it converts at the
period's average rate, as Eurostat and the IMF convert theirs: the mean of the ECB's
reference rates over the days the ECB published in that month or year. The daily rates are
the store's ``ref_fx_ecb`` table, the one ingest converts declarations with
(:func:`tradetrace.reference.fx.ecb_usd_rates`). That table also has a row for every day the
ECB did not publish (weekends, TARGET holidays), carrying the last published rates forward;
such a day repeats every currency's rate of the day before, while on a publication day some
rate always moves, so the days the ECB published are those on which some rate changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import ibis
import ibis.expr.types as ir

from tradetrace.reference.fx import ecb_usd_rates
from tradetrace.store import Store
from tradetrace.store.catalogue import REF_FX_ECB

__all__ = ["period_rates", "published_rates"]


def published_rates(daily: ir.Table) -> ir.Table:
    """The rows of ``ref_fx_ecb`` on the days the ECB published (see the module note)."""
    before = daily.usd_per_unit.lag().over(
        ibis.window(group_by=daily.currency, order_by=daily.date)
    )
    moved = daily.mutate(_moved=before.isnull() | (daily.usd_per_unit != before))
    days = moved.group_by("date").aggregate(_published=moved._moved.any())
    published = days.filter(days._published).select("date")
    return daily.semi_join(published, "date")


def period_rates(
    store: Store, wanted: Iterable[tuple[str, str, str]]
) -> dict[tuple[str, str, str], float]:
    """USD per unit of each ``(currency, frequency, period)`` wanted ("EUR", "month",
    "2019-01" or "EUR", "year", "2019"): the mean ECB rate of the period's publication days.
    A period the ECB has no rate for is left out (the caller names the row that needs it)."""
    wanted = {w for w in wanted if w[0] != "USD"}
    out: dict[tuple[str, str, str], float] = {}
    if not wanted:
        return out
    years = sorted({int(period[:4]) for _, _, period in wanted})
    daily = store.reference(REF_FX_ECB, ecb_usd_rates)
    daily = daily.filter(  # a day before the first year wanted: its rates tell if day one moved
        (daily.date >= dt.date(years[0], 1, 1) - dt.timedelta(days=1))
        & (daily.date <= dt.date(years[-1], 12, 31))
    )
    rates = published_rates(daily)
    rates = rates.filter(rates.currency.isin(sorted({c for c, _, _ in wanted})))
    for frequency, period in (("month", rates.date.strftime("%Y-%m")),
                              ("year", rates.date.year().cast("string"))):  # fmt: skip
        means = rates.group_by(currency=rates.currency, period=period).aggregate(
            rate=rates.usd_per_unit.mean()
        )
        for row in store.to_arrow(means).to_pylist():
            key = (row["currency"], frequency, row["period"])
            if key in wanted:
                out[key] = row["rate"]
    return out
