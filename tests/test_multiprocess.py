"""Two gateway processes on one Redis serve one deployment: a visitor on one, its agent on the other."""

from __future__ import annotations

import pytest
from conftest import running_gateway


@pytest.fixture
async def second_gateway(gateway, redis_url, demo_config):
    async with running_gateway(demo_config, redis_url) as gw:
        yield gw


async def test_visitor_and_agent_on_different_gateway_processes(gateway, second_gateway):
    anna, anna_in = await second_gateway.agent("anna")
    visitor, v_in = await gateway.visitor()
    ack = await visitor.call("message", {"text": "across nodes", "client_id": "x"}, namespace="/visitor")
    offer = await anna_in.next("offer")
    assert offer["conversation_id"] == ack["conversation_id"]
    await anna.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent")
    await v_in.next("assigned")
    await anna.call("message", {"conversation_id": ack["conversation_id"], "text": "hello from node B", "client_id": "b"},
                    namespace="/agent")
    got = await v_in.next("message", lambda m: m["author"]["kind"] == "agent")
    assert got["text"] == "hello from node B"
    await visitor.call("message", {"text": "and back", "client_id": "y"}, namespace="/visitor")
    assert (await anna_in.next("message", lambda m: m["text"] == "and back"))["seq"] == 3


async def test_a_lone_process_skips_pubsub_and_starts_publishing_when_a_peer_appears(gateway, redis_url, demo_config):
    import asyncio

    from gateway.appkeys import SIO

    first = gateway.app[SIO].manager
    for _ in range(30):  # trusted once two looks agree
        if first.alone:
            break
        await asyncio.sleep(0.1)
    assert first.alone
    async with running_gateway(demo_config, redis_url) as other:
        # the newcomer waited until the first process had seen it
        assert not first.alone and not other.app[SIO].manager.alone
        anna, anna_in = await other.agent("anna")
        visitor, v_in = await gateway.visitor()
        await visitor.call("message", {"text": "via pub/sub", "client_id": "p"}, namespace="/visitor")
        offer = await anna_in.next("offer")
        await anna.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent")
        await v_in.next("assigned")
    await asyncio.sleep(1.2)
    assert first.alone  # the peer left: back to local delivery
