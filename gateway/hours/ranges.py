"""The pieces of an ``hours`` config, parsed: "HH:MM-HH:MM" ranges, day names and holiday dates.

Kept apart from the schedule so config validation can use the same parser and say exactly what
is wrong with a value (ValueError with a message an operator can act on).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = date.weekday()
DAY_MINUTES = 24 * 60


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """One opening of a day in local wall-clock minutes; ``end`` past 1440 reaches into the next day."""

    start: int
    end: int


def _minutes(text: str, *, allow_24: bool) -> int:
    hh, sep, mm = text.partition(":")
    if not sep or len(hh) != 2 or len(mm) != 2 or not (hh + mm).isdigit():
        raise ValueError(f"'{text}' is not a time HH:MM")
    hours, minutes = int(hh), int(mm)
    if (hours, minutes) == (24, 0) and allow_24:
        return DAY_MINUTES
    if hours > 23 or minutes > 59:
        raise ValueError(f"'{text}' is not a time of day")
    return hours * 60 + minutes


def parse_span(text: str) -> Span:
    """"08:00-18:00" → Span(480, 1080); "22:00-06:00" runs overnight; "00:00-24:00" is the whole day."""
    first, sep, second = text.strip().partition("-")
    if not sep:
        raise ValueError(f"'{text}' is not a range HH:MM-HH:MM")
    start, end = _minutes(first.strip(), allow_24=False), _minutes(second.strip(), allow_24=True)
    if end == start:
        raise ValueError(f"'{text}' is empty (use 00:00-24:00 for the whole day)")
    # an end before the start closes on the next day (a night shift)
    return Span(start, end if end > start else end + DAY_MINUTES)


def parse_holiday(text: str) -> dt.date:
    """"2026-12-25" → that date (ValueError otherwise)."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError as err:
        raise ValueError(f"'{text}' is not a date YYYY-MM-DD") from err
