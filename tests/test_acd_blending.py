"""Blended capacity: per-channel maxima and the cross-channel rules (acd.model.ChannelRule)."""

from __future__ import annotations

from acd.devtools import builders as cfg
from acd.effects import Assigned
from acd.engine import Engine
from acd.model import ChannelRule, Task

T0 = 1_700_000_000.0
ALL = {"chat": 2, "messaging": 2, "email": 3, "voice": 1}


async def start(redis, tenant) -> Engine:
    engine = Engine(redis, tenant)
    await engine.sync_config(T0)
    await engine.set_state("a", "available", T0)
    return engine


def assigned(effects) -> list[str]:
    return [e.task_id for e in effects if isinstance(e, Assigned)]


async def test_open_voice_blocks_new_chat_and_messaging_but_not_email(redis):
    engine = await start(redis, cfg.tenant([cfg.agent("a", capacity=ALL, auto_accept=True)]))
    assert assigned(await engine.submit(Task("v", "q", "voice", "en"), T0 + 1)) == ["v"]
    assert assigned(await engine.submit(Task("c", "q", "chat", "en"), T0 + 2)) == []
    assert assigned(await engine.submit(Task("m", "q", "messaging", "en"), T0 + 3)) == []
    # real-time occupancy is 1.0 with the voice call: no email either
    assert assigned(await engine.submit(Task("e", "q", "email", "en"), T0 + 4)) == []
    # the call ends: chat and messaging come in; together they make real-time occupancy 1.0
    assert assigned(await engine.close("v", T0 + 10, wrapup_code="ok")) == ["c", "m"]
    assert assigned(await engine.close("m", T0 + 11, wrapup_code="ok")) == []  # 0.5: still no email
    assert assigned(await engine.close("c", T0 + 12, wrapup_code="ok")) == ["e"]


async def test_email_only_while_realtime_occupancy_below_half(redis):
    engine = await start(redis, cfg.tenant([cfg.agent("a", capacity=ALL, auto_accept=True)]))
    assert assigned(await engine.submit(Task("c1", "q", "chat", "en"), T0 + 1)) == ["c1"]  # occ 0.5
    assert assigned(await engine.submit(Task("e1", "q", "email", "en"), T0 + 2)) == []
    assert assigned(await engine.close("c1", T0 + 3, wrapup_code="ok")) == ["e1"]  # occ 0
    # email never blocks real-time work
    assert assigned(await engine.submit(Task("c2", "q", "chat", "en"), T0 + 4)) == ["c2"]
    assert assigned(await engine.submit(Task("m2", "q", "messaging", "en"), T0 + 5)) == ["m2"]


async def test_per_channel_maximum_and_zero_capacity(redis):
    engine = await start(redis, cfg.tenant([cfg.agent("a", capacity={"chat": 1, "email": 2},
                                                       auto_accept=True)]))
    assert assigned(await engine.submit(Task("v", "q", "voice", "en"), T0 + 1)) == []  # no voice slot
    assert assigned(await engine.submit(Task("e1", "q", "email", "en"), T0 + 2)) == ["e1"]
    assert assigned(await engine.submit(Task("e2", "q", "email", "en"), T0 + 3)) == ["e2"]
    assert assigned(await engine.submit(Task("e3", "q", "email", "en"), T0 + 4)) == []
    a = await engine.agent("a")
    assert a["load"] == {"chat": 0, "messaging": 0, "email": 2, "voice": 0}
    assert a["occupancy"] == 1.0


async def test_rules_come_from_the_config(redis):
    # custom: chat blocks voice; email has no occupancy ceiling
    rules = {"chat": ChannelRule(blocks=("voice",))}
    engine = await start(redis, cfg.tenant([cfg.agent("a", capacity=ALL, auto_accept=True)],
                                           rules=rules))
    assert assigned(await engine.submit(Task("c", "q", "chat", "en"), T0 + 1)) == ["c"]
    assert assigned(await engine.submit(Task("v", "q", "voice", "en"), T0 + 2)) == []
    assert assigned(await engine.submit(Task("c2", "q", "chat", "en"), T0 + 3)) == ["c2"]  # occ 1.0
    assert assigned(await engine.submit(Task("e", "q", "email", "en"), T0 + 4)) == ["e"]
