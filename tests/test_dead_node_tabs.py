"""The visitor tabs of a gateway node killed with -9 are recorded as closed by the node still running, once
the dead node's lease has run out (gateway/sockets/dead_node_tabs.py): a visitor who never came back is
abandoned after the grace, one who came back through the other node keeps the conversation; and a node
whose tabs were swept while it lived (stalled past its lease) announces them again."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest
import socketio
from chaos_helpers import Peer, chaos_config, node_consumer_prefix, start_node
from conftest import eventually, running_gateway

from acd.keys import AcdKeys
from gateway import appkeys as K
from gateway.keys import TenantKeys
from gateway.store.conversations import get_conversation

KEYS = TenantKeys("demo")
LEASE_S = 8.0  # the nodes' lease (20 s by default): how long a killed node's tabs stay its own
AUTH = {"tenant": "demo", "topic": "billing", "language": "en"}


def short_grace(config_path) -> None:
    """A waiting visitor with no tab open for 1 s has abandoned (the demo's is 90 s)."""
    text = config_path.read_text()
    config_path.write_text(text.replace("    widget:\n", "    widget:\n      abandon_after_s: 1\n", 1))


async def visitor_conversation(client: socketio.AsyncClient, sessions: asyncio.Queue, text: str) -> tuple[str, str]:
    """(visitor token, conversation id) once the visitor's first message is stored."""
    token = (await asyncio.wait_for(sessions.get(), 10))["visitor_token"]
    ack = await client.call("message", {"text": text, "client_id": text}, namespace="/visitor", timeout=10)
    return token, ack["conversation_id"]


@pytest.mark.slow
@pytest.mark.timeout(90)
async def test_a_killed_nodes_visitors_count_as_gone_unless_they_came_back(tmp_path, redis, redis_url):
    config = chaos_config(tmp_path, node_lease_s=LEASE_S)
    short_grace(config)
    a = start_node(tmp_path, "a", config, {"REDIS_URL": redis_url})
    b = start_node(tmp_path, "b", config, {"REDIS_URL": redis_url})
    gone = socketio.AsyncClient(reconnection=False)
    back = None
    try:
        await asyncio.gather(a.healthy(40), b.healthy(40))
        # one visitor who will not come back (this client knows node a only) …
        gone_sessions: asyncio.Queue = asyncio.Queue()
        gone.on("session", gone_sessions.put, namespace="/visitor")
        await gone.connect(a.url, namespaces=["/visitor"], auth={**AUTH, "name": "Gina Gone"},
                           transports=["websocket"])
        _, gone_cid = await visitor_conversation(gone, gone_sessions, "hello from Gina")
        # … and one who comes back through node b
        back_sessions: asyncio.Queue = asyncio.Queue()
        tokens: list[str] = []

        def back_auth() -> dict:
            auth = {**AUTH, "name": "Bert Back"}
            return {**auth, "visitor_token": tokens[0]} if tokens else auth

        back = Peer([a.url, b.url], "/visitor", back_auth, {"session": back_sessions.put})
        await back.connect()
        assert back.url == a.url
        token = (await asyncio.wait_for(back_sessions.get(), 10))["visitor_token"]
        tokens.append(token)
        back_cid = (await back.call("message", {"text": "hello from Bert", "client_id": "bert-1"}))["conversation_id"]

        prefix = node_consumer_prefix(a)
        node_a = next(n for n in await redis.smembers(KEYS.tab_nodes()) if n.startswith(prefix))
        assert len(await redis.smembers(KEYS.node_tabs(node_a))) == 2
        for cid in (gone_cid, back_cid):
            assert (await get_conversation(redis, KEYS, cid)).state == "queued"

        a.kill()
        killed_at = time.time()
        # the visitor writes again: through node b, with its token, into the same conversation
        again = await back.call("message", {"text": "still there?", "client_id": "bert-2"})
        assert (back.url, again["conversation_id"]) == (b.url, back_cid)

        async def abandoned():
            conv = await get_conversation(redis, KEYS, gone_cid)
            return conv if conv.state == "closed" else None

        # the lease of a dead node runs out (renewed every 2 s: 6-8 s after the kill); then a sweep (5 s),
        # the grace (1 s) and the check (1 s)
        closed = await eventually(abandoned, timeout=LEASE_S + 25)
        assert closed.close_reason == "abandoned"
        assert time.time() - killed_at >= LEASE_S - LEASE_S / 4  # not before node a's lease ran out
        # the visitor who came back waits on: their tab on node b is open, node a's is gone
        assert (await get_conversation(redis, KEYS, back_cid)).state == "queued"
        assert not await redis.zscore(KEYS.abandon_due(), back_cid)
        visitor_id = await redis.hget(KEYS.conv(back_cid), "visitor_id")
        assert len(await redis.smembers(KEYS.visitor_sockets(visitor_id))) == 1
        assert not await redis.exists(KEYS.node_tabs(node_a))
        assert node_a not in await redis.smembers(KEYS.tab_nodes())
    finally:
        if back is not None:
            await back.close()
        await gone.disconnect()
        a.kill()
        b.kill()


@contextlib.asynccontextmanager
async def two_gateways_and_a_waiting_visitor(config, redis_url: str, name: str):
    """Two gateway processes in this loop; a visitor on the first who wrote (its conversation waits)."""
    async with running_gateway(config, redis_url) as first, running_gateway(config, redis_url) as second:
        client, _ = await first.socket("/visitor", {**AUTH, "name": name}, ["session"])
        ack = await client.call("message", {"text": "hello", "client_id": f"{name}-1"}, namespace="/visitor", timeout=5)
        yield first, second, client, ack["conversation_id"]


@pytest.mark.timeout(60)
async def test_a_node_whose_tabs_were_swept_while_it_lived_announces_them_again(
        redis, redis_url, demo_config, monkeypatch):
    monkeypatch.setattr("gateway.app.TABS_SWEEP_S", 3600.0)  # the sweeps below are the test's, in its order
    async with two_gateways_and_a_waiting_visitor(demo_config, redis_url, "Sara Stalled") as (stalled, other, client, cid):
        visitor_id = await redis.hget(KEYS.conv(cid), "visitor_id")
        node = stalled.app[K.SERVICES].node_id
        assert len(await redis.smembers(KEYS.visitor_sockets(visitor_id))) == 1

        # node "stalled" missed its heartbeats: its lease ran out, and the other node took its tabs for gone
        await redis.zadd(AcdKeys("demo").nodes(), {node: time.time() - 1})
        assert await other.app[K.SIO].namespace_handlers["/visitor"].tabs.sweep() == 1
        assert not await redis.smembers(KEYS.visitor_sockets(visitor_id))
        assert await redis.zscore(KEYS.abandon_due(), cid)  # the grace started

        # back to life: its next sweep finds its tabs gone and announces them again
        await stalled.app[K.SIO].namespace_handlers["/visitor"].tabs.sweep()
        assert len(await redis.smembers(KEYS.visitor_sockets(visitor_id))) == 1
        assert not await redis.zscore(KEYS.abandon_due(), cid)  # the grace called off
        assert node in await redis.smembers(KEYS.tab_nodes())
        assert len(await redis.smembers(KEYS.node_tabs(node))) == 1
        await client.disconnect()


@pytest.mark.timeout(60)
async def test_a_dead_nodes_tabs_stay_until_recorded_even_when_the_sweeping_node_fails_half_way(
        redis, redis_url, demo_config, monkeypatch):
    monkeypatch.setattr("gateway.app.TABS_SWEEP_S", 3600.0)  # the sweeps below are the test's, in its order
    async with two_gateways_and_a_waiting_visitor(demo_config, redis_url, "Dora Dead") as (dead, sweeper, client, cid):
        node = dead.app[K.SERVICES].node_id
        tabs = sweeper.app[K.SIO].namespace_handlers["/visitor"].tabs

        async def lease_gone() -> None:  # (the "dead" node still renews it now and then)
            await redis.zadd(AcdKeys("demo").nodes(), {node: time.time() - 1})

        # the sweeping node fails before it recorded anything: the tab is still the dead node's
        async def fails(*args, **kwargs):
            raise ConnectionError("the sweeping node lost Redis")

        monkeypatch.setattr("gateway.sockets.dead_node_tabs.visitors_left", fails)
        await lease_gone()
        with pytest.raises(ConnectionError):
            await tabs.sweep()
        assert len(await redis.smembers(KEYS.node_tabs(node))) == 1
        assert not await redis.zscore(KEYS.abandon_due(), cid)
        monkeypatch.undo()
        monkeypatch.setattr("gateway.app.TABS_SWEEP_S", 3600.0)

        # another live node sweeping them (its lock): this one leaves them alone
        await redis.set(KEYS.node_tabs_sweep(node), "another-node", px=60_000)
        await lease_gone()
        assert await tabs.sweep() == 0
        assert len(await redis.smembers(KEYS.node_tabs(node))) == 1

        # that node died too: once its lock has run out, the next sweep records the tab
        await redis.delete(KEYS.node_tabs_sweep(node))
        await lease_gone()
        assert await tabs.sweep() == 1
        assert not await redis.exists(KEYS.node_tabs(node))
        assert await redis.zscore(KEYS.abandon_due(), cid)  # the grace started
        assert node not in await redis.smembers(KEYS.tab_nodes())
        await client.disconnect()
