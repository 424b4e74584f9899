"""The conversation record: rewritten from the task inside the same script as every change."""

from __future__ import annotations

import pytest

from acd.devtools import audit
from acd.devtools import builders as cfg
from acd.devtools.builders import T0, started_engine
from acd.effects import Offered
from acd.errors import BadRequest
from acd.model import Step, Task

FIELDS = ("state", "agent_id", "queue")


def key(tid: str) -> str:
    return "t:{t}:conv:" + tid


async def conversation(redis, tid: str) -> str:
    """A stand-in for the gateway's conversation hash, with a field the engine must leave alone."""
    await redis.hset(key(tid), mapping={"state": "queued", "topic": "billing", "created_at": T0})
    return key(tid)


async def record(redis, tid: str, *names: str) -> tuple:
    values = await redis.hmget(key(tid), names or FIELDS)
    return tuple(values)


async def submit(engine, tid: str, now: float, queue: str = "q", **kw) -> list:
    return await engine.submit(Task(tid, queue, "chat", "en", record=await conversation(engine.redis, tid), **kw), now)


def offer_of(effects) -> str:
    [offer] = [e for e in effects if isinstance(e, Offered)]
    return offer.offer_id


async def test_offer_accept_close_and_wrapup(redis):
    engine = await started_engine(redis, cfg.tenant([cfg.agent("a"), cfg.agent("b")], [cfg.queue("q", wrapup_s=30)]),
                                  ("a", "b"), stagger=True)
    oid = offer_of(await submit(engine, "c1", T0 + 10))
    assert await record(redis, "c1") == ("offered", "a", "q")
    await engine.accept("a", oid, T0 + 14)
    assert await record(redis, "c1", "state", "agent_id", "assigned_at", "updated_at") == (
        "assigned", "a", str(int(T0 + 14)), str(int(T0 + 14)))
    await engine.close("c1", T0 + 50, reason="visitor")
    assert (await engine.task("c1"))["state"] == "wrapup"  # the slot is still busy …
    closed = ("closed", "a", str(int(T0 + 50)), "visitor")
    # … but for the customer the conversation is over
    assert await record(redis, "c1", "state", "agent_id", "closed_at", "close_reason") == closed
    await engine.wrapup_done("a", "c1", "sold", T0 + 55)
    assert await record(redis, "c1", "state", "agent_id", "closed_at", "close_reason") == closed
    assert await record(redis, "c1", "topic", "updated_at") == ("billing", str(int(T0 + 50)))
    assert await audit.check(engine) == []


async def test_decline_and_expiry_move_the_record_with_the_offer(redis):
    engine = await started_engine(redis, cfg.tenant([cfg.agent("a"), cfg.agent("b")]), ("a", "b"), stagger=True)
    oid = offer_of(await submit(engine, "c1", T0 + 10))
    await engine.decline("a", oid, T0 + 11)
    assert await record(redis, "c1") == ("offered", "b", "q")
    await engine.tick(T0 + 31)  # b lets it expire; a is still cooling down
    assert await record(redis, "c1") == ("queued", "", "q")
    await engine.tick(T0 + 41)  # a's cool-down is over: offered to a again
    assert await record(redis, "c1") == ("offered", "a", "q")
    assert await audit.check(engine, work_conserving=True) == []


async def test_requeue_after_the_disconnect_grace(redis):
    engine = await started_engine(redis, cfg.tenant([cfg.agent("a", auto_accept=True), cfg.agent("b")]), ("a",))
    await engine.agent_connected("a", "s1", "n1", T0)
    await engine.node_heartbeat("n1", T0, 600)
    await submit(engine, "c1", T0 + 1)
    assert await record(redis, "c1") == ("assigned", "a", "q")
    await engine.agent_disconnected("a", "s1", "n1", T0 + 2)
    await engine.tick(T0 + 32)
    assert await record(redis, "c1") == ("queued", "", "q")
    await engine.set_state("b", "available", T0 + 33)
    assert await record(redis, "c1") == ("offered", "b", "q")


async def test_overflow_and_transfer_change_the_queue_in_the_record(redis):
    tenant = cfg.tenant(
        [cfg.agent("a", {"s": 3, "x": 3})],
        [cfg.queue("q", steps=[Step(timeout_s=30), Step(overflow="other")]), cfg.queue("other", "x")],
    )
    engine = await started_engine(redis, tenant)
    await engine.set_state("a", "away", T0)  # logged in, so the first step is not skipped
    await submit(engine, "c1", T0 + 1)
    assert await record(redis, "c1") == ("queued", "", "q")
    await engine.tick(T0 + 31)
    assert await record(redis, "c1") == ("queued", "", "other")
    await engine.transfer("c1", T0 + 40, queue="q")
    assert await record(redis, "c1") == ("queued", "", "q")
    await engine.set_state("a", "available", T0 + 41)
    await engine.transfer("c1", T0 + 42, queue="other")  # taken back from a's offer
    assert await record(redis, "c1") == ("offered", "a", "other")
    assert await audit.check(engine, work_conserving=True) == []


async def test_close_and_cancel_before_and_after_the_answer(redis):
    tenant = cfg.tenant([cfg.agent("a", {"s": 3}, capacity={"chat": 2})], [cfg.queue("q", wrapup_s=0)])
    engine = await started_engine(redis, tenant, ("a",))
    await submit(engine, "offered", T0 + 1)
    await submit(engine, "answered", T0 + 2)
    await engine.accept("a", (await engine.task("answered"))["offer"]["offer_id"], T0 + 3)
    await engine.set_state("a", "away", T0 + 4)  # the first offer goes back to the line
    await submit(engine, "waiting", T0 + 5)
    await engine.cancel("offered", "left", T0 + 10)
    await engine.close("waiting", T0 + 11, reason="visitor")
    await engine.cancel("answered", "timeout", T0 + 12)
    names = ("state", "agent_id", "closed_at", "close_reason")
    assert await record(redis, "offered", *names) == ("closed", "", str(int(T0 + 10)), "left")
    assert await record(redis, "waiting", *names) == ("closed", "", str(int(T0 + 11)), "visitor")
    assert await record(redis, "answered", *names) == ("closed", "a", str(int(T0 + 12)), "timeout")
    assert (await engine.agent("a"))["load"]["chat"] == 0


async def test_a_missing_record_is_never_created(redis):
    engine = await started_engine(redis, cfg.tenant([cfg.agent("a")]), ("a",))
    await engine.submit(Task("gone", "q", "chat", "en", record=key("gone")), T0 + 1)
    await engine.accept("a", (await engine.task("gone"))["offer"]["offer_id"], T0 + 2)
    await engine.close("gone", T0 + 3)
    assert await redis.exists(key("gone")) == 0
    # deleted by retention while the task lives on: stays deleted
    await submit(engine, "purged", T0 + 10)
    await redis.delete(key("purged"))
    await engine.tick(T0 + 60)
    assert await redis.exists(key("purged")) == 0


@pytest.mark.parametrize("bad", ["t:{other}:conv:c1", "conv:c1", "t:{t}:acd:t:c1"])
async def test_a_record_outside_the_tenant_is_refused(redis, bad):
    engine = await started_engine(redis, cfg.tenant([cfg.agent("a")]), ("a",))
    with pytest.raises(BadRequest, match="must be a key of tenant 't'"):
        await engine.submit(Task("c1", "q", "chat", "en", record=bad), T0)
    assert await engine.task("c1") is None
    assert (await engine.agent("a"))["load"]["chat"] == 0
