"""Chaos: kill -9 one of two `omnirelay serve` nodes in the middle of 50 live conversations.

Visitors and agents are spread over both nodes and reconnect by themselves through the survivor,
resending what was not acknowledged (same client_id). Afterwards every acknowledged message is in
its conversation exactly once and in order, every conversation was offered and assigned to exactly
one agent (the ACD's event log replayed: never two open offers of one conversation, every offer
ended once), no agent is above capacity (and the ACD's own consistency audit passes), and the ACD
timers falling due after the kill fire on the survivor without delay.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from chaos_helpers import PASSWORD, Agent, Visitor, agent_ids, chaos_config, login, start_node

from acd.devtools import audit
from acd.engine import Engine
from gateway.config import load_config
from gateway.config.to_acd import to_acd
from gateway.keys import TenantKeys

pytestmark = [pytest.mark.slow, pytest.mark.timeout(60)]
CONVERSATIONS, AGENTS, VISITOR_MESSAGES, AGENT_REPLIES = 50, 20, 6, 2
SLEEPY = 2  # agents who never answer an offer: theirs expire (ACD timers) and go to the next agent; 18 x 3 = 54 slots
OFFER_TIMEOUT_S = 3.0
TIMER_BOUND_S = 5.0
KEYS = TenantKeys("demo")


async def _timer_lateness(redis, timers_key: str, since: float, until: float) -> tuple[float, int]:
    """The most any ACD timer was overdue while sampled, and how many timers fell due in the window
    (each must have been fired, or cancelled, by the surviving node)."""
    worst, due_seen = 0.0, set()
    while time.time() < until:
        now = time.time()
        for member, due in await redis.zrangebyscore(timers_key, "-inf", now, withscores=True):
            worst = max(worst, now - due)
            if due > since:
                due_seen.add(member)
        await asyncio.sleep(0.05)
    return worst, len(due_seen)


def _replay_offers(events: list[dict]) -> tuple[dict[str, str], list[str]]:
    """Walk the ACD event log: the agent each task was assigned to, and every broken offer rule."""
    open_offer: dict[str, tuple[str, str]] = {}  # task -> (offer, agent)
    assigned: dict[str, str] = {}
    bad: list[str] = []
    for e in events:
        task, kind = e.get("task"), e["ev"]
        if kind == "offer":
            if task in open_offer:
                bad.append(f"{task} offered to {e['agent']} while {open_offer[task]} is open")
            if task in assigned:
                bad.append(f"{task} offered again after it was assigned to {assigned[task]}")
            open_offer[task] = (e["offer"], e["agent"])
        elif kind in ("assign", "revoke"):
            if open_offer.get(task, ("", ""))[0] != e.get("offer"):
                bad.append(f"{kind} of offer {e.get('offer')} of {task} that is not open ({open_offer.get(task)})")
            open_offer.pop(task, None)
            if kind == "assign":
                if task in assigned:
                    bad.append(f"{task} assigned twice: {assigned[task]} and {e['agent']}")
                assigned[task] = e["agent"]
    return assigned, bad


async def test_kill9_of_one_node_mid_conversations_loses_doubles_and_overfills_nothing(
        tmp_path, redis, redis_url, database_url, history_db):
    config = chaos_config(tmp_path, agents=AGENTS, offer_timeout_s=OFFER_TIMEOUT_S)
    env = {"REDIS_URL": redis_url, "DATABASE_URL": database_url}
    a = start_node(tmp_path, "a", config, env)
    b = start_node(tmp_path, "b", config, env)
    visitors: list[Visitor] = []
    agents: list[Agent] = []
    try:
        await asyncio.gather(a.healthy(40), b.healthy(40))
        both = [a.url, b.url]
        tokens = await asyncio.gather(*(login(both, aid, PASSWORD) for aid in agent_ids(AGENTS)))
        agents = [Agent(aid, tok, both if i % 2 else both[::-1], sleepy=i < SLEEPY, replies=AGENT_REPLIES)
                  for i, (aid, tok) in enumerate(zip(agent_ids(AGENTS), tokens, strict=True))]
        await asyncio.gather(*(ag.start() for ag in agents))

        visitors = [Visitor(n, both if n % 2 else both[::-1], messages=VISITOR_MESSAGES) for n in range(CONVERSATIONS)]
        talking = asyncio.gather(*(v.run() for v in visitors))
        # the kill: while offers are open and messages flow on both nodes
        await asyncio.sleep(2.0)
        on_a = [p for p in [*(v.peer for v in visitors), *(ag.peer for ag in agents)] if p.url == a.url]
        assert {p.namespace for p in on_a} == {"/visitor", "/agent"}, "visitors and agents on the node to be killed"
        killed_at = time.time()
        a.kill()
        watch = asyncio.create_task(_timer_lateness(redis, "t:{demo}:acd:timers", killed_at, killed_at + 8))

        await asyncio.wait_for(talking, 40)
        await asyncio.wait_for(asyncio.gather(*(ag.settled() for ag in agents)), 40)
        lateness, fell_due = await watch
        took = time.time() - killed_at

        # everyone who was on the dead node reconnected through the survivor
        assert all(p.url == b.url and p.connects >= 2 for p in on_a), [(p.url, p.connects) for p in on_a]

        # every acknowledged message exactly once, in its sender's order (read back through the survivor)
        cids = set()
        for v in visitors:
            history = await v.peer.call("history", {"after_seq": 0})
            msgs = history["messages"]
            cid = history["conversation_id"]
            cids.add(cid)
            assert [m["seq"] for m in msgs] == list(range(1, len(msgs) + 1)), cid
            assert len({m["id"] for m in msgs}) == len(msgs)
            by_id = {m["id"]: m for m in msgs}
            mine = [t for t, _ in v.acks]
            theirs = [(ag.id, t, ack) for ag in agents for t, ack in ag.acks.get(cid, [])]
            assert sorted(m["text"] for m in msgs) == sorted(mine + [t for _, t, _ in theirs]), cid  # nothing else, nothing twice
            for text, ack in v.acks + [(t, ack) for _, t, ack in theirs]:
                assert by_id[ack["id"]]["text"] == text
                assert by_id[ack["id"]]["seq"] == ack["seq"]
            assert [by_id[ack["id"]]["seq"] for _, ack in v.acks] == sorted(by_id[ack["id"]]["seq"] for _, ack in v.acks)
            assert len(theirs) == AGENT_REPLIES, (cid, theirs)  # its agent answered, once per reply
        assert len(cids) == CONVERSATIONS

        # routing: offered and assigned exactly once each, nobody above capacity, the state consistent
        cfg = load_config(config, env={})
        engine = Engine(redis, to_acd(cfg.tenants["demo"]))
        assert await audit.check(engine) == []
        events = [f for _, f in await redis.xrange(engine.keys.events())]
        assigned, broken = _replay_offers(events)
        assert broken == []
        assert set(assigned) == cids  # every conversation ended with one agent; none lost in the crash
        holders = {aid: await engine.assigned_tasks(aid) for aid in agent_ids(AGENTS)}
        assert all(len(held) <= 3 for held in holders.values()), holders
        for aid, held in holders.items():
            for cid in held:
                assert assigned[cid] == aid
        assert not await redis.hlen(engine.keys.offers())  # no offer left dangling
        for ag in agents:
            assert ag.accepted <= set(ag.offers.values())  # accepted only what it was offered
            assert set(holders[ag.id]) <= set(ag.offers.values()) | ag.accepted
        print(f"\nchaos node kill: {len(on_a)} clients moved; done {took:.1f} s after the kill; "
              f"ACD timers at most {lateness:.2f} s overdue ({fell_due} fell due after the kill)")
        assert fell_due > 0  # offers ran out after the kill: the survivor fired their timers …
        assert lateness < TIMER_BOUND_S  # … on time
        expired = [e for e in events if e["ev"] == "revoke" and e.get("reason") == "expired" and float(e["ts"]) > killed_at]
        assert expired, "an offer expired after the kill"
    finally:
        for peer in [*(v.peer for v in visitors), *(ag.peer for ag in agents)]:
            await peer.close()
        a.kill()
        b.kill()
