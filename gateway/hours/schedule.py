"""Is a tenant or queue open at an instant, and when does it open next.

Hours are local wall-clock times in the configured time zone (zoneinfo), so "08:00-18:00" stays
08:00-18:00 across a DST switch; holidays close a whole local date. No ``hours`` means always open.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from gateway.config.schema import Config, HoursConfig
from gateway.hours.ranges import DAY_MINUTES, DAYS, Span, parse_holiday, parse_span

SEARCH_DAYS = 400  # next_open looks this far ahead: long enough for any run of holidays


def _spans(hours: HoursConfig, day: dt.date) -> list[Span]:
    """The openings that start on this local date (none on a holiday)."""
    if day in {parse_holiday(h) for h in hours.holidays}:
        return []
    if hours.weekly is None:  # no weekly hours: open around the clock (holidays still close)
        return [Span(0, DAY_MINUTES)]
    return sorted(parse_span(r) for r in hours.weekly.get(DAYS[day.weekday()], []))


def _local(hours: HoursConfig, at: dt.datetime) -> dt.datetime:
    if at.tzinfo is None:
        raise ValueError("business hours need an aware datetime")
    return at.astimezone(ZoneInfo(hours.timezone))


def is_open(hours: HoursConfig | None, at: dt.datetime) -> bool:
    """True when ``at`` (an aware datetime) falls inside the hours."""
    if hours is None:
        return True
    if hours.closed:
        return False
    local = _local(hours, at)
    minute = local.hour * 60 + local.minute
    today, yesterday = local.date(), local.date() - dt.timedelta(days=1)
    if any(s.start <= minute < s.end for s in _spans(hours, today)):
        return True
    # an overnight opening of yesterday still running this morning
    return any(minute < s.end - DAY_MINUTES for s in _spans(hours, yesterday))


def next_open(hours: HoursConfig | None, at: dt.datetime) -> dt.datetime | None:
    """``at`` when open now, else the next opening (aware, in the hours' zone); None if it never opens."""
    if is_open(hours, at):
        return at
    assert hours is not None  # is_open is True without hours
    if hours.closed:
        return None
    zone = ZoneInfo(hours.timezone)
    local = _local(hours, at)
    for offset in range(SEARCH_DAYS):
        day = local.date() + dt.timedelta(days=offset)
        for span in _spans(hours, day):
            wall = dt.datetime.combine(day, dt.time(span.start // 60, span.start % 60), tzinfo=zone)
            # a wall time skipped by a DST switch (02:30 in spring) counts as the first minute after it
            opening = wall.astimezone(dt.UTC).astimezone(zone)
            if opening > at:
                return opening
    return None


def hours_for(config: Config, tenant_id: str, queue_id: str | None) -> HoursConfig | None:
    """The queue's own hours when it has them, else the tenant's (None: always open)."""
    tenant = config.tenants[tenant_id]
    queue = tenant.queues.get(queue_id) if queue_id else None
    if queue is not None and queue.hours is not None:
        return queue.hours
    return tenant.hours


def open_for(config: Config, tenant_id: str, queue_id: str | None, at: dt.datetime) -> bool:
    """Whether work for this tenant (and queue, when given) is served at ``at``."""
    return is_open(hours_for(config, tenant_id, queue_id), at)


def _span_end(hours: HoursConfig, local: dt.datetime) -> dt.datetime | None:
    """The end of the opening running at ``local`` (a wall time in the hours' zone), or None."""
    zone = ZoneInfo(hours.timezone)
    minute = local.hour * 60 + local.minute
    ends = []
    for back, day in ((0, local.date()), (1, local.date() - dt.timedelta(days=1))):
        for s in _spans(hours, day):
            if s.start <= minute + back * DAY_MINUTES < s.end:
                ends.append(dt.datetime.combine(day + dt.timedelta(days=s.end // DAY_MINUTES),
                                                dt.time((s.end % DAY_MINUTES) // 60, s.end % 60), tzinfo=zone))
    # a wall time skipped by a DST switch counts as the first minute after it
    return max(ends).astimezone(dt.UTC).astimezone(zone) if ends else None


def next_close(hours: HoursConfig | None, at: dt.datetime) -> dt.datetime | None:
    """``at`` when closed now, else the instant it closes next (openings that touch run on); None if never."""
    if hours is None or (hours.weekly is None and not hours.holidays and not hours.closed):
        return None
    if not is_open(hours, at):
        return at
    t = at
    for _ in range(SEARCH_DAYS * 2):
        end = _span_end(hours, _local(hours, t))
        if end is None or end <= t:
            return t
        t = end
        if not is_open(hours, t):
            return t
    return None  # open as far as we look (around the clock)


def next_change(hours: HoursConfig | None, at: dt.datetime) -> dt.datetime | None:
    """When the state at ``at`` (open or closed) changes next; None if never."""
    return next_close(hours, at) if is_open(hours, at) else next_open(hours, at)
