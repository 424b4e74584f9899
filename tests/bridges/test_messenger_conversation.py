"""A Messenger customer through the real gateway: the recorded webhook, signed by the test, reaches an
agent as an offer on the messaging channel; the agent's reply reaches the Send API stand-in."""

from __future__ import annotations

import json

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from conftest import DEMO_CONFIG, FIXTURES, Gateway
from echo import eventually
from test_messenger_client import FakeGraph

from bridges.messenger.inbound import SIGNATURE_HEADER, signature
from gateway.app import create_app
from gateway.config import load_config

pytestmark = pytest.mark.timeout(30)

SECRET = "demo-messenger-secret"  # the demo config's defaults
PSID = "1134343043305865"
WEBHOOK = "/webhooks/messenger/messenger"


def recorded_body(name: str) -> bytes:
    return json.dumps(json.loads((FIXTURES / f"messenger_{name}.json").read_text())["payload"]).encode()


async def post(http: aiohttp.ClientSession, url: str, body: bytes, secret: str = SECRET) -> int:
    async with http.post(url + WEBHOOK, data=body, headers={SIGNATURE_HEADER: signature(secret, body)}) as r:
        return r.status


async def test_a_messenger_customer_reaches_an_agent_and_the_reply_reaches_messenger(redis, redis_url):
    graph = FakeGraph()
    stand_in = TestServer(graph.app, host="127.0.0.1", port=0)
    await stand_in.start_server()
    config = load_config(DEMO_CONFIG, env={"MESSENGER_API_BASE": str(stand_in.make_url("")).rstrip("/")})
    server = TestServer(create_app(config, redis_url=redis_url), host="127.0.0.1", port=0)
    await server.start_server()
    gw = Gateway(server)
    try:
        ben, ben_in = await gw.agent("ben")  # English and sales: the demo's Messenger channel
        async with aiohttp.ClientSession() as http:
            async with http.get(gw.url + WEBHOOK, params={"hub.mode": "subscribe", "hub.challenge": "1158201444",
                                                          "hub.verify_token": "demo-messenger-verify"}) as r:
                assert r.status == 200 and await r.text() == "1158201444"
            assert await post(http, gw.url, recorded_body("text"), secret="guess") == 401

            assert await post(http, gw.url, recorded_body("text")) == 200
            offer = await ben_in.next("offer")
            assert (offer["channel"], offer["channel_type"]) == ("messaging", "messenger")
            accepted = await ben.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent")
            conversation = accepted["conversation"]
            cid = conversation["conversation_id"]
            assert conversation["contact"]["identities"] == [f"messenger:{PSID}"]

            # Meta's retry, our own echo and a quick reply: one conversation, one new message
            for name in ("text", "echo", "quick_reply"):
                assert await post(http, gw.url, recorded_body(name)) == 200
            choice = await ben_in.next("message", lambda m: m["text"] == "Action")
            assert choice["conversation_id"] == cid and choice["seq"] == 2  # the retry stored nothing

        ack = await ben.call("message", {"conversation_id": cid, "text": "Happy to help!", "client_id": "r1"},
                             namespace="/agent")
        assert ack["seq"] == 3
        await eventually(lambda: graph.sent_texts() == ["Happy to help!"])
        [request] = graph.requests
        assert request["json"]["recipient"] == {"id": PSID} and request["json"]["messaging_type"] == "RESPONSE"
        assert request["auth"] == "Bearer demo-messenger-token" and request["query"] == {}
        status = await ben_in.next("message_status")
        assert (status["conversation_id"], status["status"], status["seq"]) == (cid, "sent", ack["seq"])
    finally:
        await gw.close()
        await server.close()
        await stand_in.close()
