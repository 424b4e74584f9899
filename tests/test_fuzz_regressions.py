"""What the fuzzers found (tests/test_fuzz_*.py), each kept as a plain test: the bug's input, and what a
user notices now instead."""

from __future__ import annotations

import aiohttp
import pytest
from conftest import DEMO_CONFIG, eventually
from history_helpers import history_gateway

from gateway.config import load_config

pytestmark = pytest.mark.timeout(90)


def _config():
    config = load_config(DEMO_CONFIG, env={})
    for channel in config.tenants["demo"].channels.values():
        channel.listen_host = ""
    return config


async def test_a_nul_character_in_a_query_is_a_400_not_a_500(redis, redis_url, history_db, database_url):
    """schemathesis: GET /api/v1/audit?actor=%00 reached PostgreSQL (which takes no NUL in text) and answered 500."""
    async with history_gateway(_config(), redis_url, database_url) as gw:
        token = (await gw.login("sam"))["token"]
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as http:
            for path in ("/api/v1/audit?actor=a%00b", "/api/v1/audit?action=%00", "/api/v1/search?q=%00",
                         "/api/v1/contacts?user_id=x%00"):
                async with http.get(gw.url + path) as r:
                    body = await r.json()
                    assert r.status == 400, (path, r.status, body)
                    assert body["error"]["code"] == "bad_request" and "NUL" in body["error"]["message"], body


async def test_a_nul_character_typed_by_a_visitor_is_archived(redis, redis_url, history_db, database_url):
    """A message's text with NUL is stored and archived (PostgreSQL refuses NUL in text: the archive kept
    failing on that conversation); the agent and the archive see the text without it."""
    async with history_gateway(_config(), redis_url, database_url) as gw:
        visitor, _ = await gw.visitor(name="Nul\x00l")
        agent, inbox = await gw.agent("anna")
        ack = await visitor.call("message", {"text": "a\x00b", "client_id": "n1"}, namespace="/visitor", timeout=5)
        cid = ack["conversation_id"]
        offer = await inbox.next("offer")
        assert (await agent.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent", timeout=5))["ok"]
        assert (await agent.call("close", {"conversation_id": cid}, namespace="/agent", timeout=5))["ok"]

        async def archived():
            return await history_db.fetchval(
                "SELECT text FROM messages WHERE tenant = 'demo' AND conversation_id = $1 AND seq = 1", cid)

        assert await eventually(archived, timeout=15) == "ab"


def test_whatsapp_contacts_and_errors_of_another_shape_do_not_break_the_parse():
    """hypothesis: a batch whose ``contacts`` held a null (or a profile, a status's errors, that were no
    objects) raised AttributeError in parse: the ingest worker retried it 20 times and dropped the message."""
    import json

    from fuzz_helpers import recorded
    from test_fuzz_parsers import bridge

    from bridges.events import DeliveryStatus, Message

    b = bridge("whatsapp")
    text = next(p for p in recorded("whatsapp") if p["entry"][0]["changes"][0]["value"].get("messages", [{}])[0].get("type") == "text")
    value = text["entry"][0]["changes"][0]["value"]
    value["contacts"] = [None, "x", {**value["contacts"][0], "profile": "Kim"}]
    value["statuses"] = [{"id": "wamid.s1", "status": "failed", "recipient_id": "1", "errors": "oops"},
                         {"id": "wamid.s2", "status": "failed", "recipient_id": "1", "errors": [None, {"code": 131047}]}]
    events = [e for _, unit in b.deliveries(json.dumps(text).encode()) for e in b.parse(unit)]
    assert [type(e) for e in events] == [Message, DeliveryStatus, DeliveryStatus]
    assert events[0].customer.id and events[0].text
    assert events[1].reason == "failed" and "131047" in events[2].reason
