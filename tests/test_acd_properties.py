"""Property-based: random sequences of routing events never break the engine's invariants.

After every step: one holder per task, no agent over any capacity, every task queued, offered,
assigned, in wrap-up or closed with the matching index entries, every conversation record saying
what its task says (and a missing one never created), no waiting task next to an agent who could
take it (or is cooling down after refusing it), and queue order respected by every offer. At the end the statistics replayed
from the event log equal the live ones.
"""

from __future__ import annotations

import asyncio
import os

import redis.asyncio as aioredis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acd.devtools import audit
from acd.devtools import builders as cfg
from acd.effects import Assigned, Offered, OfferRevoked
from acd.engine import Engine
from acd.errors import AcdError
from acd.model import Step, Task

T0 = 1_700_000_000.0
AGENTS = ["a1", "a2", "a3", "a4", "a5"]
QUEUES = ["sales", "general", "vip"]
NODES = ["n1", "n2"]


def tenant():
    agents = [
        cfg.agent("a1", {"sales": 4, "gen": 2}, ("en",), {"chat": 2, "messaging": 1, "email": 2, "voice": 1}),
        cfg.agent("a2", {"sales": 2}, ("en", "de"), {"chat": 1, "voice": 1}),
        cfg.agent("a3", {"gen": 5}, ("de",), {"chat": 3, "email": 3}, auto_accept=True),
        cfg.agent("a4", {"sales": 5, "gen": 3}, ("en",), {"chat": 1, "messaging": 2}),
        cfg.agent("a5", {"gen": 1}, ("en",), {"email": 2, "voice": 1}),
    ]
    queues = [
        cfg.queue("sales", "sales", [Step(timeout_s=30, min_proficiency=3), Step(timeout_s=60),
                                     Step(overflow="general")], wrapup_s=10),
        cfg.queue("general", "gen", [Step(timeout_s=40),
                                     Step(relax_language=True, escalate=["email"])],
                  policy="least_occupancy", aging_per_min=1.0, wrapup_s=5),
        cfg.queue("vip", "sales", policy="best_proficiency", priority=2, wrapup_s=0),
    ]
    return cfg.tenant(agents, queues)


idx = st.integers(0, 7)
ARRIVE = st.tuples(st.just("arrive"), st.sampled_from(QUEUES),
                   st.sampled_from(["chat", "chat", "messaging", "email", "voice"]),
                   st.sampled_from(["en", "en", "de", "fr"]), st.integers(0, 2), st.sampled_from([0, 0, 30]))
OTHER = st.one_of(
    st.tuples(st.just("accept"), idx, st.booleans()),
    st.tuples(st.just("decline"), idx),
    st.tuples(st.just("close"), idx, st.booleans()),
    st.tuples(st.just("wrapup_done"), idx),
    st.tuples(st.just("cancel"), idx),
    st.tuples(st.just("transfer"), idx, st.sampled_from(QUEUES + AGENTS)),
    st.tuples(st.just("state"), st.sampled_from(AGENTS), st.sampled_from(["available", "available", "away", "offline"])),
    st.tuples(st.just("connect"), st.sampled_from(AGENTS), st.sampled_from(NODES)),
    st.tuples(st.just("disconnect"), st.sampled_from(AGENTS)),
    st.tuples(st.just("heartbeat"), st.sampled_from(NODES)),
    st.tuples(st.just("advance"), st.sampled_from([1, 5, 15, 25, 45])),
)
# About a third arrivals, so that queues build up and freed agents have a choice to make.
OPS = st.integers(0, 99).flatmap(lambda x: ARRIVE if x < 35 else OTHER)


def order_key(t: dict, aging: float) -> tuple:
    enq, pbase = float(t["enq"]), float(t["pbase"])
    return (-int(t.get("head", 0)), -(pbase - aging * enq / 60), enq)


def order_violations(engine: Engine, before: dict, after: dict, agents: dict, effects: list) -> list[str]:
    """An offer of T to agent g while a better T' of the same queue and channel, which g could
    take and has not refused, was waiting before and after this step (and was not itself offered
    in between: then it was not waiting when g got T)."""
    bad = []
    queues = engine.config.queues
    touched = {e.task_id for e in effects if isinstance(e, Offered | Assigned | OfferRevoked)}
    for e in effects:
        if not isinstance(e, Offered | Assigned):
            continue
        t = after.get(e.task_id)
        if not t or t.get("agent") != e.agent_id or t["state"] not in ("offered", "assigned"):
            continue
        q = queues[t["queue"]]
        mine = order_key(t, q.aging_per_min)
        for tid, other in after.items():
            was = before.get(tid)
            if (tid in touched or other["state"] != "queued" or not was or was["state"] != "queued" or was["queue"] != other["queue"]
                    or was["step"] != other["step"] or other["queue"] != t["queue"] or other["ch"] != t["ch"]):
                continue
            step = q.steps[int(other["step"]) - 1]
            g = agents[e.agent_id]
            eligible = (g["skills"].get(q.skill, 0) >= step.min_proficiency
                        and (step.relax_language or other["lang"] in g["langs"]))
            if eligible and e.agent_id not in other["tried"] and order_key(other, q.aging_per_min) < mine:
                bad.append(f"{e.task_id} went to {e.agent_id} ahead of {tid}")
    return bad


def record_key(n: int) -> str:
    return f"t:{{t}}:conv:t{n}"


def pick(seq: list, i: int):
    return seq[i % len(seq)] if seq else None


async def apply(engine: Engine, op: tuple, now: float, n: int) -> list:
    kind = op[0]
    r, k = engine.redis, engine.keys
    live = sorted(await r.smembers(k.tasks()))
    offers = sorted((await r.hgetall(k.offers())).items())
    if kind == "arrive":
        _, queue, ch, lang, prio, back = op
        record = record_key(n)
        if n % 4:  # every fourth conversation's record is gone (retention): it must stay gone
            await r.hset(record, mapping={"state": "new", "n": n})
        return await engine.submit(Task(f"t{n}", queue, ch, lang, prio, now - back, {"n": n}, record), now)
    if kind in ("accept", "decline"):
        chosen = pick(offers, op[1])
        if chosen is None:
            return []
        holder = await r.hget(k.task(chosen[1]), "agent")
        agent = holder if kind == "decline" or op[2] else pick([a for a in AGENTS if a != holder], op[1])
        return await getattr(engine, kind)(agent, chosen[0], now)
    if kind in ("close", "wrapup_done", "cancel", "transfer"):
        tid = pick(live, op[1])
        if tid is None:
            return []
        if kind == "close":
            return await engine.close(tid, now, "done" if op[2] else None, reason="visitor")
        if kind == "cancel":
            return await engine.cancel(tid, "left", now)
        if kind == "wrapup_done":
            return await engine.wrapup_done(await r.hget(k.task(tid), "agent") or "a1", tid, "ok", now)
        target = op[2]
        if target in QUEUES:
            return await engine.transfer(tid, now, queue=target)
        return await engine.transfer(tid, now, agent=target)
    if kind == "state":
        return await engine.set_state(op[1], op[2], now)
    if kind == "connect":
        return await engine.agent_connected(op[1], f"s-{op[1]}-{op[2]}", op[2], now)
    if kind == "disconnect":
        socks = sorted((await r.hgetall(k.agent_sockets(op[1]))).items())
        if not socks:
            return []
        return await engine.agent_disconnected(op[1], socks[0][0], socks[0][1], now)
    if kind == "heartbeat":
        return await engine.node_heartbeat(op[1], now, 20)
    raise AssertionError(kind)


async def run(redis_url: str, ops: list[tuple]) -> None:
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        await client.flushdb()
        engine = Engine(client, tenant())
        await engine.sync_config(T0)
        for aid in AGENTS[:4]:
            await engine.set_state(aid, "available", T0)
        now = T0
        for n, op in enumerate(ops):
            now += 0.5
            before, agents = await audit.load_state(engine)
            if op[0] == "advance":
                now += op[1]
                effects = await engine.tick(now)
            else:
                try:
                    effects = await apply(engine, op, now, n)
                except AcdError:
                    effects = []
            after, _ = await audit.load_state(engine)
            problems = await audit.check(engine, work_conserving=True)
            if op[0] not in ("transfer", "accept"):  # a direct offer; an accept decides nothing
                problems += order_violations(engine, before, after, agents, effects)
            assert problems == [], f"after step {n} {op}: {problems}"
        assert await engine.stats_replay(now) == await engine.queue_stats(now)
        assert [n for n in range(0, len(ops), 4) if await client.exists(record_key(n))] == []
    finally:
        await client.aclose()


# ACD_PROPERTY_EXAMPLES=1000 (with pytest --timeout 0) for a longer hunt; the default keeps the suite fast.
@settings(max_examples=int(os.environ.get("ACD_PROPERTY_EXAMPLES", "25")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(OPS, min_size=10, max_size=45))
def test_random_sequences_keep_every_invariant(redis_url, ops):
    asyncio.run(run(redis_url, ops))
