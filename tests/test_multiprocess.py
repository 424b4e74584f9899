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
