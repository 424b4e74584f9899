"""A waiting task's language changes (acd/lua/relanguage.lua): it keeps its queue and its place in line,
is routed by the new language from then on (offered at once when a free agent speaks it), and only while
it is still queued: an offered or answered task keeps the language it was offered in."""

from __future__ import annotations

import pytest

from acd.devtools import builders as cfg
from acd.devtools.builders import T0, started_engine
from acd.effects import Offered
from acd.errors import BadRequest, InvalidState, UnknownTask
from acd.model import Task


def offers(effects) -> list[tuple[str, str]]:
    return [(e.task_id, e.agent_id) for e in effects if isinstance(e, Offered)]


def two_speakers():
    return cfg.tenant([cfg.agent("de", languages=("de",)), cfg.agent("en", languages=("en",))])


async def test_a_waiting_task_in_a_new_language_goes_to_an_agent_who_speaks_it(redis):
    engine = await started_engine(redis, two_speakers(), ("de",))  # nobody who speaks English is available
    assert offers(await engine.submit(Task("c1", "q", "chat", "en"), T0 + 10)) == []
    effects = await engine.relanguage("c1", "de", T0 + 20)
    assert offers(effects) == [("c1", "de")]
    task = await engine.task("c1")
    assert task is not None and task["state"] == "offered" and task["queue"] == "q"
    assert await redis.hget(engine.keys.task("c1"), "lang") == "de"


async def test_it_keeps_its_place_in_line(redis):
    engine = await started_engine(redis, two_speakers(), ("de",))
    busy = await engine.submit(Task("busy", "q", "chat", "de"), T0 + 1)  # holds the German agent's one slot
    await engine.accept("de", busy[0].offer_id, T0 + 2)
    await engine.submit(Task("old", "q", "chat", "en"), T0 + 3)
    await engine.submit(Task("new", "q", "chat", "de"), T0 + 4)
    assert await engine.relanguage("old", "de", T0 + 5) == []  # nobody free: it waits, now for German
    old = await engine.task("old")
    assert old is not None and old["state"] == "queued" and old["enqueued_at"] == T0 + 3
    # the German agent, free again, takes the one waiting longest: the task whose language changed
    assert offers(await engine.close("busy", T0 + 6, wrapup_code="done")) == [("old", "de")]


async def test_only_a_queued_task_changes_language(redis):
    engine = await started_engine(redis, two_speakers(), ("en",))
    offered = await engine.submit(Task("c1", "q", "chat", "en"), T0 + 10)
    assert offers(offered) == [("c1", "en")]
    with pytest.raises(InvalidState):
        await engine.relanguage("c1", "de", T0 + 11)  # offered: the offer stands as it was made
    await engine.accept("en", offered[0].offer_id, T0 + 12)
    with pytest.raises(InvalidState):
        await engine.relanguage("c1", "de", T0 + 13)
    assert await redis.hget(engine.keys.task("c1"), "lang") == "en"
    with pytest.raises(UnknownTask):
        await engine.relanguage("nope", "de", T0 + 14)
    with pytest.raises(BadRequest):
        await engine.relanguage("c1", "", T0 + 15)
    await engine.close("c1", T0 + 16, wrapup_code="done")
    with pytest.raises(UnknownTask):
        await engine.relanguage("c1", "de", T0 + 17)


async def test_the_same_language_changes_nothing(redis):
    engine = await started_engine(redis, two_speakers(), ())
    await engine.submit(Task("c1", "q", "chat", "de"), T0 + 10)
    before = await redis.hgetall(engine.keys.task("c1"))
    assert await engine.relanguage("c1", "de", T0 + 11) == []
    assert await redis.hgetall(engine.keys.task("c1")) == before
