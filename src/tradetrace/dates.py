"""The one date parser for every date a user gives: CLI options and API parameters alike.

The rule: a date is a calendar day written ``YYYY-MM-DD`` in ASCII digits; blanks around
it are ignored (they change nothing). Nothing else is a date: not the ISO week date
``2024-W10-1`` nor the basic ``20241231`` that Python 3.11's ``date.fromisoformat``
takes, not a time, a timestamp (pydantic alone would read ``0`` as 1970-01-01) or an
empty text. One rule, so that a date the CLI takes the API takes too, and the other way
round; ``tests/test_dates.py`` holds both to it.
"""

from __future__ import annotations

import datetime as dt
import re

from tradetrace.errors import InputError

__all__ = ["parse_date", "parse_moment"]

#: ASCII digits only: ``\d`` would also match other scripts' digits.
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_date(text: str, option: str, shown: str | None = None) -> dt.date:
    """``text`` as a date, else an :class:`InputError` in one line naming ``option`` and
    the value as given (``shown`` when the date is part of a larger value, e.g.
    ``--event NAME=DATE``). The API passes its JSON values as they came, so a number or
    a list is refused here like a bad text."""
    quoted = repr(text if shown is None else shown)
    day = text.strip() if isinstance(text, str) else ""
    if not _DAY.fullmatch(day):
        raise InputError(f"{option} {quoted}: expected a date as YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(day)
    except ValueError as exc:  # the right shape, no such day: "day is out of range for month"
        raise InputError(f"{option} {quoted}: {exc}") from exc


def parse_moment(
    value: str | dt.date | dt.datetime, option: str, day_ends: bool = True
) -> dt.datetime:
    """A naive UTC moment: a date (text or ``datetime.date``) means the end of that day
    (``day_ends``) or its start; a time (``YYYY-MM-DDTHH:MM:SS``, or a ``datetime``) with an
    offset is converted to UTC, one without is UTC already."""
    if isinstance(value, str) and "T" in value.strip():
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise InputError(
                f"{option}: {value!r} is not a date (YYYY-MM-DD) or time (YYYY-MM-DDTHH:MM:SS)"
            ) from None
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            return value.astimezone(dt.UTC).replace(tzinfo=None)
        return value
    day = value if isinstance(value, dt.date) else parse_date(value, option)
    return dt.datetime.combine(day, dt.time.max if day_ends else dt.time.min)
