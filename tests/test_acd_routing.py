"""Who gets a task: skill, language, proficiency, capacity, priority, idle time, policies."""

from __future__ import annotations

import pytest

from acd.devtools import builders as cfg
from acd.devtools.builders import T0, started_engine
from acd.effects import Assigned, Offered, QueuePosition
from acd.model import Step, Task


async def start(redis, tenant, available=()):
    return await started_engine(redis, tenant, available, stagger=True)


def offers(effects) -> list[tuple[str, str]]:
    return [(e.task_id, e.agent_id) for e in effects if isinstance(e, Offered)]


async def test_task_goes_to_an_agent_with_the_queue_skill(redis):
    tenant = cfg.tenant(
        [cfg.agent("sales", {"sales": 5}), cfg.agent("tech", {"tech": 1})],
        [cfg.queue("support", skill="tech")],
    )
    engine = await start(redis, tenant, ["sales", "tech"])
    effects = await engine.submit(Task("c1", "support", "chat", "en"), T0 + 10)
    assert offers(effects) == [("c1", "tech")]


async def test_language_must_match_unless_the_step_relaxes_it(redis):
    tenant = cfg.tenant(
        [cfg.agent("de", languages=("de",)), cfg.agent("en", languages=("en",))],
        [cfg.queue("q"), cfg.queue("relaxed", steps=[Step(relax_language=True)])],
    )
    engine = await start(redis, tenant, ["de", "en"])
    assert offers(await engine.submit(Task("c1", "q", "chat", "en"), T0 + 10)) == [("c1", "en")]
    # nobody left who speaks English: a French task waits in q, but goes to "de" where relaxed
    effects = await engine.submit(Task("c2", "q", "chat", "fr"), T0 + 11)
    assert offers(effects) == [] and isinstance(effects[-1], QueuePosition)
    assert offers(await engine.submit(Task("c3", "relaxed", "chat", "fr"), T0 + 12)) == [("c3", "de")]


async def test_first_step_needs_the_proficiency_then_relaxes_after_its_timeout(redis):
    steps = [Step(timeout_s=30, min_proficiency=4), Step()]
    tenant = cfg.tenant(
        [cfg.agent("junior", {"s": 2}), cfg.agent("expert", {"s": 4})],
        [cfg.queue("q", steps=steps)],
    )
    engine = await start(redis, tenant, ["junior", "expert"])  # junior idle longest
    effects = await engine.submit(Task("c1", "q", "chat", "en"), T0 + 10)
    assert offers(effects) == [("c1", "expert")]
    await engine.accept("expert", effects[0].offer_id, T0 + 11)
    assert offers(await engine.submit(Task("c2", "q", "chat", "en"), T0 + 11)) == []
    assert offers(await engine.tick(T0 + 40)) == []  # not yet 30 s
    assert offers(await engine.tick(T0 + 41)) == [("c2", "junior")]


async def test_agent_never_gets_more_than_its_capacity(redis):
    tenant = cfg.tenant([cfg.agent("a", capacity={"chat": 2})])
    engine = await start(redis, tenant, ["a"])
    got = []
    for i in range(4):
        got += offers(await engine.submit(Task(f"c{i}", "q", "chat", "en"), T0 + 10 + i))
    assert got == [("c0", "a"), ("c1", "a")]
    assert (await engine.agent("a"))["load"]["chat"] == 2
    # accepting holds the same slot; closing with a code frees it for the oldest waiting task
    offer_id = (await engine.task("c0"))["offer"]["offer_id"]
    await engine.accept("a", offer_id, T0 + 20)
    assert offers(await engine.close("c0", T0 + 30, wrapup_code="done")) == [("c2", "a")]


async def test_freed_agent_takes_highest_priority_then_oldest(redis):
    tenant = cfg.tenant([cfg.agent("a", auto_accept=True)])
    engine = await start(redis, tenant, ["a"])
    await engine.submit(Task("busy", "q", "chat", "en"), T0 + 1)
    await engine.submit(Task("old-low", "q", "chat", "en", priority=0), T0 + 2)
    await engine.submit(Task("new-high", "q", "chat", "en", priority=5), T0 + 3)
    await engine.submit(Task("older-high", "q", "chat", "en", priority=5, enqueued_at=T0 - 50), T0 + 4)
    order = []
    current = "busy"
    for i in range(3):
        effects = await engine.close(current, T0 + 10 + i, wrapup_code="x")
        current = next(e.task_id for e in effects if isinstance(e, Assigned))
        order.append(current)
    assert order == ["older-high", "new-high", "old-low"]


async def test_aging_lets_an_old_low_priority_task_overtake(redis):
    tenant = cfg.tenant([cfg.agent("a", auto_accept=True)], [cfg.queue("q", aging_per_min=1.0)])
    engine = await start(redis, tenant, ["a"])
    await engine.submit(Task("busy", "q", "chat", "en"), T0)
    await engine.submit(Task("old", "q", "chat", "en", priority=0), T0)
    await engine.submit(Task("new", "q", "chat", "en", priority=2), T0 + 60 * 3)  # old has aged 3 points
    effects = await engine.close("busy", T0 + 200, wrapup_code="x")
    assert [e.task_id for e in effects if isinstance(e, Assigned)] == ["old"]


async def test_longest_idle_agent_is_chosen_and_moves_to_the_back(redis):
    tenant = cfg.tenant([cfg.agent("a"), cfg.agent("b"), cfg.agent("c")])
    engine = await start(redis, tenant, ["b", "a", "c"])  # b idle since T0, a T0+1, c T0+2
    got = [offers(await engine.submit(Task(f"c{i}", "q", "chat", "en"), T0 + 10 + i))[0][1] for i in range(2)]
    assert got == ["b", "a"]
    offer = (await engine.task("c0"))["offer"]["offer_id"]
    await engine.decline("b", offer, T0 + 20)  # c0 goes to c; b is free again
    assert (await engine.task("c0"))["agent"] == "c"


async def test_least_occupancy_policy_prefers_the_emptier_agent(redis):
    tenant = cfg.tenant(
        [cfg.agent("busy", capacity={"chat": 3}), cfg.agent("calm", capacity={"chat": 3})],
        [cfg.queue("q", policy="least_occupancy")],
    )
    engine = await start(redis, tenant, ["busy", "calm"])
    assert offers(await engine.submit(Task("c1", "q", "chat", "en"), T0 + 10)) == [("c1", "busy")]
    assert offers(await engine.submit(Task("c2", "q", "chat", "en"), T0 + 11)) == [("c2", "calm")]
    assert offers(await engine.submit(Task("c3", "q", "chat", "en"), T0 + 12)) == [("c3", "busy")]


async def test_best_proficiency_policy_prefers_the_expert(redis):
    tenant = cfg.tenant(
        [cfg.agent("novice", {"s": 1}), cfg.agent("good", {"s": 3}), cfg.agent("best", {"s": 5})],
        [cfg.queue("q", policy="best_proficiency")],
    )
    engine = await start(redis, tenant, ["novice", "good", "best"])
    got = [offers(await engine.submit(Task(f"c{i}", "q", "chat", "en"), T0 + 10 + i))[0][1] for i in range(3)]
    assert got == ["best", "good", "novice"]


async def test_auto_accept_assigns_without_an_offer(redis):
    engine = await start(redis, cfg.tenant([cfg.agent("a", auto_accept=True)]), ["a"])
    effects = await engine.submit(Task("c1", "q", "chat", "en", meta={"topic": "billing"}), T0 + 5)
    assert [type(e) for e in effects] == [Assigned]
    assert effects[0].meta == {"topic": "billing"} and effects[0].waited_s == 0
    assert await engine.assigned_tasks("a") == ["c1"]


async def test_submitting_a_live_task_again_changes_nothing(redis):
    engine = await start(redis, cfg.tenant([cfg.agent("a")]), ["a"])
    await engine.submit(Task("c1", "q", "chat", "en"), T0 + 5)
    assert await engine.submit(Task("c1", "q", "chat", "en"), T0 + 6) == []
    assert (await engine.agent("a"))["load"]["chat"] == 1
    assert (await engine.task("c1"))["enqueued_at"] == T0 + 5


@pytest.mark.parametrize("state", ["away", "offline"])
async def test_agent_not_available_gets_nothing_and_available_gets_the_backlog(redis, state):
    engine = await start(redis, cfg.tenant([cfg.agent("a", capacity={"chat": 2})]), [])
    await engine.set_state("a", state, T0)
    await engine.submit(Task("c1", "q", "chat", "en"), T0 + 1)
    await engine.submit(Task("c2", "q", "chat", "en"), T0 + 2)
    effects = await engine.set_state("a", "available", T0 + 3)
    assert offers(effects) == [("c1", "a"), ("c2", "a")]
