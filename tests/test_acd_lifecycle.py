"""After the answer: wrap-up, close, abandonment, transfer."""

from __future__ import annotations

import pytest

from acd.devtools import builders as cfg
from acd.devtools.builders import T0, started_engine
from acd.effects import Assigned, Offered, OfferRevoked, TaskRequeued, WrapupEnded
from acd.errors import AgentUnavailable, InvalidState, NotYourTask, OverCapacity
from acd.model import Task


async def start(redis, tenant, available=()):
    return await started_engine(redis, tenant, available, stagger=True)


def kinds(effects):
    return [e.kind for e in effects]


async def test_wrapup_holds_the_slot_until_its_time_is_over(redis):
    tenant = cfg.tenant([cfg.agent("a", capacity={"chat": 1, "email": 1}, auto_accept=True)],
                        [cfg.queue("q", wrapup_s=30)], rules={})
    engine = await start(redis, tenant, ["a"])
    await engine.submit(Task("c1", "q", "chat", "en"), T0 + 10)
    await engine.submit(Task("c2", "q", "chat", "en"), T0 + 11)
    assert await engine.close("c1", T0 + 100) == []
    assert (await engine.task("c1"))["state"] == "wrapup"
    a = await engine.agent("a")
    assert a["state"] == "available" and a["load"]["chat"] == 1
    # wrap-up holds the chat slot, not the agent: an email can still come in
    assert kinds(await engine.submit(Task("e1", "q", "email", "en"), T0 + 101)) == ["assigned"]
    assert await engine.tick(T0 + 129) == []
    effects = await engine.tick(T0 + 130)
    assert isinstance(effects[0], WrapupEnded) and effects[0].task_id == "c1"
    assert [e.task_id for e in effects if isinstance(e, Assigned)] == ["c2"]
    assert (await engine.task("c1"))["state"] == "closed"


async def test_wrapup_code_frees_the_slot_early(redis):
    tenant = cfg.tenant([cfg.agent("a", auto_accept=True)], [cfg.queue("q", wrapup_s=60)])
    engine = await start(redis, tenant, ["a"])
    await engine.submit(Task("c1", "q", "chat", "en"), T0 + 10)
    await engine.submit(Task("c2", "q", "chat", "en"), T0 + 11)
    await engine.close("c1", T0 + 50)
    with pytest.raises(NotYourTask):
        await engine.wrapup_done("b", "c1", "sold", T0 + 55)
    effects = await engine.wrapup_done("a", "c1", "sold", T0 + 55)
    assert kinds(effects) == ["wrapup_ended", "assigned"]
    assert await engine.tick(T0 + 200) == []  # the wrap-up timer does not fire any more
    # a code given at close skips wrap-up entirely
    effects = await engine.close("c2", T0 + 300, wrapup_code="done")
    assert (await engine.task("c2"))["state"] == "closed" and effects == []
    await engine.submit(Task("c3", "q", "voice", "en"), T0 + 301)  # nobody takes voice: it waits
    with pytest.raises(InvalidState):
        await engine.wrapup_done("a", "c3", "x", T0 + 302)


async def test_cancel_while_waiting_or_offered_counts_as_abandoned(redis):
    engine = await start(redis, cfg.tenant([cfg.agent("a")]), ["a"])
    [offer] = [e for e in await engine.submit(Task("c1", "q", "chat", "en"), T0 + 1) if isinstance(e, Offered)]
    await engine.submit(Task("c2", "q", "chat", "en"), T0 + 2)
    effects = await engine.cancel("c1", "left", T0 + 5)
    assert isinstance(effects[0], OfferRevoked) and effects[0].reason == "cancelled"
    assert [(e.task_id, e.agent_id) for e in effects if isinstance(e, Offered)] == [("c2", "a")]
    await engine.cancel("c2", "left", T0 + 6)
    await engine.cancel("c2", "left", T0 + 7)  # twice is harmless
    stats = (await engine.queue_stats(T0 + 10))["q"]
    assert stats["abandoned"] == 2 and stats["waiting"] == 0
    assert (await engine.agent("a"))["load"]["chat"] == 0


async def test_transfer_to_a_queue_frees_the_agent_and_keeps_the_enqueue_time(redis):
    tenant = cfg.tenant(
        [cfg.agent("a", {"s": 3}, auto_accept=True), cfg.agent("b", {"x": 3}, auto_accept=True)],
        [cfg.queue("q"), cfg.queue("other", skill="x")],
    )
    engine = await start(redis, tenant, ["a"])
    await engine.submit(Task("c1", "q", "chat", "en"), T0 + 1)
    effects = await engine.transfer("c1", T0 + 50, queue="other")
    assert isinstance(effects[0], TaskRequeued) and effects[0].reason == "transferred"
    task = await engine.task("c1")
    assert (task["queue"], task["state"], task["enqueued_at"]) == ("other", "queued", T0 + 1)
    assert (await engine.agent("a"))["load"]["chat"] == 0
    effects = await engine.set_state("b", "available", T0 + 60)
    assert [e.task_id for e in effects if isinstance(e, Assigned)] == ["c1"]


async def test_transfer_to_an_agent_offers_it_to_that_agent_only(redis):
    tenant = cfg.tenant([cfg.agent("a", auto_accept=True), cfg.agent("b"), cfg.agent("c")])
    engine = await start(redis, tenant, ["a", "b"])
    await engine.submit(Task("c1", "q", "chat", "en"), T0 + 1)
    with pytest.raises(AgentUnavailable):
        await engine.transfer("c1", T0 + 2, agent="c")
    await engine.submit(Task("c2", "q", "chat", "en"), T0 + 3)  # offered to b: b is full
    with pytest.raises(OverCapacity):
        await engine.transfer("c1", T0 + 4, agent="b")
    offer = (await engine.task("c2"))["offer"]["offer_id"]
    await engine.decline("b", offer, T0 + 5)
    effects = await engine.transfer("c1", T0 + 6, agent="b")
    [offered] = [e for e in effects if isinstance(e, Offered)]
    assert (offered.task_id, offered.agent_id) == ("c1", "b")
    # a is free again and takes c2; b lets the transfer expire: c1 goes back to the head of q
    assert [e.task_id for e in effects if isinstance(e, Assigned)] == ["c2"]
    await engine.set_state("c", "available", T0 + 7)
    await engine.submit(Task("c3", "q", "chat", "en", enqueued_at=T0 - 100), T0 + 8)  # to c
    await engine.close("c3", T0 + 9, wrapup_code="x")
    effects = await engine.tick(T0 + 26)
    assert [(e.task_id, e.agent_id) for e in effects if isinstance(e, Offered)] == [("c1", "c")]


async def test_wrapup_code_on_an_open_conversation_is_refused_and_keeps_the_slot(redis):
    # issue 7: a wrap-up code on an assigned task used to close it in the ACD only, so the agent
    # was given more conversations than its capacity while still holding this one
    tenant = cfg.tenant([cfg.agent("a", auto_accept=True)], [cfg.queue("q", wrapup_s=30)])
    engine = await start(redis, tenant, ["a"])
    await engine.submit(Task("c1", "q", "chat", "en"), T0 + 1)
    await engine.submit(Task("c2", "q", "chat", "en"), T0 + 2)
    with pytest.raises(InvalidState, match="still open; close it first"):
        await engine.wrapup_done("a", "c1", "sold", T0 + 10)
    assert (await engine.task("c1"))["state"] == "assigned"
    assert (await engine.task("c2"))["state"] == "queued"  # not handed to a on top of c1
    assert (await engine.agent("a"))["load"]["chat"] == 1
    # the way to do it: close, then the code during wrap-up
    await engine.close("c1", T0 + 20)
    assert kinds(await engine.wrapup_done("a", "c1", "sold", T0 + 21)) == ["wrapup_ended", "assigned"]
