"""Chaos: kill -9 the embedded redis-server under traffic from several conversations (visitors
writing, agents accepting and answering). The gateway restarts it (tests/test_lifecycle_redis_restart.py
proves the restart with one message at rest); here every client keeps resending what was not
acknowledged during the outage, and afterwards every acknowledged message is there exactly once,
in order — the AOF (appendfsync always) kept everything that was acknowledged."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest
from chaos_helpers import PASSWORD, Agent, Visitor, agent_ids, chaos_config, login, start_node

pytestmark = [pytest.mark.slow, pytest.mark.timeout(60)]
CONVERSATIONS, AGENTS = 8, 3


async def test_acknowledged_messages_survive_a_redis_kill9_under_traffic(tmp_path):
    node = start_node(tmp_path, "gw", chaos_config(tmp_path, agents=AGENTS), {})
    visitors: list[Visitor] = []
    agents: list[Agent] = []
    try:
        await node.healthy(40)
        tokens = await asyncio.gather(*(login([node.url], aid, PASSWORD) for aid in agent_ids(AGENTS)))
        agents = [Agent(aid, tok, [node.url], replies=3) for aid, tok in zip(agent_ids(AGENTS), tokens, strict=True)]
        await asyncio.gather(*(ag.start() for ag in agents))
        visitors = [Visitor(n, [node.url], messages=10) for n in range(CONVERSATIONS)]
        talking = asyncio.gather(*(v.run() for v in visitors))

        await asyncio.sleep(1.5)
        data = tmp_path / "gw" / "var"
        redis_pid = int((data / "redis.pid").read_text())
        acked_before = sum(len(v.acks) for v in visitors)
        os.kill(redis_pid, signal.SIGKILL)

        await asyncio.wait_for(talking, 45)
        await asyncio.wait_for(asyncio.gather(*(ag.settled() for ag in agents)), 30)
        assert int((data / "redis.pid").read_text()) != redis_pid  # restarted
        assert 0 < acked_before < CONVERSATIONS * 10  # the kill came in the middle of the traffic

        for v in visitors:
            history = await v.peer.call("history", {"after_seq": 0})
            msgs, cid = history["messages"], history["conversation_id"]
            assert [m["seq"] for m in msgs] == list(range(1, len(msgs) + 1)), cid
            by_id = {m["id"]: m for m in msgs}
            answered = [(t, ack) for ag in agents for t, ack in ag.acks.get(cid, [])]
            assert len(answered) == 3, cid
            assert sorted(m["text"] for m in msgs) == sorted([t for t, _ in v.acks + answered])  # each once
            for text, ack in v.acks + answered:
                assert by_id[ack["id"]]["text"] == text and by_id[ack["id"]]["seq"] == ack["seq"]
            seqs = [ack["seq"] for _, ack in v.acks]
            assert seqs == sorted(seqs)  # in the visitor's order
        print(f"\nchaos redis kill: {acked_before} messages acknowledged before the kill, "
              f"{sum(len(v.acks) for v in visitors)} visitor messages in all, each once")
    finally:
        for peer in [*(v.peer for v in visitors), *(ag.peer for ag in agents)]:
            await peer.close()
        node.kill()
