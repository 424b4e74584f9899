"""Two tenants on one installation share nothing: conversations, contacts, agents, snapshots."""

from __future__ import annotations

import aiohttp
import pytest
from conftest import running_gateway, two_tenants_config


@pytest.fixture
async def two_tenants(redis, redis_url):
    config = two_tenants_config()
    async with running_gateway(config, redis_url) as gw:
        yield gw


async def test_an_agent_of_one_tenant_never_sees_another_tenants_data(two_tenants):
    gw = two_tenants
    anna, anna_in = await gw.agent("anna")
    visitor, _ = await gw.visitor()
    ack = await visitor.call("message", {"text": "private to demo", "client_id": "p"}, namespace="/visitor")
    offer = await anna_in.next("offer")
    accepted = await anna.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent")
    contact_id = accepted["conversation"]["contact"]["id"]

    zed = await gw.login("zed", "anna-demo")
    assert zed["tenant"] == "acme"
    sue = await gw.login("sue", "anna-demo")
    async with aiohttp.ClientSession() as http:
        for token in (zed["token"], sue["token"]):
            auth = {"Authorization": f"Bearer {token}"}
            for path in (f"/api/v1/conversations/{ack['conversation_id']}", f"/api/v1/contacts/{contact_id}",
                         f"/api/v1/contacts/{contact_id}/conversations"):
                async with http.get(gw.url + path, headers=auth) as r:
                    assert r.status == 404, path
        # anna herself sees it
        anna_login = await gw.login("anna")
        async with http.get(gw.url + f"/api/v1/conversations/{ack['conversation_id']}",
                            headers={"Authorization": f"Bearer {anna_login['token']}"}) as r:
            assert r.status == 200
            assert (await r.json())["messages"][0]["text"] == "private to demo"

    zed_sock, _ = await gw.socket("/agent", {"token": zed["token"]}, ["message"])
    refused = await zed_sock.call("history", {"conversation_id": ack["conversation_id"]}, namespace="/agent")
    assert refused["error"]["code"] == "not_found"

    sup, sup_in = await gw.socket("/supervisor", {"token": sue["token"]}, ["snapshot"])
    snap = await sup_in.next("snapshot")
    assert {a["id"] for a in snap["agents"]} == {"zed"}
    assert {q["id"] for q in snap["queues"]} == {"help"}


async def test_visitor_tokens_do_not_cross_tenants(two_tenants):
    _, demo_in = await two_tenants.visitor(tenant="demo")
    token = (await demo_in.next("session"))["visitor_token"]
    _, acme_in = await two_tenants.visitor(tenant="acme", visitor_token=token, topic="help")
    assert (await acme_in.next("session"))["visitor_token"] != token
