"""Which visitor a widget tab is when it connects (gateway/store/lua/visitor_connect.lua): the token's, with
its conversation; a new one when the token's visitor is gone or belongs to another signed-in user (a
shared computer); and the tab is recorded for its visitor and its node."""

from __future__ import annotations

import pytest
from crm_helpers import signed_visitor

from gateway import appkeys as K
from gateway.keys import TenantKeys

pytestmark = pytest.mark.timeout(60)
KEYS = TenantKeys("demo")
AUTH = {"tenant": "demo", "topic": "billing", "language": "en"}


async def connect(gateway, auth: dict) -> tuple[object, dict]:
    client, inbox = await gateway.socket("/visitor", auth, ["session", "assigned", "closed"])
    return client, await inbox.next("session")


async def test_a_token_brings_back_its_visitor_and_conversation(gateway, redis):
    first, session = await connect(gateway, {**AUTH, "name": "Tara"})
    token = session["visitor_token"]
    ack = await first.call("message", {"text": "hello", "client_id": "t-1"}, namespace="/visitor", timeout=5)
    second, again = await connect(gateway, {**AUTH, "visitor_token": token})
    assert again == {"visitor_token": token, "conversation_id": ack["conversation_id"]}
    visitor_id = await redis.hget(KEYS.conv(ack["conversation_id"]), "visitor_id")
    assert len(await redis.smembers(KEYS.visitor_sockets(visitor_id))) == 2  # two tabs
    assert await redis.hget(KEYS.visitor(visitor_id), "name") == "Tara"  # the second tab named nobody
    node = gateway.app[K.SERVICES].node_id
    assert len(await redis.smembers(KEYS.node_tabs(node))) == 2 and node in await redis.smembers(KEYS.tab_nodes())
    assert await redis.ttl(KEYS.visitor(visitor_id)) > 3600  # a visitor who wrote is kept for the token's lifetime
    await first.disconnect()
    await second.disconnect()


async def test_a_token_of_another_signed_in_user_starts_a_new_visitor(gateway, redis):
    _, session = await connect(gateway, signed_visitor("u-1", "una@example.com", **AUTH, name="Una"))
    token = session["visitor_token"]
    una, _ = await connect(gateway, signed_visitor("u-1", "una@example.com", **AUTH, visitor_token=token))
    ack = await una.call("message", {"text": "my invoice", "client_id": "u-1"}, namespace="/visitor", timeout=5)

    # someone else signs in on the same computer: not Una's visitor, nor her conversation
    _, other = await connect(gateway, signed_visitor("u-2", "otto@example.com", **AUTH, visitor_token=token))
    assert other["visitor_token"] != token and other["conversation_id"] is None
    # Una again: her own
    _, back = await connect(gateway, signed_visitor("u-1", "una@example.com", **AUTH, visitor_token=token))
    assert back == {"visitor_token": token, "conversation_id": ack["conversation_id"]}


async def test_a_token_whose_visitor_is_gone_starts_a_new_visitor(gateway, redis):
    first, session = await connect(gateway, {**AUTH, "name": "Gus"})
    token = session["visitor_token"]
    await first.disconnect()
    visitor_ids = [k.split(":")[-1] for k in await redis.keys(KEYS.visitor("*")) if k.count(":") == 3]
    assert len(visitor_ids) == 1
    assert 0 < await redis.ttl(KEYS.visitor(visitor_ids[0])) <= 3600  # one who never wrote is kept briefly
    await redis.delete(KEYS.visitor(visitor_ids[0]))  # its lifetime ran out
    _, again = await connect(gateway, {**AUTH, "visitor_token": token, "name": "Gus"})
    assert again["visitor_token"] != token and again["conversation_id"] is None


async def test_an_assigned_conversation_tells_the_returning_tab_who_serves_it(gateway, redis):
    login = await gateway.login("anna")
    agent, offers = await gateway.socket("/agent", {"token": login["token"]}, ["offer", "customer_presence"])
    assert (await agent.call("state", {"state": "available"}, namespace="/agent", timeout=5))["state"] == "available"
    visitor, session = await connect(gateway, {**AUTH, "name": "Ali"})
    ack = await visitor.call("message", {"text": "hello", "client_id": "a-1"}, namespace="/visitor", timeout=5)
    offer = await offers.next("offer")
    assert (await agent.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent", timeout=5))["ok"]
    await visitor.disconnect()
    await offers.next("customer_presence", lambda d: not d["present"])  # the agent sees the customer left
    client, inbox = await gateway.socket("/visitor", {**AUTH, "visitor_token": session["visitor_token"]},
                                         ["session", "assigned"])
    assigned = await inbox.next("assigned")
    assert assigned == {"conversation_id": ack["conversation_id"], "agent": {"name": "Anna"}}
    back = await offers.next("customer_presence", lambda d: d["present"])
    assert back["conversation_id"] == ack["conversation_id"]
    await client.disconnect()
