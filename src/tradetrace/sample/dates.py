"""Calendar facts the sample is built around, and day-number helpers.

Dates are handled as integer days since 1970-01-01 so whole months of lines can be dated,
compared and rendered with numpy.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

EPOCH = dt.date(1970, 1, 1)
#: Russia's full-scale invasion of Ukraine: the "before" / "after" split of every figure.
INVASION = dt.date(2022, 2, 24)
#: Lines dated from here on are written to the cp1251 file (which cannot hold Hangul).
CP1251_FROM = dt.date(2022, 1, 1)


def days(day: dt.date) -> int:
    """Days since 1970-01-01."""
    return (day - EPOCH).days


def iso(day_number: int) -> str:
    return (EPOCH + dt.timedelta(days=int(day_number))).isoformat()


def weekdays(first: dt.date, last: dt.date) -> np.ndarray:
    """Monday-Friday from ``first`` to ``last`` inclusive, as days since 1970-01-01."""
    span = np.arange(days(first), days(last) + 1)
    return span[(span + 3) % 7 < 5]  # 1970-01-01 was a Thursday


def years_of(day_numbers: np.ndarray) -> np.ndarray:
    return day_numbers.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
