"""Offers: accept, decline, expiry to the next agent, missed offers, typed errors."""

from __future__ import annotations

import pytest

from acd.devtools import builders as cfg
from acd.devtools.builders import T0, started_engine
from acd.effects import AgentStateChanged, Assigned, Offered, OfferRevoked
from acd.errors import NotYourOffer, OfferGone
from acd.model import Task


async def start(redis, tenant, available=()):
    return await started_engine(redis, tenant, available, stagger=True)


def only(effects, kind):
    return [e for e in effects if isinstance(e, kind)]


async def test_accept_assigns_and_reports_the_wait(redis):
    engine = await start(redis, cfg.tenant([cfg.agent("a")]), ["a"])
    [offer] = only(await engine.submit(Task("c1", "q", "chat", "en", meta={"contact": "Eve"}), T0 + 10), Offered)
    assert offer.expires_in_s == 20 and offer.meta == {"contact": "Eve"}
    [assigned] = await engine.accept("a", offer.offer_id, T0 + 14)
    assert isinstance(assigned, Assigned) and assigned.waited_s == 4
    assert (await engine.task("c1"))["state"] == "assigned"
    with pytest.raises(OfferGone):
        await engine.accept("a", offer.offer_id, T0 + 15)


async def test_offer_of_someone_else_cannot_be_taken(redis):
    engine = await start(redis, cfg.tenant([cfg.agent("a"), cfg.agent("b")]), ["a", "b"])
    [offer] = only(await engine.submit(Task("c1", "q", "chat", "en"), T0 + 10), Offered)
    with pytest.raises(NotYourOffer):
        await engine.accept("b", offer.offer_id, T0 + 11)
    with pytest.raises(NotYourOffer):
        await engine.decline("b", offer.offer_id, T0 + 11)
    with pytest.raises(OfferGone):
        await engine.accept("a", "o-nope", T0 + 11)


async def test_expired_offer_goes_to_the_next_agent(redis):
    engine = await start(redis, cfg.tenant([cfg.agent("a"), cfg.agent("b")]), ["a", "b"])
    [first] = only(await engine.submit(Task("c1", "q", "voice", "en"), T0 + 10), Offered) or [None]
    assert first is None  # nobody has voice capacity: the task waits
    await engine.cancel("c1", "abandoned", T0 + 11)

    [first] = only(await engine.submit(Task("c2", "q", "chat", "en"), T0 + 12), Offered)
    assert first.agent_id == "a"
    assert await engine.tick(T0 + 31) == []  # 20 s not over yet
    with pytest.raises(OfferGone):  # but an accept after the expiry time is refused
        await engine.accept("a", first.offer_id, T0 + 32.5)
    effects = await engine.tick(T0 + 32)
    [revoked] = only(effects, OfferRevoked)
    assert (revoked.offer_id, revoked.reason) == (first.offer_id, "expired")
    [second] = only(effects, Offered)
    assert (second.task_id, second.agent_id, second.waited_s) == ("c2", "b", 20)


async def test_declined_task_goes_on_and_the_agent_gets_other_work(redis):
    engine = await start(redis, cfg.tenant([cfg.agent("a"), cfg.agent("b")]), ["a", "b"])
    [o1] = only(await engine.submit(Task("c1", "q", "chat", "en"), T0 + 10), Offered)
    [o2] = only(await engine.submit(Task("c2", "q", "chat", "en"), T0 + 11), Offered)
    await engine.submit(Task("c3", "q", "chat", "en"), T0 + 12)
    effects = await engine.decline("a", o1.offer_id, T0 + 13)
    assert [(e.reason) for e in only(effects, OfferRevoked)] == ["declined"]
    # c1 has nobody else free (b holds c2); a gets c3 instead of c1 again
    assert [(e.task_id, e.agent_id) for e in only(effects, Offered)] == [("c3", "a")]
    effects = await engine.decline("b", o2.offer_id, T0 + 14)
    assert [(e.task_id, e.agent_id) for e in only(effects, Offered)] == [("c1", "b")]


async def test_two_missed_offers_in_a_row_set_the_agent_away(redis):
    engine = await start(redis, cfg.tenant([cfg.agent("a")]), ["a"])
    await engine.submit(Task("c1", "q", "chat", "en"), T0 + 10)
    first = await engine.tick(T0 + 30)  # missed #1: nobody else could take c1, so it comes back to a
    assert not only(first, AgentStateChanged)
    await engine.submit(Task("c2", "q", "chat", "en"), T0 + 31)
    effects = await engine.tick(T0 + 51)  # missed #2
    [changed] = only(effects, AgentStateChanged)
    assert (changed.agent_id, changed.state, changed.reason) == ("a", "away", "missed_offers")
    assert (await engine.agent("a"))["state"] == "away"
    assert {t["state"] for t in [await engine.task("c1"), await engine.task("c2")]} == {"queued"}


async def test_an_accept_in_between_resets_the_missed_count(redis):
    engine = await start(redis, cfg.tenant([cfg.agent("a", capacity={"chat": 3}), cfg.agent("b")]), ["a"])
    await engine.set_state("b", "away", T0)  # logged in: c1 cools down for a instead of coming back at once
    await engine.submit(Task("c1", "q", "chat", "en"), T0 + 10)
    await engine.tick(T0 + 30)  # missed #1
    [o2] = only(await engine.submit(Task("c2", "q", "chat", "en"), T0 + 31), Offered)
    await engine.accept("a", o2.offer_id, T0 + 32)
    await engine.submit(Task("c3", "q", "chat", "en"), T0 + 33)
    effects = await engine.tick(T0 + 53)  # missed, but only one in a row
    assert not only(effects, AgentStateChanged)
    assert (await engine.agent("a"))["state"] == "available"


async def test_offers_for_lists_only_the_agents_open_offers(redis):
    agents = [cfg.agent("a", capacity={"chat": 2, "email": 1}), cfg.agent("b")]
    engine = await start(redis, cfg.tenant(agents, rules={}), ["a", "b"])
    await engine.submit(Task("c1", "q", "chat", "en", meta={"contact": "Eve"}), T0 + 10)  # to a
    await engine.submit(Task("c2", "q", "chat", "en"), T0 + 11)  # to b
    await engine.submit(Task("e1", "q", "email", "en", enqueued_at=T0), T0 + 12)  # to a
    [c3] = only(await engine.submit(Task("c3", "q", "chat", "en"), T0 + 13), Offered)  # to a
    await engine.accept("a", c3.offer_id, T0 + 14)  # assigned: no longer an offer
    views = await engine.offers_for("a", T0 + 15)
    assert [(v.task_id, v.channel, v.queue, v.waited_s, v.expires_in_s) for v in views] == [
        ("c1", "chat", "q", 5, 15), ("e1", "email", "q", 15, 57)]
    assert views[0].meta == {"contact": "Eve"} and views[0].language == "en"
    assert views[0].offer_id == (await engine.task("c1"))["offer"]["offer_id"]
    assert [v.task_id for v in await engine.offers_for("b", T0 + 15)] == ["c2"]
    assert [v.task_id for v in await engine.offers_for("a", T0 + 30)] == ["e1"]  # c1's offer has run out
    assert await engine.offers_for("nobody", T0 + 15) == []
