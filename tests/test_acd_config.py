"""sync_config: idempotent, safe from several processes, keeps live state, re-indexes changed profiles."""

from __future__ import annotations

import asyncio

from acd.devtools import audit
from acd.devtools import builders as cfg
from acd.effects import Offered
from acd.engine import Engine
from acd.model import Task

T0 = 1_700_000_000.0


async def test_sync_again_keeps_state_and_load(redis):
    tenant = cfg.tenant([cfg.agent("a", capacity={"chat": 2}), cfg.agent("b")])
    engine = Engine(redis, tenant)
    await engine.sync_config(T0)
    await engine.set_state("a", "available", T0 + 1)
    await engine.submit(Task("c1", "q", "chat", "en"), T0 + 2)
    # three more gateway processes start at once
    await asyncio.gather(*(Engine(redis, tenant).sync_config(T0 + 3) for _ in range(3)))
    a = await engine.agent("a")
    assert (a["state"], a["state_since"], a["load"]["chat"], a["tasks"]) == ("available", T0 + 1, 1, ["c1"])
    assert (await engine.agent("b"))["state"] == "offline"
    assert await audit.check(engine, work_conserving=True) == []


async def test_a_changed_profile_takes_effect_for_a_logged_in_agent(redis):
    engine = Engine(redis, cfg.tenant([cfg.agent("a", languages=("en",))]))
    await engine.sync_config(T0)
    await engine.set_state("a", "available", T0)
    effects = await engine.submit(Task("c1", "q", "chat", "de"), T0 + 1)
    assert not [e for e in effects if isinstance(e, Offered)]
    updated = Engine(redis, cfg.tenant([cfg.agent("a", languages=("en", "de"), capacity={"chat": 2})]))
    effects = await updated.sync_config(T0 + 2)
    assert [(e.task_id, e.agent_id) for e in effects if isinstance(e, Offered)] == [("c1", "a")]
    assert (await updated.agent("a"))["capacity"]["chat"] == 2
    assert await audit.check(updated, work_conserving=True) == []
