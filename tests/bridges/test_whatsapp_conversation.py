"""A WhatsApp customer through the real gateway: Meta's handshake, a signed recorded webhook → the
offer on the ``messaging`` channel → the agent's reply reaches the stand-in Cloud API."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from conftest import DEMO_CONFIG, running_gateway
from echo import eventually
from wa_fixtures import APP_SECRET, BSUID, PHONE_NUMBER_ID, TOKEN, VERIFY_TOKEN, body_of, recorded, sign
from wa_standin import FakeGraph

from gateway.config import load_config

pytestmark = pytest.mark.timeout(60)

URL = "/webhooks/whatsapp/whatsapp"  # the demo config's WhatsApp channel


@pytest.fixture
async def graph():
    fake = FakeGraph()
    server = TestServer(fake.app, host="127.0.0.1", port=0)
    await server.start_server()
    fake.url = str(server.make_url("")).rstrip("/")
    yield fake
    await server.close()


def whatsapp_config(api_base: str):
    config = load_config(DEMO_CONFIG, env={})
    channel = config.tenants["demo"].channels["whatsapp"]
    channel.api_base, channel.phone_number_id = api_base, PHONE_NUMBER_ID
    channel.app_secret, channel.verify_token, channel.token = APP_SECRET, VERIFY_TOKEN, TOKEN
    return config


async def test_a_whatsapp_customer_reaches_an_agent_and_the_reply_reaches_whatsapp(redis, redis_url, graph):
    async with running_gateway(whatsapp_config(graph.url), redis_url) as gw, aiohttp.ClientSession() as http:
        hub = {"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": VERIFY_TOKEN}
        async with http.get(gw.url + URL, params=hub) as r:
            assert r.status == 200 and await r.text() == "1158201444"
        async with http.get(gw.url + URL, params={**hub, "hub.verify_token": "guess"}) as r:
            assert r.status == 403

        anna, anna_in = await gw.agent("anna")  # billing 5, German: the channel's topic and language
        body = body_of(recorded("whatsapp_text_pywa"))
        async with http.post(gw.url + URL, data=body, headers={"X-Hub-Signature-256": sign(body, "forged")}) as r:
            assert r.status == 401
        async with http.post(gw.url + URL, data=body, headers={"X-Hub-Signature-256": sign(body)}) as r:
            assert r.status == 200

        offer = await anna_in.next("offer", timeout=10)
        assert (offer["channel"], offer["channel_type"]) == ("messaging", "whatsapp")
        accepted = await anna.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent")
        conversation = accepted["conversation"]
        assert f"whatsapp:{BSUID}" in conversation["contact"]["identities"]
        assert (conversation["contact"]["name"], conversation["contact"]["phone"]) == ("Test Name", "972987654321")
        assert conversation["window_kind"] == "whatsapp_24h"  # SPEC.window_s: the console shows the time left

        ack = await anna.call("message", {"conversation_id": conversation["conversation_id"],
                                          "text": "Guten Tag, wie kann ich helfen?", "client_id": "r1"},
                              namespace="/agent")
        assert "error" not in ack, ack
        await eventually(lambda: graph.sent(), timeout=10)
        [sent] = graph.sent()
        # Meta gave the phone number too: it is the address Meta recommends while it is known
        assert sent["to"] == "972987654321" and sent["text"]["body"] == "Guten Tag, wie kann ich helfen?"
        assert [r["auth"] for r in graph.requests] == [f"Bearer {TOKEN}"]
        status = await anna_in.next("message_status", timeout=10)
        assert (status["conversation_id"], status["status"]) == (conversation["conversation_id"], "sent")

        # Meta tells what became of it: the recorded status, for the wamid the stand-in gave
        delivered = recorded("whatsapp_status_delivered")
        delivered["entry"][0]["changes"][0]["value"]["statuses"][0]["id"] = "wamid.out1"
        body = body_of(delivered)
        async with http.post(gw.url + URL, data=body, headers={"X-Hub-Signature-256": sign(body)}) as r:
            assert r.status == 200
        shown = await anna_in.next("message_status", lambda s: s["status"] == "delivered", timeout=10)
        assert shown["message_id"] == status["message_id"]
