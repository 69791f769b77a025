"""How a figure is written: money, shares, counts, dates and countries, in one place.

The CLI, the report (HTML, PDF, Markdown) and the findings' sentences use these functions;
the dashboard's ``app.js`` follows the same rules (``tests/test_dashboard.py`` checks it
against :func:`money`).

Rounding policy
---------------
Customs records are partial, so every sum is a lower bound ("at least"). Money is
therefore rounded **down**, never to nearest: $34,049,999.60 is written

* ``$34,049,999`` in tables and the CLI (:func:`money`, whole dollars), and
* ``$34.0M`` in sentences (:func:`money_compact`: tenths of a billion from $1B, tenths of
  a million from $1M, whole thousands from $1,000, whole dollars below).

A table whose rows must add up to the total it prints uses :func:`whole_dollars` (or
:func:`whole_dollar_grid` for a table with row and column totals): the total is rounded
down, every cell is rounded down, and the dollars left over go one each to the cells with
the largest remainders (the largest-remainder method), so the printed cells add up to the
printed total. Such a cell may read one dollar above its own rounded-down value; the table
says so (:data:`ADDS_UP_NOTE`).

Shares are not sums, so they are rounded to nearest: one decimal in tables (``45.6%``),
whole percent in sentences (``46%``, or "less than 1%").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import ROUND_FLOOR, Decimal

from tradetrace.reference.countries import country_name

__all__ = [
    "ADDS_UP_NOTE",
    "DASH",
    "count",
    "country_label",
    "day",
    "hhi",
    "iso_day",
    "money",
    "money_compact",
    "period_text",
    "plural",
    "ratio",
    "share",
    "share_words",
    "whole_dollar_grid",
    "whole_dollars",
]

#: What a cell shows where there is no value.
DASH = "–"
#: The note under a table rounded with :func:`whole_dollars`.
ADDS_UP_NOTE = (
    "Figures are rounded down to the dollar, then the dollars left over go to the largest "
    "remainders, so that the rows add up to the total."
)


def _cents(value: float) -> int:
    """Whole cents, the precision every stored figure has (``value_usd`` is cent-rounded)."""
    return int(Decimal(str(round(value, 2))) * 100)


def money(value: float | None) -> str:
    """``$1,172,250``: whole dollars rounded down; a dash for no value."""
    if value is None:
        return DASH
    return f"${_cents(value) // 100:,}"


def money_compact(value: float | None) -> str:
    """``$1.2B`` / ``$34.0M`` / ``$573,000`` / ``$950`` for sentences, rounded down (a gap
    below zero: its size rounded down, ``-$1.2B``); a dash for no value."""
    if value is None:
        return DASH
    if value < 0:
        return "-" + money_compact(-value)
    cents = Decimal(_cents(value)) / 100
    if cents >= 1_000_000_000:
        tenths = (cents / 100_000_000).to_integral_value(ROUND_FLOOR)
        return f"${tenths / 10:.1f}B"
    if cents >= 1_000_000:
        tenths = (cents / 100_000).to_integral_value(ROUND_FLOOR)
        return f"${tenths / 10:.1f}M"
    if cents >= 1_000:
        return f"${int(cents // 1000) * 1000:,}"
    return f"${int(cents // 1)}"


def whole_dollars(values: Sequence[float], total: float | None = None) -> list[int]:
    """``values`` in whole dollars that add up to ``total`` rounded down.

    ``total`` defaults to the sum of ``values``; give it when the table prints a total
    computed elsewhere (it must equal that sum to the cent). Largest remainder: each value
    is rounded down and the dollars still missing go to the largest remainders (ties to
    the earlier row), so no cell moves by more than one dollar.
    """
    cents = [_cents(v) for v in values]
    target = (_cents(total) if total is not None else sum(cents)) // 100
    dollars = [c // 100 for c in cents]
    missing = target - sum(dollars)
    by_remainder = sorted(range(len(cents)), key=lambda i: (-(cents[i] % 100), i))
    for i in by_remainder[: max(missing, 0)]:
        dollars[i] += 1
    # A total a cent below its cells' sum leaves a dollar too many: take it from the
    # smallest remainder that has a dollar to give.
    for i in reversed(by_remainder):
        if missing >= 0:
            break
        if dollars[i] > 0:
            dollars[i] -= 1
            missing += 1
    return dollars


def whole_dollar_grid(
    rows: Sequence[Sequence[float]], total: float | None = None
) -> list[list[int]]:
    """A table with row totals, column totals and a grand total, in whole dollars that add
    up every way: the row totals are rounded with :func:`whole_dollars` against the grand
    total, then each row's cells against its rounded row total. Column totals are then the
    sums of the rounded cells (and add up to the grand total, as the rows do)."""
    row_totals = whole_dollars([sum(r) for r in rows], total)
    return [
        whole_dollars(cells, row_total) for cells, row_total in zip(rows, row_totals, strict=True)
    ]


def share(value: float | None) -> str:
    """``45.6%`` from a fraction, rounded to nearest (shares are not sums)."""
    if value is None:
        return DASH
    return f"{value * 100:.1f}%"


def share_words(value: float) -> str:
    """``46%`` for a sentence; "less than 1%" for a sliver."""
    return f"{value * 100:.0f}%" if value >= 0.005 else "less than 1%"


def ratio(value: float | None) -> str:
    """``12.98×``: one figure over another (a diversion ratio); a dash when undefined."""
    return DASH if value is None else f"{value:,.2f}×"


def hhi(value: float | None) -> str:
    """``3,469``: a concentration index; a dash when nothing was declared to measure."""
    return DASH if value is None else f"{value:,.0f}"


def count(value: int | None) -> str:
    return DASH if value is None else f"{value:,}"


def country_label(iso2: str | None) -> str:
    """``South Korea``; a dash where the declarations name no country."""
    return country_name(iso2) if iso2 else DASH


def iso_day(value: dt.date | str | None) -> str:
    """``2023-12-14`` in tables; a dash for no date."""
    if value is None:
        return DASH
    return value if isinstance(value, str) else value.isoformat()


def day(value: str | dt.date) -> str:
    """``24 February 2022`` in sentences."""
    d = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return f"{d.day} {d:%B %Y}"


def period_text(start: dt.date | str | None, end: dt.date | str | None) -> str:
    """ "from 2018 to 2023" for whole calendar years, else exact days."""
    if not start or not end:
        return "in the data"
    a = dt.date.fromisoformat(start) if isinstance(start, str) else start
    b = dt.date.fromisoformat(end) if isinstance(end, str) else end
    if a == b:
        return f"on {day(a)}"
    if (a.month, a.day, b.month, b.day) == (1, 1, 12, 31):
        return f"in {a.year}" if a.year == b.year else f"from {a.year} to {b.year}"
    return f"from {day(a)} to {day(b)}"


def plural(n: int, word: str) -> str:
    """``1 declaration`` / ``1,190 declarations`` / ``5 countries``."""
    if n == 1:
        return f"1 {word}"
    many = word[:-1] + "ies" if word.endswith("y") and word[-2:-1] not in "aeiou" else word + "s"
    return f"{n:,} {many}"
