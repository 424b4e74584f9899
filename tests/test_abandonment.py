"""A visitor who closes the tab while waiting has abandoned after the grace period; a reload has not."""

from __future__ import annotations

import asyncio

import pytest
from conftest import running_gateway


@pytest.fixture
async def quick_gateway(redis, redis_url, demo_config):
    demo_config.tenants["demo"].widget.abandon_after_s = 1.0
    async with running_gateway(demo_config, redis_url) as gw:
        yield gw


async def _abandoned(gw) -> int:
    sam = await gw.login("sam")
    sup, inbox = await gw.socket("/supervisor", {"token": sam["token"]}, ["snapshot"])
    snap = await inbox.next("snapshot")
    await sup.disconnect()
    return next(q for q in snap["queues"] if q["id"] == "billing")["abandoned"]


async def test_closed_tab_while_waiting_is_abandoned_after_the_grace(quick_gateway, redis):
    gw = quick_gateway
    visitor, v_in = await gw.visitor(topic="billing")
    token = (await v_in.next("session"))["visitor_token"]
    ack = await visitor.call("message", {"text": "anyone?", "client_id": "a"}, namespace="/visitor")
    await visitor.disconnect()  # the tab is closed; nobody serves billing, so it was waiting
    for _ in range(40):
        if await redis.hget(f"t:{{demo}}:conv:{ack['conversation_id']}", "state") == "closed":
            break
        await asyncio.sleep(0.1)
    assert await redis.hget(f"t:{{demo}}:conv:{ack['conversation_id']}", "close_reason") == "abandoned"
    assert await _abandoned(gw) == 1
    # coming back later: the old conversation is closed, writing opens a new one
    back, back_in = await gw.visitor(visitor_token=token)
    assert (await back_in.next("closed"))["reason"] == "abandoned"
    again = await back.call("message", {"text": "hello again", "client_id": "b"}, namespace="/visitor")
    assert again["conversation_id"] != ack["conversation_id"]


async def test_a_reload_within_the_grace_keeps_the_conversation(quick_gateway, redis):
    gw = quick_gateway
    visitor, v_in = await gw.visitor(topic="billing")
    token = (await v_in.next("session"))["visitor_token"]
    ack = await visitor.call("message", {"text": "still here", "client_id": "a"}, namespace="/visitor")
    await visitor.disconnect()
    await asyncio.sleep(0.3)
    reloaded, r_in = await gw.visitor(visitor_token=token)
    assert (await r_in.next("session"))["conversation_id"] == ack["conversation_id"]
    await asyncio.sleep(2.0)  # past the grace
    assert await redis.hget(f"t:{{demo}}:conv:{ack['conversation_id']}", "state") == "queued"
    assert await _abandoned(gw) == 0


async def test_when_the_agent_drops_out_the_visitor_is_told_and_waits_again(redis, redis_url, demo_config):
    demo_config.tenants["demo"].disconnect_grace_s = 1.0
    async with running_gateway(demo_config, redis_url) as gw:
        anna, anna_in = await gw.agent("anna")
        visitor, v_in = await gw.visitor(topic="billing")
        ack = await visitor.call("message", {"text": "help", "client_id": "h"}, namespace="/visitor")
        offer = await anna_in.next("offer")
        await anna.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent")
        await v_in.next("assigned")
        await anna.disconnect()  # her browser is gone for longer than the grace
        requeued = await v_in.next("requeued", timeout=5)
        assert requeued == {"conversation_id": ack["conversation_id"], "reason": "agent_offline"}
        assert await redis.hget(f"t:{{demo}}:conv:{ack['conversation_id']}", "state") == "queued"
        # the next agent who comes gets it, with the whole history
        anna_again = await gw.login("anna")
        again, again_in = await gw.socket("/agent", {"token": anna_again["token"]}, ["offer"])
        await again.call("state", {"state": "available"}, namespace="/agent")
        offer2 = await again_in.next("offer")
        assert offer2["conversation_id"] == ack["conversation_id"]
