"""Periods as the sources write them → ``YYYY-MM`` (a month) or ``YYYY`` (a year).

Comext's relational view writes "Jan. 2019" (and the shared file adds ``2019-01``), its bulk
files ``201901`` or ``201952`` (52: the whole year), Comtrade ``2019`` or ``201901``, the IMF
a column per year or per month (``2019-M01``). ``trade_flows`` keeps one form, which sorts
and compares as text, and the period's first day for date arithmetic.
"""

from __future__ import annotations

import datetime as dt
import re

import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["MONTH", "YEAR", "frequencies", "from_iso", "from_label", "from_yyyymm", "start_of"]

MONTH = "month"
YEAR = "year"
#: Comext bulk files and Comtrade write a whole year as month 52.
_WHOLE_YEAR = 52
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_ISO = re.compile(r"([0-9]{4})(?:-(?:M)?([0-9]{2}))?")
_LABEL = re.compile(r"([A-Za-z]{3})[a-z]*\.?\s+([0-9]{4})")
_YYYYMM = re.compile(r"([0-9]{4})([0-9]{2})")


def _month(year: str, month: str | int) -> str:
    number = int(month)
    if not 1 <= number <= 12:
        raise ValueError(f"no month {month} in {year}")
    return f"{year}-{number:02d}"


def from_iso(text: str) -> str:
    """``2019-01``, ``2019-M01`` (IMF) or ``2019``."""
    match = _ISO.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a period (expected YYYY-MM or YYYY)")
    year, month = match.groups()
    return year if month is None else _month(year, month)


def from_label(text: str) -> str:
    """Comext's ``Jan. 2019`` (any month name starting with its three letters), or a year."""
    match = _LABEL.fullmatch(text)
    if match is not None and match.group(1).lower() in _MONTHS:
        return _month(match.group(2), _MONTHS.index(match.group(1).lower()) + 1)
    if re.fullmatch(r"[0-9]{4}", text):
        return text
    raise ValueError(f"{text!r} is not a period (expected e.g. 'Jan. 2019' or 2019)")


def from_yyyymm(text: str) -> str:
    """``201901`` → ``2019-01``; ``201952`` → ``2019`` (the year); a bare ``2019`` is a year."""
    if re.fullmatch(r"[0-9]{4}", text):
        return text
    match = _YYYYMM.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a period (expected YYYYMM, or YYYY52 for a year)")
    year, month = match.groups()
    return year if int(month) == _WHOLE_YEAR else _month(year, month)


def frequencies(period: pa.Array) -> pa.Array:
    """``month`` for a ``YYYY-MM`` period, ``year`` for a ``YYYY`` one."""
    return pc.if_else(pc.equal(pc.utf8_length(period), 7), MONTH, YEAR)


def start_of(period: str) -> dt.date:
    """The period's first day."""
    return dt.date(int(period[:4]), int(period[5:7]) if len(period) == 7 else 1, 1)
