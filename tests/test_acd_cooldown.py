"""A declined or missed task comes back to the agent after the queue's cool-down (issue 7)."""

from __future__ import annotations

from acd.devtools import audit
from acd.devtools import builders as cfg
from acd.devtools.builders import T0, started_engine
from acd.effects import Offered
from acd.model import Task


def offered(effects) -> list[tuple[str, str]]:
    return [(e.task_id, e.agent_id) for e in effects if isinstance(e, Offered)]


async def busy_b(engine, now: float) -> None:
    """Agent b, as skilled as a, holds a conversation: logged in, but no room for another."""
    await engine.set_state("b", "available", now)
    await engine.submit(Task("b-work", "q", "chat", "en"), now)
    await engine.accept("b", (await engine.task("b-work"))["offer"]["offer_id"], now)


async def test_the_only_free_agent_gets_a_declined_task_again_after_the_cool_down(redis):
    engine = await started_engine(redis, cfg.tenant([cfg.agent("a"), cfg.agent("b")]))
    await busy_b(engine, T0)
    await engine.set_state("a", "available", T0 + 1)
    [(_, who)] = offered(await engine.submit(Task("c1", "q", "chat", "en"), T0 + 10))
    assert who == "a"
    effects = await engine.decline("a", (await engine.task("c1"))["offer"]["offer_id"], T0 + 12)
    assert offered(effects) == []
    assert await engine.tick(T0 + 41) == []  # still cooling down, a sits idle on purpose
    # nothing else happens; the timer alone brings the task back
    assert offered(await engine.tick(T0 + 42)) == [("c1", "a")]
    assert await audit.check(engine, work_conserving=True) == []


async def test_a_missed_offer_comes_back_after_the_cool_down_likewise(redis):
    engine = await started_engine(redis, cfg.tenant([cfg.agent("a"), cfg.agent("b")], [cfg.queue("q", decline_cooldown_s=45)]))
    await busy_b(engine, T0)
    await engine.set_state("a", "available", T0 + 1)
    await engine.submit(Task("c1", "q", "chat", "en"), T0 + 10)
    assert offered(await engine.tick(T0 + 30)) == []  # missed (a stays available: one miss)
    assert offered(await engine.tick(T0 + 74)) == []
    assert offered(await engine.tick(T0 + 75)) == [("c1", "a")]
    assert (await engine.agent("a"))["state"] == "available"


async def test_with_two_agents_the_other_gets_it_first(redis):
    engine = await started_engine(redis, cfg.tenant([cfg.agent("a"), cfg.agent("b")]), ("a", "b"), stagger=True)
    await engine.submit(Task("c1", "q", "chat", "en"), T0 + 10)
    effects = await engine.decline("a", (await engine.task("c1"))["offer"]["offer_id"], T0 + 11)
    assert offered(effects) == [("c1", "b")]
    # b declines too: both cool down; a, who declined first, has it again first
    assert offered(await engine.decline("b", (await engine.task("c1"))["offer"]["offer_id"], T0 + 12)) == []
    assert offered(await engine.tick(T0 + 41)) == [("c1", "a")]
    assert await audit.check(engine, work_conserving=True) == []


async def test_with_nobody_else_logged_in_the_task_comes_back_at_once(redis):
    engine = await started_engine(redis, cfg.tenant([cfg.agent("a"), cfg.agent("b")]), ("a",))
    await engine.submit(Task("c1", "q", "chat", "en"), T0 + 10)  # b is offline: only a could ever take it
    effects = await engine.decline("a", (await engine.task("c1"))["offer"]["offer_id"], T0 + 11)
    assert offered(effects) == [("c1", "a")]


async def test_a_cool_down_of_zero_means_at_once(redis):
    tenant = cfg.tenant([cfg.agent("a"), cfg.agent("b")], [cfg.queue("q", decline_cooldown_s=0)])
    engine = await started_engine(redis, tenant)
    await busy_b(engine, T0)
    await engine.set_state("a", "available", T0 + 1)
    await engine.submit(Task("c1", "q", "chat", "en"), T0 + 10)
    effects = await engine.decline("a", (await engine.task("c1"))["offer"]["offer_id"], T0 + 11)
    assert offered(effects) == [("c1", "a")]


async def test_coming_back_at_once_still_respects_the_line(redis):
    # a declines c2 while c1, ahead of it in line, waits for the next free agent: a gets c1 first
    tenant = cfg.tenant([cfg.agent("a"), cfg.agent("b")], [cfg.queue("q", decline_cooldown_s=0)])
    engine = await started_engine(redis, tenant, ("a",))
    await engine.submit(Task("c2", "q", "chat", "en"), T0 + 10)  # to a
    await engine.submit(Task("c1", "q", "chat", "en", enqueued_at=T0), T0 + 11)  # waits, though older
    effects = await engine.decline("a", (await engine.task("c2"))["offer"]["offer_id"], T0 + 12)
    assert offered(effects) == [("c1", "a")]
    assert (await engine.task("c2"))["state"] == "queued"
