"""A messenger customer through the whole gateway: webhook → the same "a customer wrote" as the
widget → offer → the agent's reply leaves through the platform's outbox → its status reaches the console."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from echo import SPEC, FakeVendor, echo_gateway, eventually
from test_webhooks_inbound import post, text

from bridges.registry import BRIDGES


@pytest.fixture(autouse=True)
def echo_registered(monkeypatch):
    monkeypatch.setitem(BRIDGES, "echo", SPEC)


async def test_a_messenger_customer_is_served_like_a_widget_visitor(redis, redis_url):
    vendor = FakeVendor()
    server = TestServer(vendor.app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        async with echo_gateway(redis_url, str(server.make_url("")).rstrip("/")) as gw:
            ben, ben_in = await gw.agent("ben")  # tech 4: the echo channel's topic is tech
            ben_in.events.clear()
            async with aiohttp.ClientSession() as http:
                assert (await post(http, gw.url, [text("u1", "my router is broken", user="42")])).status == 200
                offer = await ben_in.next("offer")
                assert (offer["channel"], offer["channel_type"]) == ("messaging", "echo")
                accepted = await ben.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent")
                cid = accepted["conversation"]["conversation_id"]
                assert accepted["conversation"]["contact"]["identities"] == ["echo:42"]

                # the same delivery again, then a second message of the same chat: one conversation
                await post(http, gw.url, [text("u1", "my router is broken", user="42")])
                await post(http, gw.url, [text("u2", "it blinks red", user="42")])
                second = await ben_in.next("message", lambda m: m["text"] == "it blinks red")
                assert second["conversation_id"] == cid and second["seq"] == 2

            ack = await ben.call("message", {"conversation_id": cid, "text": "Please restart it.", "client_id": "r1"},
                                 namespace="/agent")
            assert ack["seq"] == 3
            await eventually(lambda: vendor.accepted() == ["Please restart it."])
            assert vendor.sent[0]["chat"] == "c42"
            status = await ben_in.next("message_status")
            assert (status["conversation_id"], status["status"], status["seq"]) == (cid, "sent", 3)
    finally:
        await server.close()
