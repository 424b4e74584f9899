"""Supervisor figures: service level, ASA, AHT, abandonment, positions and EWT, replay of the log."""

from __future__ import annotations

import pytest

from acd.devtools import builders as cfg
from acd.devtools.builders import T0, started_engine
from acd.effects import Offered
from acd.model import Task


async def start(redis, tenant, available=()):
    return await started_engine(redis, tenant, available, stagger=False)


async def test_service_level_asa_aht_and_abandonment(redis):
    tenant = cfg.tenant([cfg.agent("a"), cfg.agent("b")],
                        [cfg.queue("q", sla_threshold_s=20, wrapup_s=10, decline_cooldown_s=600)])
    engine = await start(redis, tenant, ["a", "b"])
    # c1 answered after 5 s, c2 after 30 s, c3 abandoned; handle times 60 s + 10 s wrap-up each
    [o1] = [e for e in await engine.submit(Task("c1", "q", "chat", "en"), T0) if isinstance(e, Offered)]
    await engine.accept("a", o1.offer_id, T0 + 5)
    [o2] = [e for e in await engine.submit(Task("c2", "q", "chat", "en"), T0 + 1) if isinstance(e, Offered)]
    await engine.decline("b", o2.offer_id, T0 + 2)  # b will not see c2 for 10 min, a is busy: c2 waits
    await engine.submit(Task("c3", "q", "chat", "en"), T0 + 3)
    await engine.cancel("c3", "left", T0 + 8)
    await engine.close("c1", T0 + 65)
    effects = await engine.tick(T0 + 75)  # a's wrap-up ends; a takes c2
    [o3] = [e for e in effects if isinstance(e, Offered)]
    await engine.accept("a", o3.offer_id, T0 + 31 + 50)  # c2 waited 80 s
    stats = (await engine.queue_stats(T0 + 100))["q"]
    assert stats["answered"] == 2 and stats["abandoned"] == 1
    assert stats["service_level"] == pytest.approx(1 / 3)
    assert stats["asa_s"] == pytest.approx((5 + 80) / 2)
    assert stats["aht_s"] == pytest.approx(70)  # accept -> end of wrap-up
    assert stats["declined"] == 1 and stats["arrivals"] == 3
    assert await engine.stats_replay(T0 + 100) == await engine.queue_stats(T0 + 100)


async def test_window_forgets_what_is_older_than_15_minutes(redis):
    engine = await start(redis, cfg.tenant([cfg.agent("a", auto_accept=True)]), ["a"])
    await engine.submit(Task("c1", "q", "chat", "en"), T0)
    await engine.close("c1", T0 + 100, wrapup_code="x")
    assert (await engine.queue_stats(T0 + 120))["q"]["answered"] == 1
    later = T0 + 16 * 60
    await engine.submit(Task("c2", "q", "chat", "en", enqueued_at=later - 40), later)
    stats = (await engine.queue_stats(later + 1))["q"]
    assert stats["answered"] == 1 and stats["service_level"] == 0.0  # only c2, answered after 40 s
    assert stats["aht_s"] == pytest.approx(100)  # none handled in the window: the all-time figure
    assert (await engine.stats_replay(later + 1))["q"] == stats


async def test_positions_and_ewt_follow_the_queue(redis):
    tenant = cfg.tenant([cfg.agent("a", auto_accept=True), cfg.agent("b", auto_accept=True)],
                        [cfg.queue("q", aht_s=120)])
    engine = await start(redis, tenant, ["a", "b"])
    for i in range(5):
        await engine.submit(Task(f"c{i}", "q", "chat", "en"), T0 + i)
    got = {p.task_id: (p.position, p.ewt_s) for p in await engine.positions(T0 + 10)}
    assert got == {"c2": (1, 60.0), "c3": (2, 120.0), "c4": (3, 180.0)}  # 2 slots, 120 s each
    # a measured handle time replaces the configured one
    await engine.close("c0", T0 + 40, wrapup_code="x")  # handled 40 s; c2 goes to a
    got = {p.task_id: (p.position, p.ewt_s) for p in await engine.positions(T0 + 41)}
    assert got == {"c3": (1, 20.0), "c4": (2, 40.0)}
    await engine.set_state("b", "away", T0 + 42)
    got = {p.task_id: (p.position, p.ewt_s) for p in await engine.positions(T0 + 43)}
    assert got == {"c3": (1, 40.0), "c4": (2, 80.0)}


async def test_snapshot_has_the_contract_shape(redis):
    tenant = cfg.tenant([cfg.agent("a", capacity={"chat": 2, "email": 4}, auto_accept=True), cfg.agent("b")])
    engine = await start(redis, tenant, ["a"])
    await engine.submit(Task("c1", "q", "chat", "en"), T0 + 1)
    snap = await engine.snapshot(T0 + 11)
    assert snap["ts"] == T0 + 11
    a = next(x for x in snap["agents"] if x["id"] == "a")
    assert a["name"] == "A" and a["state"] == "available" and a["state_since"] == T0
    assert a["load"] == {"chat": 1, "messaging": 0, "email": 0, "voice": 0}
    assert a["capacity"] == {"chat": 2, "messaging": 0, "email": 4, "voice": 0}
    assert a["occupancy"] == pytest.approx(0.5)
    assert next(x for x in snap["agents"] if x["id"] == "b")["state"] == "offline"
    [q] = snap["queues"]
    for key in ("id", "name", "waiting", "longest_wait_s", "ewt_s", "service_level", "sla_target",
                "abandoned", "asa_s", "aht_s", "agents_needed", "agents_serving"):
        assert key in q
    assert (q["waiting"], q["agents_serving"], q["service_level"], q["ewt_s"]) == (0, 1, 1.0, 0.0)
    assert q["agents_needed"] == 1


async def test_longest_wait_and_queue_ewt(redis):
    engine = await start(redis, cfg.tenant([cfg.agent("a", auto_accept=True)], [cfg.queue("q", aht_s=100)]), ["a"])
    for i in range(3):
        await engine.submit(Task(f"c{i}", "q", "chat", "en"), T0 + i)
    [q] = (await engine.snapshot(T0 + 10))["queues"]
    assert (q["waiting"], q["longest_wait_s"], q["ewt_s"]) == (2, 9.0, 200.0)
    assert (await engine.stats_replay(T0 + 10))["q"]["longest_wait_s"] == 9.0


async def test_snapshot_queues_carry_their_sla_threshold(redis):
    # the supervisor dashboard highlights waits past it; without it the highlight never fired
    tenant = cfg.tenant([cfg.agent("a")], [cfg.queue("q", sla_threshold_s=45), cfg.queue("fast", sla_threshold_s=10)])
    engine = await start(redis, tenant, ["a"])
    snap = await engine.snapshot(T0 + 1)
    assert {q["id"]: q["sla_threshold_s"] for q in snap["queues"]} == {"q": 45, "fast": 10}
