"""The intervals of a report in the tenant's time zone: 15 minutes, hours, days (local midnight to
midnight, so 23 or 25 hours across a DST switch) and weeks (from Monday), as UTC instants.

The ACD counts into whole UTC minutes; every time zone in use is a whole number of minutes (and in
practice of 15 minutes) off UTC, so every bucket starts on a minute and a minute lies in one bucket."""

from __future__ import annotations

import bisect
import datetime as dt
import math
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

INTERVALS = ("15min", "hour", "day", "week")
_STEP_S = {"15min": 900, "hour": 3600}
# the longest range each interval may cover (a report holds one row per interval and queue/agent)
MAX_RANGE_DAYS = {"15min": 7, "hour": 31, "day": 366, "week": 3 * 366}


class RangeError(ValueError):
    """A range or interval a report cannot have; ``code`` is the error code the API answers with."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _midnight(day: dt.date, zone: ZoneInfo) -> float:
    return dt.datetime(day.year, day.month, day.day, tzinfo=zone).timestamp()


def floor(ts: float, interval: str, zone: ZoneInfo) -> float:
    """The start (UTC epoch seconds) of the bucket holding ``ts``."""
    local = dt.datetime.fromtimestamp(ts, zone)  # carries the right offset, also in the repeated hour
    if interval in _STEP_S:
        step = _STEP_S[interval]
        offset = local.utcoffset() or dt.timedelta(0)
        off = offset.total_seconds()
        return math.floor((ts + off) / step) * step - off
    day = local.date()
    if interval == "week":
        day -= dt.timedelta(days=day.weekday())
    return _midnight(day, zone)


def following(start: float, interval: str, zone: ZoneInfo) -> float:
    """The start of the bucket after the one starting at ``start``."""
    if interval in _STEP_S:
        return floor(start + _STEP_S[interval], interval, zone)
    day = dt.datetime.fromtimestamp(start, zone).date()
    return _midnight(day + dt.timedelta(days=7 if interval == "week" else 1), zone)


def parse_bound(text: str, zone: ZoneInfo, *, end: bool) -> float:
    """``YYYY-MM-DD`` (a local day: its start, or for ``end`` its end) or an ISO 8601 date-time
    (local time of the tenant when it names no offset) as UTC epoch seconds."""
    text = text.strip()
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            return _midnight(day + dt.timedelta(days=1) if end else day, zone)
        when = dt.datetime.fromisoformat(text)
    except ValueError as err:
        raise RangeError("bad_range", f"{text!r} is not a date (YYYY-MM-DD) or an ISO 8601 date-time") from err
    if when.tzinfo is None:
        when = when.replace(tzinfo=zone)
    return when.timestamp()


@dataclass(frozen=True)
class Grid:
    """The buckets of one report: ``starts[i]`` to ``starts[i + 1]``."""

    interval: str
    zone: ZoneInfo
    starts: tuple[float, ...]  # one more than there are buckets: the last is the end

    @property
    def start(self) -> float:
        return self.starts[0]

    @property
    def end(self) -> float:
        return self.starts[-1]

    def __len__(self) -> int:
        return len(self.starts) - 1

    def index(self, ts: float) -> int | None:
        """The bucket holding ``ts``, or None outside the grid."""
        if ts < self.start or ts >= self.end:
            return None
        return bisect.bisect_right(self.starts, ts) - 1

    def label(self, i: int) -> str:
        """The bucket's local start, ISO 8601 with its offset (the repeated hour of a DST switch
        shows twice, with +02:00 and then +01:00)."""
        return dt.datetime.fromtimestamp(self.starts[i], self.zone).isoformat()


def grid(start: float, end: float, interval: str, zone: ZoneInfo) -> Grid:
    """The buckets covering [start, end): ``start`` rounded down and ``end`` up to the interval."""
    if interval not in INTERVALS:
        raise RangeError("bad_interval", f"interval must be one of {', '.join(INTERVALS)}")
    if end <= start:
        raise RangeError("bad_range", "'to' must be after 'from'")
    if end - start > MAX_RANGE_DAYS[interval] * 86400 + 3600:  # (+1 h: a range of whole days across DST)
        raise RangeError(
            "range_too_large",
            f"a report by {interval} covers at most {MAX_RANGE_DAYS[interval]} days: "
            "choose a shorter range or a longer interval",
        )
    starts = [floor(start, interval, zone)]
    while starts[-1] < end:
        starts.append(following(starts[-1], interval, zone))
    return Grid(interval, zone, tuple(starts))
