"""The supervisor's callback figures per queue, for today (the tenant's time zone) and the last 15
minutes like the ACD's live figures: requests, cancelled, reached, failed, attempts per reached
customer, time from due to the first dial (median, p90), and the callbacks open now.

The counters are written by the callbacks' own Lua scripts in the same step as the state change they
count (gateway/callbacks/lua/), so the figures never disagree with the records.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from redis.asyncio import Redis

from acd import replies
from gateway.config.schema import TenantConfig
from gateway.keys import TenantKeys

WINDOW_MIN = 15
MINUTE_TTL_S = 20 * 60
DAY_TTL_S = 3 * 24 * 3600
WAITS_PER_DAY = 10_000  # the day's median and p90 come from at most this many (the latest) first waits
COUNTERS = ("requests", "cancelled", "reached", "failed", "attempts_reached")


def tenant_zone(tenant: TenantConfig) -> str:
    """The zone "today" is counted in: the tenant's business hours', else UTC."""
    return tenant.hours.timezone if tenant.hours else "UTC"


def minute_bucket(now: float) -> str:
    return f"m:{math.floor(now / 60)}"


def day_bucket(zone: str, now: float) -> str:
    return "d:" + datetime.fromtimestamp(now, UTC).astimezone(ZoneInfo(zone)).date().isoformat()


def _quantile(values: list[float], q: float) -> float | None:
    """The nearest-rank quantile (None without values)."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(q * len(ordered)) - 1)], 1)


def _summary(counts: dict[str, int], waits: list[float]) -> dict[str, Any]:
    reached = counts.get("reached", 0)
    return {
        "requests": counts.get("requests", 0), "cancelled": counts.get("cancelled", 0),
        "reached": reached, "failed": counts.get("failed", 0),
        "attempts_per_reached": round(counts.get("attempts_reached", 0) / reached, 2) if reached else None,
        "first_attempt_median_s": _quantile(waits, 0.5), "first_attempt_p90_s": _quantile(waits, 0.9),
    }


def _add(into: dict[str, dict[str, int]], raw: dict[str, str]) -> None:
    for field, value in raw.items():
        queue, _, counter = field.rpartition("|")
        into.setdefault(queue, {})
        into[queue][counter] = into[queue].get(counter, 0) + int(value)


def _add_waits(into: dict[str, list[float]], raw: list[str]) -> None:
    for entry in raw:
        queue, _, seconds = entry.rpartition("|")
        into.setdefault(queue, []).append(float(seconds))


async def callback_figures(redis: Redis, tenant: TenantConfig, now: float) -> list[dict[str, Any]]:
    """One row per queue: ``{queue, open, today: {...}, last_15m: {...}}`` (the snapshot's ``callbacks``)."""
    keys = TenantKeys(tenant.id)
    minutes = [f"m:{m}" for m in range(math.floor(now / 60) - WINDOW_MIN + 1, math.floor(now / 60) + 1)]
    day = day_bucket(tenant_zone(tenant), now)
    async with redis.pipeline(transaction=False) as pipe:
        pipe.hgetall(keys.callbacks_open_count())
        pipe.hgetall(keys.callback_stats(day))
        pipe.lrange(keys.callback_first_waits(day), 0, -1)
        for m in minutes:
            pipe.hgetall(keys.callback_stats(m))
            pipe.lrange(keys.callback_first_waits(m), 0, -1)
        rows = await pipe.execute()
    open_now = {q: int(n) for q, n in replies.fields(rows[0]).items()}
    today: dict[str, dict[str, int]] = {}
    today_waits: dict[str, list[float]] = {}
    _add(today, replies.fields(rows[1]))
    _add_waits(today_waits, replies.texts(rows[2]))
    window: dict[str, dict[str, int]] = {}
    window_waits: dict[str, list[float]] = {}
    for i in range(len(minutes)):
        _add(window, replies.fields(rows[3 + 2 * i]))
        _add_waits(window_waits, replies.texts(rows[4 + 2 * i]))
    return [
        {"queue": qid, "open": max(0, open_now.get(qid, 0)),
         "today": _summary(today.get(qid, {}), today_waits.get(qid, [])),
         "last_15m": _summary(window.get(qid, {}), window_waits.get(qid, []))}
        for qid in tenant.queues
    ]
