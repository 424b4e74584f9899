"""Routing steps: time-outs, skipping steps nobody can serve, overflow, escalation."""

from __future__ import annotations

from acd.devtools import builders as cfg
from acd.devtools.builders import T0, started_engine
from acd.effects import Assigned, EscalationOffered, Offered, QueuePosition, TaskOverflowed
from acd.model import Step, Task

LADDER = [
    Step(timeout_s=30, min_proficiency=4),
    Step(timeout_s=60),
    Step(overflow="backup"),
]


def ladder_tenant(agents):
    return cfg.tenant(agents, [
        cfg.queue("q", steps=list(LADDER)),
        cfg.queue("backup", skill="b", steps=[Step(timeout_s=45), Step(escalate=["email", "callback"])]),
    ])


async def start(redis, tenant, available=()):
    return await started_engine(redis, tenant, available, stagger=False)


async def test_a_task_walks_the_steps_overflows_and_escalates(redis):
    # every agent is logged in but busy, so no step is skipped
    agents = [cfg.agent("expert", {"s": 5}, auto_accept=True), cfg.agent("junior", {"s": 1}, auto_accept=True),
              cfg.agent("backer", {"b": 3}, auto_accept=True)]
    engine = await start(redis, ladder_tenant(agents), [])
    for i, aid in enumerate(["junior", "expert", "backer"]):
        await engine.set_state(aid, "available", T0 + i)
        q = "backup" if aid == "backer" else "q"
        effects = await engine.submit(Task(f"busy-{aid}", q, "chat", "en"), T0 + i)
        assert [e.agent_id for e in effects if isinstance(e, Assigned)] == [aid]
    await engine.submit(Task("c", "q", "chat", "en"), T0 + 10)
    assert (await engine.task("c"))["step"] == 1
    await engine.tick(T0 + 40)
    assert (await engine.task("c"))["step"] == 2
    effects = await engine.tick(T0 + 100)
    [moved] = [e for e in effects if isinstance(e, TaskOverflowed)]
    assert (moved.from_queue, moved.to_queue) == ("q", "backup")
    task = await engine.task("c")
    assert (task["queue"], task["step"], task["enqueued_at"]) == ("backup", 1, T0 + 10)
    effects = await engine.tick(T0 + 145)
    [esc] = [e for e in effects if isinstance(e, EscalationOffered)]
    assert esc.task_id == "c" and esc.options == ("email", "callback")
    assert (await engine.task("c"))["state"] == "queued"  # still waiting
    effects = await engine.close("busy-backer", T0 + 150, wrapup_code="x")
    assert [e.task_id for e in effects if isinstance(e, Assigned)] == ["c"]


async def test_steps_without_a_logged_in_agent_are_skipped_at_once(redis):
    # no expert and no backup agent logged in: straight to step 2, a junior takes it
    agents = [cfg.agent("expert", {"s": 5}), cfg.agent("junior", {"s": 1})]
    engine = await start(redis, ladder_tenant(agents), ["junior"])
    effects = await engine.submit(Task("c1", "q", "chat", "en"), T0 + 1)
    assert [e.agent_id for e in effects if isinstance(e, Offered)] == ["junior"]
    assert (await engine.task("c1"))["step"] == 2


async def test_an_away_agent_counts_as_logged_in(redis):
    agents = [cfg.agent("expert", {"s": 5}), cfg.agent("junior", {"s": 1})]
    engine = await start(redis, ladder_tenant(agents), ["junior"])
    await engine.set_state("expert", "away", T0)
    effects = await engine.submit(Task("c1", "q", "chat", "en"), T0 + 1)
    assert [e for e in effects if isinstance(e, Offered)] == []
    assert (await engine.task("c1"))["step"] == 1
    effects = await engine.set_state("expert", "available", T0 + 5)
    assert [e.task_id for e in effects if isinstance(e, Offered)] == ["c1"]


async def test_nobody_at_all_overflows_and_escalates_at_once(redis):
    engine = await start(redis, ladder_tenant([cfg.agent("junior", {"s": 1})]), [])
    effects = await engine.submit(Task("c1", "q", "chat", "en"), T0 + 1)
    assert [e.kind for e in effects] == ["task_overflowed", "escalation_offered", "queue_position"]
    pos = effects[-1]
    assert isinstance(pos, QueuePosition) and (pos.queue, pos.position, pos.ewt_s) == ("backup", 1, None)


async def test_overflow_cycle_stops(redis):
    tenant = cfg.tenant([cfg.agent("a")], [
        cfg.queue("x", steps=[Step(overflow="y")]),
        cfg.queue("y", steps=[Step(overflow="x")]),
    ])
    engine = await start(redis, tenant, [])
    effects = await engine.submit(Task("c1", "x", "chat", "en"), T0)
    assert len([e for e in effects if isinstance(e, TaskOverflowed)]) == 8
    assert (await engine.task("c1"))["state"] == "queued"
