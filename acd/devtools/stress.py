"""A routing stress worker: random traffic against one tenant, for concurrency tests and soak runs.

Run several at once against the same Redis (``python -m acd.devtools.stress --url … --worker N``); each
syncs the config, then submits, accepts, declines, closes, changes agent states, connects and
disconnects sockets and ticks timers at random, on a virtual clock shared through the wall clock
(``start + (time.time() - wall0) * speed``). Prints one JSON line of counts. Check the
invariants afterwards with ``acd.devtools.audit.check``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections import Counter

import redis.asyncio as aioredis

from .. import replies
from ..engine import Engine
from ..errors import AcdError
from ..model import RoutingConfig, Step, Task
from . import builders

AGENTS = [f"a{i}" for i in range(12)]
CHANNELS = ["chat", "chat", "messaging", "email", "voice"]


def tenant() -> RoutingConfig:
    """The stress tenant: 12 blended agents, three queues with steps and overflow."""
    agents = [
        builders.agent(
            aid,
            {"sales": 1 + i % 5, "tech": 1 + (i * 3) % 5},
            ("en", "de") if i % 3 else ("de",),
            {"chat": 1 + i % 3, "messaging": i % 2 + 1, "email": 2, "voice": i % 2},
            auto_accept=(i % 4 == 0),
        )
        for i, aid in enumerate(AGENTS)
    ]
    queues = [
        builders.queue("sales", "sales", [Step(timeout_s=20, min_proficiency=3), Step(timeout_s=40),
                                         Step(overflow="tech")], wrapup_s=5),
        builders.queue("tech", "tech", [Step(timeout_s=30), Step(relax_language=True)],
                      policy="least_occupancy", wrapup_s=3),
        builders.queue("vip", "sales", policy="best_proficiency", priority=3, aging_per_min=2, wrapup_s=0),
    ]
    return builders.tenant(agents, queues, tenant_id="stress")


async def work(url: str, worker: int, ops: int, seed: int, start: float, wall0: float, speed: float) -> Counter:
    """Run ``ops`` random operations; returns what happened, by kind."""
    rng = random.Random(seed * 1000 + worker)
    client = aioredis.Redis.from_url(url, decode_responses=True)
    seen: Counter[str] = Counter()
    try:
        engine = Engine(client, tenant())
        k = engine.keys

        def now() -> float:
            return start + (time.time() - wall0) * speed

        await engine.sync_config(now())
        for i in range(ops):
            roll = rng.random()
            try:
                if roll < 0.35:
                    new_id = f"w{worker}-{i}"
                    record = f"{k.prefix}conv:{new_id}"  # kept in step by the engine; audit.check compares
                    await client.hset(record, "state", "new")
                    await engine.submit(Task(new_id, rng.choice(["sales", "tech", "vip"]), rng.choice(CHANNELS),
                                             rng.choice(["en", "de"]), rng.randint(0, 2), record=record), now())
                    seen["submit"] += 1
                elif roll < 0.55:
                    offer = replies.maybe_text(await client.hrandfield(k.offers()))
                    tid = offer and replies.maybe_text(await client.hget(k.offers(), offer))
                    agent = tid and replies.maybe_text(await client.hget(k.task(tid), "agent"))
                    if offer and agent:
                        await (engine.accept if rng.random() < 0.8 else engine.decline)(agent, offer, now())
                        seen["answer"] += 1
                elif roll < 0.72:
                    tid = replies.maybe_text(await client.srandmember(k.tasks()))
                    if tid:
                        await engine.close(tid, now(), rng.choice([None, "done"]))
                        seen["close"] += 1
                elif roll < 0.78:
                    await engine.set_state(rng.choice(AGENTS), rng.choice(["available"] * 3 + ["away", "offline"]),
                                           now())
                    seen["state"] += 1
                elif roll < 0.84:
                    aid = rng.choice(AGENTS)
                    if rng.random() < 0.5:
                        await engine.agent_connected(aid, f"s{worker}-{i}", f"node{worker}", now())
                    else:
                        socks = replies.fields(await client.hgetall(k.agent_sockets(aid)))
                        if socks:
                            sid = rng.choice(sorted(socks))
                            await engine.agent_disconnected(aid, sid, socks[sid], now())
                    seen["socket"] += 1
                elif roll < 0.88:
                    tid = replies.maybe_text(await client.srandmember(k.tasks()))
                    if tid:
                        await engine.transfer(tid, now(), queue=rng.choice(["sales", "tech"]))
                        seen["transfer"] += 1
                else:
                    await engine.node_heartbeat(f"node{worker}", now(), 10)
                    await engine.tick(now())
                    seen["tick"] += 1
            except AcdError as err:
                seen[f"refused:{err.code}"] += 1
    finally:
        await client.aclose()
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--worker", type=int, default=0)
    parser.add_argument("--ops", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--start", type=float, default=1_700_000_000.0)
    parser.add_argument("--wall0", type=float, default=None)
    parser.add_argument("--speed", type=float, default=20.0)
    a = parser.parse_args()
    seen = asyncio.run(work(a.url, a.worker, a.ops, a.seed, a.start, a.wall0 or time.time(), a.speed))
    print(json.dumps({"worker": a.worker, **seen}))


if __name__ == "__main__":
    main()
