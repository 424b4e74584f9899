"""Historical figures per interval, per queue, work channel and agent, recomputed from the archived
ACD event log (table ``acd_events``).

The live statistics (acd/stats.py) sum the integer ``c:<counter>`` fields of the same events by
their minute ``m``; a report sums them by bucket and hands them to the same ``stats.summarize``,
so a closed 15-minute interval reads exactly what the supervisor saw live at its last instant.
What the counters do not hold is derived from the events themselves: short abandons (given up
within SHORT_ABANDON_S of arriving), transfers, escalations offered by a queue's steps, wrap-up
codes (the ``close`` event), and an agent's occupancy (time with a conversation or wrap-up in hand
over time logged in), and satisfaction from the customers' ratings (the ``rated`` event: a score
1..5 per conversation, counted in the bucket the rating arrived in, for the queue, work channel and
agent of the conversation). Labels are not in the event log: gateway/history/report_labels.py counts
them from the archived conversations. ``overall`` sums the wrap-up codes and labels of all queues.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg

from acd import stats
from acd.model import WORK_CHANNELS, Queue
from gateway.history.report_buckets import Grid
from gateway.history.report_labels import LabelCount, LabelSums, label_counts

SHORT_ABANDON_S = 5.0
DIMENSIONS = ("queues", "channels", "agents")
UNKNOWN_CHANNEL = "unknown"  # a task whose arrival is no longer in the log (retention)
STATEMENT_TIMEOUT_MS = 120_000

EVENTS = """
SELECT id, ev, extract(epoch FROM ts)::float8 AS ts, queue, minute, fields::text AS fields FROM acd_events
WHERE tenant = $1 AND ts >= $2 AND ts < $3
ORDER BY split_part(id, '-', 1)::bigint, split_part(id, '-', 2)::bigint
"""
# tasks that arrived before the range: their work channel and enqueue time
EARLIER_SUBMITS = """
SELECT DISTINCT ON (s.fields->>'task') s.fields->>'task' AS task, s.fields->>'ch' AS ch, s.fields->>'enq' AS enq
FROM acd_events s
WHERE s.tenant = $1 AND s.ev = 'submit' AND s.ts < $2 AND s.fields->>'task' IN (
  SELECT e.fields->>'task' FROM acd_events e WHERE e.tenant = $1 AND e.ts >= $2 AND e.ts < $3 AND e.ev <> 'submit')
ORDER BY s.fields->>'task', s.ts DESC
"""
# every agent's state when the range starts (the last change before it)
EARLIER_STATES = """
SELECT a.agent, s.state FROM unnest($2::text[]) AS a(agent)
CROSS JOIN LATERAL (
  SELECT fields->>'state' AS state FROM acd_events
  WHERE tenant = $1 AND ev = 'state' AND fields->>'agent' = a.agent AND ts < $3 ORDER BY ts DESC LIMIT 1) s
"""
SEEN_AGENTS = """
SELECT DISTINCT fields->>'agent' AS agent FROM acd_events
WHERE tenant = $1 AND ts >= $2 AND ts < $3 AND fields ? 'agent'
"""


@dataclass
class Acc:
    """The sums of one queue, channel or agent in one bucket."""

    c: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # stats.COUNTERS and our own
    codes: Counter[str] = field(default_factory=Counter)
    busy_s: float = 0.0
    logged_in_s: float = 0.0
    labels: LabelSums = field(default_factory=LabelSums)

    def count(self, counters: dict[str, int]) -> None:
        for name, v in counters.items():
            self.c[name] += v

    def merge(self, other: Acc) -> None:
        self.count(other.c)
        self.codes.update(other.codes)
        self.busy_s += other.busy_s
        self.logged_in_s += other.logged_in_s
        self.labels.merge(other.labels)


Table = dict[tuple[int, str], Acc]  # (bucket, key) -> sums


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def counter_figures(queue: Queue, acc: Acc, end: float) -> dict[str, Any]:
    """A queue's (or channel's) figures, through the live statistics' own ``summarize``."""
    s = stats.summarize(queue, dict(acc.c), {}, 0, None, end)
    return {
        "offered": s["arrivals"], "answered": s["answered"], "abandoned": s["abandoned"],
        "short_abandoned": acc.c["short_abandoned"], "abandoned_closed": s["abandoned_closed"],
        "service_level": s["service_level"], "asa_s": s["asa_s"], "handled": s["handled"],
        "aht_s": s["aht_s"] if s["handled"] else None,  # (live falls back to older figures; a report does not)
        "declined": s["declined"], "missed": s["missed"], "transfers": acc.c["transfers"],
        "escalations": acc.c["escalations"], "wrapup_codes": dict(sorted(acc.codes.items())),
        **satisfaction(acc), **acc.labels.figures(),
    }


def satisfaction(acc: Acc) -> dict[str, Any]:
    """The customers' ratings: how many, and their average score (None without any)."""
    n = acc.c["ratings"]
    return {"ratings": n, "satisfaction": round(acc.c["rating_sum"] / n, 2) if n else None}


def agent_figures(acc: Acc) -> dict[str, Any]:
    c = acc.c
    return {
        "offered": c["offers"], "accepted": c["accepted"], "answered": c["answered"], "declined": c["declined"],
        "missed": c["missed"], "asa_s": _ratio(c["wait_ms"], c["answered"] * 1000), "handled": c["handled"],
        "aht_s": _ratio(c["handle_ms"], c["handled"] * 1000), "transfers": c["transfers"],
        "wrapup_codes": dict(sorted(acc.codes.items())), "logged_in_s": round(acc.logged_in_s, 3),
        "busy_s": round(acc.busy_s, 3), "occupancy": _ratio(acc.busy_s, acc.logged_in_s),
        **satisfaction(acc), **acc.labels.figures(),
    }


def overall_figures(acc: Acc) -> dict[str, Any]:
    """What all queues together closed with: wrap-up codes and labels."""
    return {"wrapup_codes": dict(sorted(acc.codes.items())), **acc.labels.figures()}


@dataclass
class Report:
    grid: Grid
    now: float
    queues: Table
    channels: Table
    agents: Table
    queue_config: dict[str, Queue]
    agent_names: dict[str, str]
    overall: dict[int, Acc] = field(default_factory=dict)  # bucket -> all queues' codes and labels
    names: dict[str, Any] = field(default_factory=dict)  # {labels: {id: name}, wrapup_codes: {queue: {id: name}}}

    def keys(self, dimension: str) -> list[str]:
        table: Table = getattr(self, dimension)
        seen = {k for _, k in table}
        if dimension == "queues":
            return [*self.queue_config, *sorted(seen - set(self.queue_config))]
        if dimension == "agents":
            return [*self.agent_names, *sorted(seen - set(self.agent_names))]
        return sorted(set(WORK_CHANNELS) | seen)

    def bucket(self, i: int) -> dict[str, Any]:
        start, end = self.grid.starts[i], self.grid.starts[i + 1]
        return {"start": start, "end": end, "label": self.grid.label(i), "complete": end <= self.now}

    def _row(self, dimension: str, key: str, acc: Acc, end: float) -> dict[str, Any]:
        if dimension == "agents":
            return {"agent": key, "name": self.agent_names.get(key, key), **agent_figures(acc)}
        queue = self.queue_config.get(key) if dimension == "queues" else None
        named = {"queue": key, "name": queue.name or key if queue else key} if dimension == "queues" else {"channel": key}
        return {**named, **counter_figures(queue or Queue(id=key, skill=""), acc, end)}

    def rows(self, dimension: str) -> list[dict[str, Any]]:
        """One row per interval and key, in time order."""
        table: Table = getattr(self, dimension)
        keys = self.keys(dimension)
        out = []
        for i in range(len(self.grid)):
            b = self.bucket(i)
            for key in keys:
                acc = table.get((i, key)) or Acc()
                out.append({"interval": b["label"], "start": b["start"], **self._row(dimension, key, acc, b["end"])})
        return out

    def totals(self, dimension: str) -> list[dict[str, Any]]:
        """One row per key over the whole range."""
        table: Table = getattr(self, dimension)
        sums: dict[str, Acc] = defaultdict(Acc)
        for (_, key), acc in table.items():
            sums[key].merge(acc)
        return [self._row(dimension, key, sums.get(key) or Acc(), self.grid.end) for key in self.keys(dimension)]

    def as_json(self, dimension: str) -> dict[str, Any]:
        return {
            "dimension": dimension, "interval": self.grid.interval, "timezone": str(self.grid.zone.key),
            "from": self.grid.start, "to": self.grid.end, "generated_at": self.now,
            "buckets": [self.bucket(i) for i in range(len(self.grid))],
            "rows": self.rows(dimension), "totals": self.totals(dimension),
            "overall": self.overall_json(), "names": self.names or {"labels": {}, "wrapup_codes": {}},
        }

    def overall_json(self) -> dict[str, Any]:
        """All queues together, per interval and over the range."""
        rows, total = [], Acc()
        for i in range(len(self.grid)):
            acc = self.overall.get(i) or Acc()
            total.merge(acc)
            b = self.bucket(i)
            rows.append({"interval": b["label"], "start": b["start"], **overall_figures(acc)})
        return {"rows": rows, "totals": overall_figures(total)}


def _when(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _union(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        elif b > a:
            out.append((a, b))
    return out


def _intersect(xs: list[tuple[float, float]], ys: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out, i, j = [], 0, 0
    while i < len(xs) and j < len(ys):
        a, b = max(xs[i][0], ys[j][0]), min(xs[i][1], ys[j][1])
        if b > a:
            out.append((a, b))
        if xs[i][1] < ys[j][1]:
            i += 1
        else:
            j += 1
    return out


def _spread(grid: Grid, spans: Iterable[tuple[float, float]]) -> dict[int, float]:
    """Seconds of ``spans`` (disjoint) in each bucket."""
    out: dict[int, float] = defaultdict(float)
    for a, b in spans:
        i = grid.index(a)
        while i is not None and i < len(grid) and grid.starts[i] < b:
            out[i] += min(b, grid.starts[i + 1]) - max(a, grid.starts[i])
            i += 1
    return out


class _Builder:
    """One pass over the range's events, in the order the ACD wrote them."""

    def __init__(self, grid: Grid, limit: float, states: dict[str, str], submits: dict[str, tuple[str, float | None]]):
        self.grid, self.limit = grid, limit
        self.queues: Table = defaultdict(Acc)
        self.channels: Table = defaultdict(Acc)
        self.agents: Table = defaultdict(Acc)
        self.overall: dict[int, Acc] = defaultdict(Acc)
        self.submits = submits  # task -> (work channel, enqueued at)
        self.state = {a: (s, grid.start) for a, s in states.items()}  # agent -> (state, since)
        self.logged: dict[str, list[tuple[float, float]]] = defaultdict(list)
        self.busy: dict[str, list[tuple[float, float]]] = defaultdict(list)
        self.holding: dict[tuple[str, str], float] = {}  # (agent, task) -> assigned at
        self.released: dict[str, tuple[str, float]] = {}  # task -> (agent, ts) of its last release

    def event(self, ev: str, ts: float, queue: str, minute: int | None, f: dict[str, str]) -> None:
        task = f.get("task", "")
        if ev == "submit":
            enq = f.get("enq")
            self.submits[task] = (f.get("ch", ""), float(enq) if enq else ts)
        b = self.grid.index(minute * 60 if minute is not None else ts)
        if b is None:
            return
        ch = self.submits.get(task, (UNKNOWN_CHANNEL, None))[0] or UNKNOWN_CHANNEL
        counters = {k[2:]: int(v) for k, v in f.items() if k.startswith("c:")}
        # (state, connect, hours … events belong to no queue or task)
        here = [self.queues[(b, queue)], self.channels[(b, ch)]] if queue and task else []
        for acc in here:
            acc.count(counters)
        if counters.get("abandoned"):
            arrived = self.submits.get(task, ("", None))[1]
            if arrived is not None and ts - arrived <= SHORT_ABANDON_S:
                for acc in here:
                    acc.c["short_abandoned"] += 1
        agent = f.get("agent", "")
        if ev in ("offer", "assign", "revoke", "release") and agent:
            self.agents[(b, agent)].count(counters)
            if ev == "assign":
                self.agents[(b, agent)].c["accepted"] += 1
                self.holding[(agent, task)] = ts
            elif ev == "release":
                held = self.holding.pop((agent, task), None)
                start = held if held is not None else ts - counters.get("handle_ms", 0) / 1000
                self.busy[agent].append((start, ts))
                self.released[task] = (agent, ts)
        elif ev == "transfer":
            source = f.get("from") or queue
            self.queues[(b, source)].c["transfers"] += 1
            self.channels[(b, ch)].c["transfers"] += 1
            by = self.released.get(task)
            if by is not None and by[1] == ts:  # released in the same step: that agent transferred it
                self.agents[(b, by[0])].c["transfers"] += 1
        elif ev == "escalate":
            for acc in here:
                acc.c["escalations"] += 1
        elif ev == "close" and f.get("code"):
            for acc in here:
                acc.codes[f["code"]] += 1
            if here:
                self.overall[b].codes[f["code"]] += 1
            by = self.released.get(task)
            if by is not None and by[1] == ts:
                self.agents[(b, by[0])].codes[f["code"]] += 1
        elif ev == "rated" and f.get("score", "").isdigit():
            score = int(f["score"])
            ch = f.get("ch") or ch  # the ACD logs the work channel with the rating
            rated = [self.queues[(b, queue)], self.channels[(b, ch)]] if queue else []
            if agent:
                rated.append(self.agents[(b, agent)])
            for acc in rated:
                acc.c["ratings"] += 1
                acc.c["rating_sum"] += score
        elif ev == "state" and agent:
            self._state(agent, f.get("state", "offline"), ts)

    def labelled(self, n: LabelCount) -> None:
        """Closed conversations with a label: under their queue, work channel and last agent."""
        where = [self.overall[n.bucket], self.channels[(n.bucket, n.channel or UNKNOWN_CHANNEL)]]
        if n.queue:
            where.append(self.queues[(n.bucket, n.queue)])
        if n.agent:
            where.append(self.agents[(n.bucket, n.agent)])
        for acc in where:
            acc.labels.add(n.label, n.closed, n.ratings, n.rating_sum)

    def _state(self, agent: str, new: str, ts: float) -> None:
        old, since = self.state.get(agent, ("offline", self.grid.start))
        if old != "offline":
            self.logged[agent].append((since, ts))
        self.state[agent] = (new, ts)

    def finish(self) -> None:
        end = self.limit
        for agent, (state, since) in self.state.items():
            if state != "offline":
                self.logged[agent].append((since, end))
        for (agent, _), start in self.holding.items():
            self.busy[agent].append((start, end))
        for agent in set(self.logged) | set(self.busy):
            window = [(self.grid.start, end)]
            logged = _intersect(_union(self.logged.get(agent, [])), window)
            busy = _intersect(_intersect(_union(self.busy.get(agent, [])), window), logged)
            for i, s in _spread(self.grid, logged).items():
                self.agents[(i, agent)].logged_in_s += s
            for i, s in _spread(self.grid, busy).items():
                self.agents[(i, agent)].busy_s += s


async def build(
    pool: asyncpg.Pool, tenant: str, grid: Grid, *, queues: dict[str, Queue], agents: dict[str, str], now: float,
    names: dict[str, Any] | None = None,
) -> Report:
    """The report of ``tenant`` over ``grid`` from what the archive holds (``now`` ends what is still open);
    ``names``: the configured names of labels and of each queue's wrap-up codes, for the front ends."""
    start, end = _when(grid.start), _when(grid.end)
    async with pool.acquire() as conn, conn.transaction(readonly=True):
        await conn.execute(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}")
        seen = [r["agent"] for r in await conn.fetch(SEEN_AGENTS, tenant, start, end)]
        everyone = sorted(set(agents) | set(seen))
        states = {r["agent"]: r["state"] for r in await conn.fetch(EARLIER_STATES, tenant, everyone, start)}
        submits: dict[str, tuple[str, float | None]] = {
            r["task"]: (r["ch"] or "", float(r["enq"]) if r["enq"] else None)
            for r in await conn.fetch(EARLIER_SUBMITS, tenant, start, end)
        }
        builder = _Builder(grid, min(grid.end, max(now, grid.start)), states, submits)
        # a week of a busy tenant is millions of events: stream them, never hold them all
        async for r in conn.cursor(EVENTS, tenant, start, end, prefetch=5000):
            minute = r["minute"]
            builder.event(r["ev"], r["ts"], r["queue"], int(minute) if minute is not None else None,
                          json.loads(r["fields"]))
        for count in await label_counts(conn, tenant, grid):
            builder.labelled(count)
    builder.finish()
    return Report(grid, now, dict(builder.queues), dict(builder.channels), dict(builder.agents), queues,
                  {a: agents.get(a, a) for a in [*agents, *sorted(set(seen) - set(agents))]},
                  dict(builder.overall), names or {})
