"""Every visitor action is bounded: escalations count against the visitor's budget, one address
cannot open conversations without end, a visitor who never wrote is forgotten soon, history comes
in pages bounded in count and bytes, and a typing flood reaches the agent as a trickle."""

from __future__ import annotations

import asyncio
import copy

from conftest import running_gateway

from gateway.keys import TenantKeys


def _config(demo_config, **limits):
    config = copy.deepcopy(demo_config)
    for key, value in limits.items():
        setattr(config.limits, key, value)
    return config


async def test_escalations_count_against_the_visitors_limit(gateway):
    visitor, _ = await gateway.visitor()
    await visitor.call("message", {"text": "hi", "client_id": "m1"}, namespace="/visitor")
    acks = await asyncio.gather(*[
        visitor.call("escalate", {"to": "email", "email": f"me{i}@example.com"}, namespace="/visitor")
        for i in range(40)
    ])
    refused = [a for a in acks if "error" in a]
    assert refused and all(a["error"]["code"] == "rate_limited" for a in refused)
    history = await visitor.call("history", {"after_seq": 0}, namespace="/visitor")
    assert len(history["messages"]) <= 20  # the message and the escalations share one budget


async def test_history_comes_in_pages_that_say_where_to_go_on(redis, redis_url, demo_config):
    config = _config(demo_config, history_page_messages=20, history_page_bytes=10_000, visitor_messages_per_10s=1000)
    async with running_gateway(config, redis_url) as gw:
        visitor, _ = await gw.visitor()
        for i in range(45):
            await visitor.call("message", {"text": f"line {i}", "client_id": f"c{i}"}, namespace="/visitor")
        seen, after, pages = [], 0, 0
        while after is not None:
            page = await visitor.call("history", {"after_seq": after}, namespace="/visitor")
            assert len(page["messages"]) <= 20
            seen += [m["text"] for m in page["messages"]]
            after, pages = page["next_after_seq"], pages + 1
        assert seen == [f"line {i}" for i in range(45)] and pages == 3

        for i in range(3):  # long messages: the byte bound cuts the page short
            await visitor.call("message", {"text": "x" * 4000, "client_id": f"long{i}"}, namespace="/visitor")
        page = await visitor.call("history", {"after_seq": 45}, namespace="/visitor")
        assert len(page["messages"]) == 2 and page["next_after_seq"] == 47


async def test_one_address_cannot_open_conversations_without_end(redis, redis_url, demo_config):
    async with running_gateway(_config(demo_config, conversations_per_address_per_min=3), redis_url) as gw:
        acks = []
        for i in range(4):
            visitor, _ = await gw.visitor(name=f"Bot {i}")
            acks.append(await visitor.call("message", {"text": "spam", "client_id": "s"}, namespace="/visitor"))
        assert all("seq" in a for a in acks[:3])
        assert acks[3]["error"]["code"] == "rate_limited"


async def test_a_visitor_who_never_wrote_is_forgotten_soon(gateway, redis):
    keys = TenantKeys("demo")
    silent, s_in = await gateway.visitor()
    session = await s_in.next("session")
    writer, w_in = await gateway.visitor()
    await writer.call("message", {"text": "hello", "client_id": "w"}, namespace="/visitor")
    written = await w_in.next("session", lambda s: s.get("visitor_token"))
    silent_id = session["visitor_token"].split(".")[2]
    writer_id = written["visitor_token"].split(".")[2]
    assert 0 < await redis.ttl(keys.visitor(silent_id)) <= 3600
    assert 0 < await redis.ttl(keys.visitor_sockets(silent_id)) <= 3600
    assert await redis.ttl(keys.visitor(writer_id)) > 29 * 24 * 3600


async def test_a_typing_flood_reaches_the_agent_as_a_trickle(gateway):
    anna, anna_in = await gateway.agent("anna")
    visitor, _ = await gateway.visitor()
    await visitor.call("message", {"text": "hi", "client_id": "t1"}, namespace="/visitor")
    offer = await anna_in.next("offer")
    await anna.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent")
    for _ in range(300):
        await visitor.emit("typing", {"on": True}, namespace="/visitor")
    await visitor.emit("typing", {"on": False}, namespace="/visitor")
    await anna_in.next("typing", lambda t: t["on"] is False)
    assert len(anna_in.all("typing")) <= 4
