"""The routing benchmark: decision latency and throughput with 100, 1,000 and 10,000 agents.

For each size N: N blended agents are logged in (4 skills, 2 languages, chat capacity 1), then
rounds (until each phase has --decisions samples) of
    arrival    N tasks arrive one by one, each offered at once to a free agent (timed: submit
               -> offer written); the agents accept
    backlog    N more tasks arrive and queue (every agent is busy): N agents, N queued tasks
    slot-free  agents close one by one; each takes the best of the N waiting tasks (timed)
and finally: throughput, 32 concurrent clients submit, accept and close (decisions/s).
Latency is measured in the client (asyncio + redis-py); `server_us` is Redis' own time per
script call (INFO commandstats). Prints JSON lines, then the comparison with the targets:
p99 <= 5 ms at 10k agents, >= 2,000 decisions/s from one process, 10k cost <= 1.5 x 100 cost.
Starts its own embedded redis-server (AOF, --appendfsync) unless REDIS_URL is set.

    .venv/bin/python bench/acd_bench.py                     # ~1-2 minutes
    .venv/bin/python bench/acd_bench.py --sizes 100 1000 --appendfsync always
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import redis.asyncio as aioredis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from acd.devtools import builders  # noqa: E402
from acd.effects import Offered  # noqa: E402
from acd.engine import Engine  # noqa: E402
from acd.model import Task  # noqa: E402
from gateway.embedded_redis import EmbeddedRedis  # noqa: E402

SKILLS = ("billing", "tech", "sales", "returns")
T0 = 1_700_000_000.0
TARGET_P99_MS, TARGET_RATE, TARGET_SCALE = 5.0, 2000.0, 1.5


def tenant(n: int):
    agents = [
        builders.agent(f"a{i}", {SKILLS[i % 4]: 1 + i % 5, SKILLS[(i + 1) % 4]: 1 + (i * 7) % 5},
                      ("en", "de") if i % 2 else ("en",), {"chat": 1, "email": 2})
        for i in range(n)
    ]
    queues = [builders.queue(s, s, wrapup_s=0) for s in SKILLS]
    return builders.tenant(agents, queues, tenant_id=f"bench{n}")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def server_us(redis: aioredis.Redis) -> tuple[int, int]:
    row = (await redis.info("commandstats")).get("cmdstat_evalsha", {})
    return int(row.get("calls", 0)), int(row.get("usec", 0))


class Phase:
    """Latencies (ms) and Redis time of one phase, summed over rounds."""

    def __init__(self, label: str, n_agents: int) -> None:
        self.label, self.n_agents = label, n_agents
        self.lat: list[float] = []
        self.calls = self.usec = 0
        self.wall = 0.0

    async def run(self, redis: aioredis.Redis, calls) -> None:
        c0, u0 = await server_us(redis)
        t = time.perf_counter()
        for make in calls:
            s = time.perf_counter()
            await make()
            self.lat.append((time.perf_counter() - s) * 1000)
        self.wall += time.perf_counter() - t
        c1, u1 = await server_us(redis)
        self.calls += c1 - c0 - 1  # the INFO call itself is not a script
        self.usec += u1 - u0

    def row(self) -> dict:
        row = {"bench": "acd", "agents": self.n_agents, "phase": self.label, "decisions": len(self.lat),
               "p50_ms": round(pct(self.lat, 0.5), 3), "p99_ms": round(pct(self.lat, 0.99), 3),
               "mean_ms": round(statistics.fmean(self.lat), 3),
               "server_us": round(self.usec / max(1, self.calls), 1),
               "sequential_per_s": round(len(self.lat) / self.wall)}
        print(json.dumps(row), flush=True)
        return row


async def close_everything(engine: Engine, now: float) -> None:
    """Untimed clean-up between rounds: close every live task (closing one may offer another)."""
    while ids := sorted(await engine.redis.smembers(engine.keys.tasks())):
        for i in range(0, len(ids), 256):
            await asyncio.gather(*(engine.close(t, now, "done") for t in ids[i:i + 256]))


async def run_size(redis: aioredis.Redis, n: int, concurrency: int, cycles: int, decisions: int) -> list[dict]:
    """Rounds of arrival / backlog / slot-free until each phase has at least `decisions` samples."""
    await redis.flushdb()
    engine = Engine(redis, tenant(n))
    await engine.sync_config(T0)
    for i in range(0, n, 256):
        await asyncio.gather(*(engine.set_state(f"a{j}", "available", T0) for j in range(i, min(n, i + 256))))
    arrival, backlog, slot_free = Phase("arrival", n), Phase("backlog", n), Phase("slot-free", n)
    now = T0 + 1
    rnd = 0
    while len(arrival.lat) < decisions:
        rnd += 1
        offers: list[Offered] = []

        def submit(i: int, prefix: str, at: float, keep: list | None = None, rnd: int = rnd):
            async def go():
                effects = await engine.submit(Task(f"{prefix}{rnd}-{i}", SKILLS[i % 4], "chat", "en"), at)
                if keep is not None:
                    keep.extend(e for e in effects if isinstance(e, Offered))
            return go

        await arrival.run(redis, [submit(i, "x", now + i * 1e-4, offers) for i in range(n)])
        for i in range(0, len(offers), 256):
            await asyncio.gather(*(engine.accept(o.agent_id, o.offer_id, now + 5) for o in offers[i:i + 256]))
        await backlog.run(redis, [submit(i, "y", now + 10 + i * 1e-4) for i in range(n)])
        closes = offers[: max(1, min(n, decisions - len(slot_free.lat)))]
        await slot_free.run(redis, [lambda o=o, at=now + 20: engine.close(o.task_id, at, "done") for o in closes])
        await close_everything(engine, now + 30)
        now += 100
    rows = [arrival.row(), backlog.row(), slot_free.row()]
    rows.append(await throughput(engine, n, concurrency, cycles, now + 100))
    return rows


async def throughput(engine: Engine, n: int, concurrency: int, cycles: int, now: float) -> dict:
    """Concurrent clients: submit, accept, close again and again; every call is one decision."""
    await engine.redis.flushdb()
    small = Engine(engine.redis, tenant(n))
    await small.sync_config(now)
    for i in range(0, n, 256):
        await asyncio.gather(*(small.set_state(f"a{j}", "available", now) for j in range(i, min(n, i + 256))))
    done = 0

    async def client(c: int) -> None:
        nonlocal done
        for i in range(cycles):
            effects = await small.submit(Task(f"z{c}-{i}", SKILLS[(c + i) % 4], "chat", "en"), now)
            done += 1
            for e in effects:
                if isinstance(e, Offered):
                    await small.accept(e.agent_id, e.offer_id, now)
                    await small.close(e.task_id, now, "done")
                    done += 2

    c0, u0 = await server_us(engine.redis)
    t = time.perf_counter()
    await asyncio.gather(*(client(c) for c in range(concurrency)))
    wall = time.perf_counter() - t
    c1, u1 = await server_us(engine.redis)
    row = {"bench": "acd", "agents": n, "phase": "throughput", "clients": concurrency, "decisions": done,
           "decisions_per_s": round(done / wall), "server_us": round((u1 - u0) / max(1, c1 - c0), 1)}
    print(json.dumps(row), flush=True)
    return row


async def main(args: argparse.Namespace) -> None:
    server = None
    url = os.environ.get("REDIS_URL")
    if not url:
        server = EmbeddedRedis(Path(tempfile.mkdtemp(prefix="acd-bench-")), appendfsync=args.appendfsync)
        url = await server.start()
    pool = aioredis.BlockingConnectionPool.from_url(url, decode_responses=True, max_connections=64)
    redis = aioredis.Redis(connection_pool=pool)
    try:
        info = await redis.info("server")
        print(json.dumps({"bench": "acd", "redis": info.get("redis_version"), "url": url.split("?")[0],
                          "appendfsync": None if os.environ.get("REDIS_URL") else args.appendfsync}), flush=True)
        results = {n: await run_size(redis, n, args.concurrency, args.cycles, args.decisions) for n in args.sizes}
    finally:
        await redis.aclose()
        if server:
            await server.stop()
    small, big = min(results), max(results)
    by = {n: {r["phase"]: r for r in rows} for n, rows in results.items()}
    p99 = max(by[big]["arrival"]["p99_ms"], by[big]["slot-free"]["p99_ms"])
    rate = by[big]["throughput"]["decisions_per_s"]
    scale = by[big]["arrival"]["server_us"] / by[small]["arrival"]["server_us"]
    scale_free = by[big]["slot-free"]["server_us"] / by[small]["slot-free"]["server_us"]
    print(json.dumps({
        "bench": "acd", "compare": f"{big} vs {small} agents",
        "p99_ms": p99, "target_p99_ms": TARGET_P99_MS, "p99_ok": p99 <= TARGET_P99_MS,
        "decisions_per_s": rate, "target_decisions_per_s": TARGET_RATE, "rate_ok": rate >= TARGET_RATE,
        "arrival_cost_ratio": round(scale, 2), "slot_free_cost_ratio": round(scale_free, 2),
        "target_ratio": TARGET_SCALE, "scale_ok": max(scale, scale_free) <= TARGET_SCALE,
    }), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--cycles", type=int, default=100)
    parser.add_argument("--decisions", type=int, default=2000, help="samples per phase and size (rounds)")
    parser.add_argument("--appendfsync", default="everysec", choices=["always", "everysec", "no"])
    asyncio.run(main(parser.parse_args()))
