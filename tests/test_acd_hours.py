"""Business hours in the routing engine, in virtual time: work that arrives closed waits for the
opening (or escalates by the queue's rule), service level and Erlang C count open time only, and
the flip is one change however many gateway processes send it."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis

from acd import erlang
from acd import stats as stats_module
from acd.devtools import audit
from acd.devtools import builders as cfg
from acd.devtools.builders import T0, started_engine
from acd.effects import Assigned, EscalationOffered, Offered, QueuePosition
from acd.engine import Engine
from acd.errors import BadRequest
from acd.model import Step, Task

pytestmark = pytest.mark.timeout(30)
OPENS = T0 + 3600  # the queue is closed from T0 until an hour later


async def closed_engine(redis, tenant=None, available=("a",), when_closed="wait") -> Engine:
    engine = await started_engine(redis, tenant or cfg.tenant([cfg.agent("a")]), available)
    await engine.set_hours("q", False, T0, next_change=OPENS, next_open_iso="2023-11-14T23:13:20+01:00",
                           when_closed=when_closed)
    return engine


def offers(effects) -> list[Offered]:
    return [e for e in effects if isinstance(e, Offered)]


async def test_a_task_arriving_closed_waits_for_the_opening_though_an_agent_is_free(redis):
    engine = await closed_engine(redis)
    effects = await engine.submit(Task("c1", "q", "chat", "en"), T0 + 10)
    assert offers(effects) == []
    assert (await engine.task("c1"))["state"] == "queued"
    [pos] = [e for e in effects if isinstance(e, QueuePosition)]
    assert (pos.position, pos.ewt_s, pos.closed, pos.opens_at) == (1, None, True, OPENS)  # no estimate: the opening
    # the agent becoming free again (here: going away and back) does not get it either
    await engine.set_state("a", "away", T0 + 20)
    assert offers(await engine.set_state("a", "available", T0 + 30)) == []
    snap = (await engine.snapshot(T0 + 40))["queues"][0]
    assert (snap["open"], snap["next_open"], snap["waiting"]) == (False, "2023-11-14T23:13:20+01:00", 1)
    assert await audit.check(engine, work_conserving=True) == []  # holding work while closed is no fault

    [offer] = offers(await engine.set_hours("q", True, OPENS, next_change=OPENS + 8 * 3600))
    assert (offer.task_id, offer.agent_id) == ("c1", "a")
    snap = (await engine.snapshot(OPENS + 1))["queues"][0]
    assert (snap["open"], snap["next_open"]) == (True, None)


async def test_the_opening_offers_the_line_in_order_to_every_free_agent(redis):
    tenant = cfg.tenant([cfg.agent("a"), cfg.agent("b")])
    engine = await closed_engine(redis, tenant, available=("a", "b"))
    for i in range(3):
        await engine.submit(Task(f"c{i}", "q", "chat", "en"), T0 + 10 + i)
    got = offers(await engine.set_hours("q", True, OPENS, next_change=None))
    assert sorted(o.task_id for o in got) == ["c0", "c1"]  # two free agents, the first two in line
    assert (await engine.task("c2"))["state"] == "queued"


async def test_a_boundary_holds_before_the_flip_arrives(redis):
    """Between the scheduled closing and the loop's flip, nothing is offered."""
    engine = await started_engine(redis, cfg.tenant([cfg.agent("a")]), ("a",))
    await engine.set_hours("q", True, T0, next_change=T0 + 100)
    assert offers(await engine.submit(Task("c1", "q", "chat", "en"), T0 + 101)) == []


async def test_a_voice_callback_task_is_not_offered_after_the_closing(redis):
    tenant = cfg.tenant([cfg.agent("a", capacity={"voice": 1})])
    engine = await closed_engine(redis, tenant)
    assert offers(await engine.submit(Task("cb_1_1", "q", "voice", "en"), T0 + 5)) == []
    [offer] = offers(await engine.set_hours("q", True, OPENS, next_change=None))
    assert offer.channel == "voice"


async def test_step_timers_run_in_open_hours_only(redis):
    tenant = cfg.tenant([cfg.agent("a", skills={"s": 1})],
                        [cfg.queue("q", steps=[Step(timeout_s=60, min_proficiency=3), Step(min_proficiency=1)])])
    engine = await closed_engine(redis, tenant)
    await engine.submit(Task("c1", "q", "chat", "en"), T0 + 10)
    await engine.tick(T0 + 600)  # step 1's 60 s passed at night: it starts again at the opening
    assert (await engine.task("c1"))["step"] == 1
    assert offers(await engine.set_hours("q", True, OPENS, next_change=None)) == []  # a has proficiency 1 only
    assert offers(await engine.tick(OPENS + 59)) == []
    [offer] = offers(await engine.tick(OPENS + 60))  # a minute after the opening: step 2, a may take it
    assert offer.agent_id == "a"


async def test_when_closed_escalate_enters_the_escalation_step_at_once(redis):
    steps = [Step(timeout_s=120), Step(escalate=("email", "callback"))]
    tenant = cfg.tenant([cfg.agent("a")], [cfg.queue("q", steps=steps)])
    engine = await closed_engine(redis, tenant, when_closed="escalate")
    effects = await engine.submit(Task("c1", "q", "chat", "en"), T0 + 10)
    [esc] = [e for e in effects if isinstance(e, EscalationOffered)]
    assert esc.options == ("email", "callback") and offers(effects) == []
    # the same queue with the default rule: the customer just waits
    await engine.set_hours("q", False, T0 + 20, next_change=OPENS, when_closed="wait")
    effects = await engine.submit(Task("c2", "q", "chat", "en"), T0 + 30)
    assert [e for e in effects if isinstance(e, EscalationOffered)] == []


async def test_when_closed_escalate_overflows_to_a_queue_that_is_open(redis):
    steps = [Step(timeout_s=300), Step(overflow="night")]
    tenant = cfg.tenant([cfg.agent("n", skills={"night": 3})],
                        [cfg.queue("q", steps=steps), cfg.queue("night", skill="night")])
    engine = await closed_engine(redis, tenant, available=("n",), when_closed="escalate")
    [offer] = offers(await engine.submit(Task("c1", "q", "chat", "en"), T0 + 10))
    assert (offer.agent_id, offer.queue) == ("n", "night")


async def test_service_level_counts_the_wait_from_the_opening(redis):
    tenant = cfg.tenant([cfg.agent("a")], [cfg.queue("q", sla_threshold_s=20)])
    engine = await closed_engine(redis, tenant)
    await engine.submit(Task("c1", "q", "chat", "en"), T0 + 10)  # waits through the closed hour
    [offer] = offers(await engine.set_hours("q", True, OPENS, next_change=None))
    [assigned] = [e for e in await engine.accept("a", offer.offer_id, OPENS + 5) if isinstance(e, Assigned)]
    assert assigned.waited_s == pytest.approx(OPENS + 5 - T0 - 10)  # the agent sees the real wait
    stats = (await engine.queue_stats(OPENS + 10))["q"]
    assert (stats["answered"], stats["service_level"]) == (1, 1.0)  # 5 s of open time: inside 20 s
    assert stats["asa_s"] == pytest.approx(5)
    assert await engine.stats_replay(OPENS + 10) == await engine.queue_stats(OPENS + 10)


async def test_a_wait_that_straddles_the_closing_counts_its_open_part(redis):
    tenant = cfg.tenant([cfg.agent("a")], [cfg.queue("q", sla_threshold_s=20)])
    engine = await started_engine(redis, tenant)  # nobody available
    await engine.set_hours("q", True, T0, next_change=T0 + 15)
    await engine.submit(Task("c1", "q", "chat", "en"), T0 + 5)  # 10 s open before the closing
    await engine.set_hours("q", False, T0 + 15.2, next_change=OPENS)  # the loop comes 0.2 s late
    await engine.set_state("a", "available", T0 + 100)  # closed: nothing for a
    [offer] = offers(await engine.set_hours("q", True, OPENS, next_change=None))
    await engine.accept("a", offer.offer_id, OPENS + 8)
    stats = (await engine.queue_stats(OPENS + 10))["q"]
    assert stats["asa_s"] == pytest.approx(18)  # 10 s before the closing + 8 s after the opening
    assert stats["service_level"] == 1.0


async def test_giving_up_before_the_opening_is_no_service_level_failure(redis):
    engine = await closed_engine(redis, available=())
    await engine.submit(Task("c1", "q", "chat", "en"), T0 + 10)
    await engine.cancel("c1", "left", T0 + 300)
    stats = (await engine.queue_stats(T0 + 310))["q"]
    assert (stats["abandoned"], stats["abandoned_closed"], stats["service_level"]) == (0, 1, None)
    assert (await engine.stats_replay(T0 + 310))["q"] == stats


async def test_erlang_c_over_open_time_and_none_while_closed(redis):
    tenant = cfg.tenant([cfg.agent("a")], [cfg.queue("q", aht_s=180, sla_threshold_s=20, sla_target=0.8)])
    engine = await started_engine(redis, tenant)  # nobody available: everything waits
    await engine.set_hours("q", False, T0, next_change=T0 + 600)
    for i in range(20):  # twenty arrive while closed
        await engine.submit(Task(f"n{i}", "q", "chat", "en"), T0 + 300 + i)
    assert (await engine.queue_stats(T0 + 400))["q"]["agents_needed"] is None
    snap = (await engine.snapshot(T0 + 400))["queues"][0]
    assert (snap["agents_needed"], snap["ewt_s"], snap["open"]) == (None, None, False)
    await engine.set_hours("q", True, T0 + 600, next_change=None)
    for i in range(6):  # six in the first minutes after the opening
        await engine.submit(Task(f"d{i}", "q", "chat", "en"), T0 + 610 + i * 40)
    now = T0 + 900
    stats = (await engine.queue_stats(now))["q"]
    assert stats["arrivals"] == 26
    # the 15-minute window less its closed part (from its start to the opening)
    window_start = stats_module.window_minutes(now)[0] * 60
    open_s = stats_module.WINDOW_MIN * 60 - (T0 + 600 - window_start)
    assert stats["agents_needed"] == erlang.agents_needed(erlang.traffic(6, open_s, 180), 180, 20, 0.8)
    assert stats["agents_needed"] != erlang.agents_needed(erlang.traffic(26, 900, 180), 180, 20, 0.8)
    assert (await engine.stats_replay(now))["q"] == stats


async def test_two_processes_flipping_the_same_queue_change_it_once(redis, redis_url):
    tenant = cfg.tenant([cfg.agent("a"), cfg.agent("b")])
    engine = await closed_engine(redis, tenant, available=("a", "b"))
    await engine.submit(Task("c1", "q", "chat", "en"), T0 + 10)
    other = aioredis.from_url(redis_url, decode_responses=True)
    try:
        second = Engine(other, tenant)
        results = await asyncio.gather(*[
            e.set_hours("q", True, OPENS + 0.1 * i, next_change=OPENS + 3600)
            for i, e in enumerate([engine, second, engine, second])
        ])
    finally:
        await other.aclose()
    assert sum(len(offers(r)) for r in results) == 1  # c1 offered once, to one agent
    events = await redis.xrange(engine.keys.events())
    assert [f["ev"] for _, f in events].count("hours") == 2  # the closing and the one opening
    hours = (await engine.hours())["q"]
    assert (hours.open, hours.closed_s) == (True, pytest.approx(3600))  # the closed hour counted once


async def test_a_bad_rule_is_refused(redis):
    engine = await started_engine(redis, cfg.tenant([cfg.agent("a")]))
    with pytest.raises(BadRequest, match="when_closed"):
        await engine.set_hours("q", False, T0, when_closed="panic")
