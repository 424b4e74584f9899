"""Queue statistics: from the live counters, or recomputed from the event log alone.

Both paths feed the same integer sums (counts, milliseconds) into ``summarize``, so a replay of
the log equals the live figures exactly. Definitions (see docs/acd.md):
window = the current minute and the 14 before it (15 minutes);
service_level = answered within sla_threshold_s / (answered + abandoned) in the window;
asa = mean wait of answers in the window; aht = mean handle time (accept -> slot freed, wrap-up
included) of the window, else since start, else the configured aht_s; agents_needed = Erlang C
for the window's arrival rate and that aht.

Business hours (acd/hours.py): waits count open time only (a task that waited overnight is
measured from the opening); a task given up before its queue opened is ``abandoned_closed``, not
``abandoned``; the arrival rate is the arrivals while open over the window's open time, and a
closed queue has no ``agents_needed`` (None).
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

from redis.asyncio import Redis

from . import erlang, replies
from .hours import QueueHours, read_all
from .keys import AcdKeys
from .model import Queue, RoutingConfig

WINDOW_MIN = 15
COUNTERS = ("arrivals", "offers", "answered", "in_sl", "wait_ms", "abandoned", "handled", "handle_ms",
            "declined", "missed", "arrivals_closed", "abandoned_closed")
MIN_OPEN_S = 60.0  # a queue open for seconds only: its arrival rate over at least a minute
TOTALS = ("handled", "handle_ms")  # also kept since the start (acd/lua/events.lua)


def window_minutes(now: float) -> range:
    m = math.floor(now / 60)
    return range(m - WINDOW_MIN + 1, m + 1)


def aht_of(queue: Queue, window: dict[str, int], totals: dict[str, int]) -> float:
    """Measured AHT: window, else since start, else the configured value."""
    if window.get("handled"):
        return window["handle_ms"] / window["handled"] / 1000
    if totals.get("handled"):
        return totals["handle_ms"] / totals["handled"] / 1000
    return queue.aht_s


def agents_needed(queue: Queue, window: dict[str, int], aht: float, hours: QueueHours, now: float) -> int | None:
    """Erlang C over the window's open time; None while the queue is closed."""
    if hours.closed(now):
        return None
    start = window_minutes(now)[0] * 60
    open_s = max(MIN_OPEN_S, WINDOW_MIN * 60 - hours.closed_seconds_in(start, now))
    arrivals = window.get("arrivals", 0) - window.get("arrivals_closed", 0)
    return erlang.agents_needed(erlang.traffic(arrivals, open_s, aht), aht, queue.sla_threshold_s, queue.sla_target)


def summarize(
    queue: Queue, window: dict[str, int], totals: dict[str, int], waiting: int,
    oldest_enq: float | None, now: float, hours: QueueHours | None = None,
) -> dict[str, Any]:
    """The figures of one queue from its sums."""
    answered, abandoned = window.get("answered", 0), window.get("abandoned", 0)
    aht = aht_of(queue, window, totals)
    return {
        "waiting": waiting,
        "longest_wait_s": max(0.0, now - oldest_enq) if oldest_enq is not None else 0.0,
        "service_level": window.get("in_sl", 0) / (answered + abandoned) if answered + abandoned else None,
        "sla_target": queue.sla_target,
        "arrivals": window.get("arrivals", 0),
        "answered": answered,
        "abandoned": abandoned,
        "asa_s": window.get("wait_ms", 0) / answered / 1000 if answered else None,
        "aht_s": aht,
        "aht_measured": bool(window.get("handled") or totals.get("handled")),  # else aht_s is the configured guess
        "handled": window.get("handled", 0),
        "declined": window.get("declined", 0),
        "missed": window.get("missed", 0),
        "abandoned_closed": window.get("abandoned_closed", 0),
        "agents_needed": agents_needed(queue, window, aht, hours or QueueHours(), now),
    }


def _ints(h: dict[str, str]) -> dict[str, int]:
    return {k: int(v) for k, v in h.items()}


async def window_sums(
    redis: Redis, k: AcdKeys, config: RoutingConfig, now: float
) -> dict[str, tuple[dict[str, int], dict[str, int]]]:
    """Per queue: (window sums, totals) from the live counters."""
    minutes = window_minutes(now)
    qids = list(config.queues)
    async with redis.pipeline(transaction=False) as pipe:
        for q in qids:
            for m in minutes:
                pipe.hgetall(k.queue_minute(q, m))
            pipe.hgetall(k.queue_totals(q))
        rows = await pipe.execute()
    out = {}
    per = len(minutes) + 1
    for i, q in enumerate(qids):
        chunk = rows[i * per:(i + 1) * per]
        window: dict[str, int] = defaultdict(int)
        for minute in chunk[:-1]:
            for name, v in minute.items():
                window[name] += int(v)
        out[q] = (dict(window), _ints(chunk[-1]))
    return out


async def live(redis: Redis, k: AcdKeys, config: RoutingConfig, now: float) -> dict[str, dict[str, Any]]:
    """Statistics of every queue from the live counters and waiting sets."""
    sums = await window_sums(redis, k, config, now)
    hours = await read_all(redis, k)
    async with redis.pipeline(transaction=False) as pipe:
        for q in config.queues:
            pipe.zcard(k.queue_enqueued(q))
            pipe.zrange(k.queue_enqueued(q), 0, 0, withscores=True)
        rows = await pipe.execute()
    out = {}
    for i, (q, cfg) in enumerate(config.queues.items()):
        waiting, head = rows[2 * i], rows[2 * i + 1]
        oldest = float(head[0][1]) if head else None
        window, totals = sums[q]
        out[q] = summarize(cfg, window, totals, waiting, oldest, now, hours.get(q))
    return out


async def replay(
    redis: Redis, k: AcdKeys, config: RoutingConfig, now: float, batch: int = 10_000
) -> dict[str, dict[str, Any]]:
    """Statistics of every queue recomputed from the event log alone."""
    minutes = set(window_minutes(now))
    window: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    waiting: dict[str, dict[str, float]] = defaultdict(dict)
    hours: dict[str, QueueHours] = {}
    start = "-"
    while True:
        entries = replies.entries(await redis.xrange(k.events(), min=start, count=batch))
        for entry_id, f in entries:
            ev = f.get("ev")
            if ev == "win":
                waiting[f["q"]][f["task"]] = float(f["enq"])
            elif ev == "wout":
                waiting[f["q"]].pop(f["task"], None)
            elif ev == "hours":
                hours[f["q"]] = QueueHours.parse(f["hours"])
            if "m" in f:
                q, in_window = f["q"], int(f["m"]) in minutes
                for name, v in f.items():
                    if name.startswith("c:"):
                        if name[2:] in TOTALS:
                            totals[q][name[2:]] += int(v)
                        if in_window:
                            window[q][name[2:]] += int(v)
            start = "(" + entry_id
        if len(entries) < batch:
            break
    out = {}
    for q, cfg in config.queues.items():
        w = waiting.get(q, {})
        oldest = min(w.values()) if w else None
        out[q] = summarize(cfg, dict(window.get(q, {})), dict(totals.get(q, {})), len(w), oldest, now, hours.get(q))
    return out
