"""Connections: disconnect grace, dead gateway nodes, and timers with several tickers."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis

from acd.devtools import builders as cfg
from acd.devtools.builders import T0, started_engine
from acd.effects import AgentStateChanged, Assigned, Offered, OfferRevoked, TaskRequeued
from acd.engine import Engine
from acd.model import Task


async def start(redis, tenant, available=()):
    return await started_engine(redis, tenant, available, stagger=False)


async def test_disconnect_grace_then_offline_and_requeue_at_the_head(redis):
    tenant = cfg.tenant([cfg.agent("a", auto_accept=True), cfg.agent("b", auto_accept=True)])
    engine = await start(redis, tenant, ["a"])
    await engine.node_heartbeat("n1", T0, 60)
    await engine.agent_connected("a", "sid1", "n1", T0)
    await engine.submit(Task("mine", "q", "chat", "en"), T0 + 10)
    await engine.submit(Task("waiting", "q", "chat", "en"), T0 + 5)  # submitted later, enqueued earlier
    await engine.agent_disconnected("a", "sid1", "n1", T0 + 20)
    assert await engine.tick(T0 + 49) == []
    effects = await engine.tick(T0 + 50)
    assert [type(e) for e in effects] == [AgentStateChanged, TaskRequeued]
    assert (effects[0].state, effects[0].reason) == ("offline", "disconnected")
    assert effects[1].task_id == "mine"
    task = await engine.task("mine")
    assert (task["state"], task["enqueued_at"]) == ("queued", T0 + 10)
    positions = {p.task_id: p.position for p in await engine.positions(T0 + 51)}
    assert positions == {"mine": 1, "waiting": 2}  # head of the queue, ahead of an older task
    effects = await engine.set_state("b", "available", T0 + 52)
    assert [e.task_id for e in effects if isinstance(e, Assigned)] == ["mine"]


async def test_reconnecting_within_the_grace_keeps_the_agent(redis):
    engine = await start(redis, cfg.tenant([cfg.agent("a")]), ["a"])
    await engine.node_heartbeat("n1", T0, 60)
    await engine.agent_connected("a", "s1", "n1", T0)
    await engine.agent_connected("a", "s2", "n1", T0)
    await engine.agent_disconnected("a", "s1", "n1", T0 + 1)  # one tab left: no grace at all
    await engine.agent_disconnected("a", "s2", "n1", T0 + 2)
    await engine.agent_connected("a", "s3", "n1", T0 + 20)
    assert await engine.tick(T0 + 40) == []
    assert (await engine.agent("a"))["state"] == "available"


async def test_sockets_of_a_dead_node_are_reclaimed(redis):
    engine = await start(redis, cfg.tenant([cfg.agent("a"), cfg.agent("b")]), ["a", "b"])
    for node in ("n1", "n2"):
        await engine.node_heartbeat(node, T0, 15)
    await engine.agent_connected("a", "s1", "n1", T0)
    await engine.agent_connected("b", "s2", "n1", T0)
    await engine.agent_connected("b", "s3", "n2", T0)  # b also has a tab through a live node
    [offer] = [e for e in await engine.submit(Task("c1", "q", "chat", "en"), T0 + 1) if isinstance(e, Offered)]
    await engine.accept(offer.agent_id, offer.offer_id, T0 + 2)
    # n1 is killed -9: it never heartbeats again; n2 keeps going
    for t in (10, 20, 30, 40):
        await engine.node_heartbeat("n2", T0 + t, 15)
        await engine.tick(T0 + t)
    effects = await engine.tick(T0 + 45)  # n1's lease ran out at T0+15, grace 30 s later
    assert [(e.agent_id, e.state) for e in effects if isinstance(e, AgentStateChanged)] == [("a", "offline")]
    assert [e.task_id for e in effects if isinstance(e, TaskRequeued)] == ["c1"]
    assert (await engine.agent("b"))["state"] == "available"
    assert await redis.hgetall(engine.keys.agent_sockets("b")) == {"s3": "n2"}


async def test_grace_starts_when_the_last_live_socket_goes(redis):
    engine = await start(redis, cfg.tenant([cfg.agent("a")]), ["a"])
    await engine.agent_connected("a", "s1", "n1", T0)  # first contact gives n1 a 30 s lease
    await engine.agent_connected("a", "s2", "n2", T0)
    await engine.node_heartbeat("n2", T0 + 20, 30)
    await engine.agent_disconnected("a", "s2", "n2", T0 + 40)  # n1 is dead by now: nothing left
    assert await redis.hgetall(engine.keys.agent_sockets("a")) == {}
    assert await engine.tick(T0 + 69) == []
    effects = await engine.tick(T0 + 70)
    assert [(e.agent_id, e.state) for e in effects if isinstance(e, AgentStateChanged)] == [("a", "offline")]


async def test_each_timer_fires_once_with_two_concurrent_tickers(redis, redis_url):
    agents = [cfg.agent(f"a{i}", capacity={"chat": 2}) for i in range(20)]
    engine = await start(redis, cfg.tenant(agents, max_missed_offers=5), [a.id for a in agents])
    for i in range(40):
        await engine.submit(Task(f"c{i}", "q", "chat", "en"), T0 + 1)
    other_client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        engines = [engine, Engine(other_client, engine.config, tick_batch=3)]
        results = await asyncio.gather(*(e.tick(T0 + 21) for e in engines * 3))
    finally:
        await other_client.aclose()
    revoked = [e.offer_id for effects in results for e in effects if isinstance(e, OfferRevoked)]
    assert len(revoked) == 40 and len(set(revoked)) == 40
    # each task went on to someone else once, never to two agents
    reoffered = [e.task_id for effects in results for e in effects if isinstance(e, Offered)]
    assert len(reoffered) == len(set(reoffered)) >= 38
    due = await redis.zrange(engine.keys.timers(), 0, -1, withscores=True)
    offer_timers = [score for member, score in due if member.startswith("offer|")]
    cool_timers = [score for member, score in due if member.startswith("cool|")]
    assert len(offer_timers) == len(reoffered) and set(offer_timers) == {T0 + 41}
    assert len(cool_timers) == 40 and set(cool_timers) == {T0 + 51}  # each miss, once


async def held_by_a(redis) -> Engine:
    """An engine where agent ``a`` holds the conversation ``held``."""
    engine = await start(redis, cfg.tenant([cfg.agent("a", auto_accept=True)]), ["a"])
    effects = await engine.submit(Task("held", "q", "chat", "en"), T0 + 1)
    assert [e.task_id for e in effects if isinstance(e, Assigned)] == ["held"]
    return engine


async def test_a_calm_offline_hands_the_customer_on_as_a_transfer_whatever_the_reason_says(redis):
    engine = await held_by_a(redis)
    effects = await engine.set_state("a", "offline", T0 + 2, "lunch", calm=True)
    [requeued] = [e for e in effects if isinstance(e, TaskRequeued)]
    assert (requeued.task_id, requeued.reason) == ("held", "transferred")
    # the reason stays what the console shows; it decides nothing
    [changed] = [e for e in effects if isinstance(e, AgentStateChanged)]
    assert changed.reason == "lunch"


async def test_the_reason_text_alone_never_makes_an_offline_calm(redis):
    for reason in ("set by Sam: team meeting", "supervisor_logout", "handed_back"):
        await redis.flushdb()
        engine = await held_by_a(redis)
        effects = await engine.set_state("a", "offline", T0 + 2, reason)
        assert [(e.task_id, e.reason) for e in effects if isinstance(e, TaskRequeued)] == [("held", "agent_offline")]
