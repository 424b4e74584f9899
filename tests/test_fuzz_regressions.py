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


def test_messenger_attachments_that_are_no_list_do_not_break_the_parse():
    """hypothesis (long campaign): ``"attachments": true`` raised TypeError in parse (retried, then dropped)."""
    import json

    from test_fuzz_parsers import bridge

    from bridges.events import Message, Unsupported

    b = bridge("messenger")
    for attachments, expected in ((True, Unsupported), (7, Unsupported), ("x", Unsupported), ({"a": 1}, Unsupported)):
        item = {"sender": {"id": "U1"}, "recipient": {"id": "P1"}, "timestamp": 1472672934259,
                "message": {"mid": "mid.1", "attachments": attachments}}
        body = json.dumps({"object": "page", "entry": [{"id": "P1", "time": 1, "messaging": [item]}]}).encode()
        events = [e for _, unit in b.deliveries(body) for e in b.parse(unit)]
        assert [type(e) for e in events] == [expected], (attachments, events)
    item["message"] = {"mid": "mid.2", "text": "hi", "attachments": None}
    body = json.dumps({"object": "page", "entry": [{"id": "P1", "time": 1, "messaging": [item]}]}).encode()
    assert [type(e) for _, u in b.deliveries(body) for e in b.parse(u)] == [Message]


def test_a_mail_whose_charset_holds_a_nul_is_read():
    """hypothesis (long campaign): a charset parameter with a NUL made ``bytes.decode`` raise ValueError
    ("embedded null character"), not LookupError: the mail was never read."""
    from bridges.email import inbound

    raw = (b"From: Kim <kim@kunde.example>\r\nTo: support@demo.example\r\nSubject: x\r\n"
           b"Content-Type: text/plain; charset=\"utf\x00-8\"\r\n\r\nMeine Rechnung fehlt.\r\n")
    [message] = inbound.parse(raw)
    assert message.text.strip() == "Meine Rechnung fehlt." and message.customer.id == "kim@kunde.example"


def test_a_mail_with_a_broken_address_header_is_read():
    """hypothesis (long campaign): ``To: <x@`` (and ``a.:) @@,``) made the standard library's header parser
    raise IndexError (AttributeError) while reading the recipients, and the customer's mail was never read; a broken From is a mail
    without a sender (acknowledged), not a crash."""
    from bridges.email import inbound
    from bridges.events import Unsupported

    for broken in (b"<x@", b"a.:) @@,"):  # IndexError, AttributeError in the standard library's parser
        raw = (b"From: Kim <kim@kunde.example>\r\nTo: " + broken + b"\r\nCc: <\r\nSubject: Hallo\r\n\r\n"
               b"Meine Rechnung fehlt.\r\n")
        [message] = inbound.parse(raw)
        assert message.customer.id == "kim@kunde.example" and message.text.strip() == "Meine Rechnung fehlt."
    assert [type(e) for e in inbound.parse(b"From: <kim@\r\n\r\nhi\r\n")] == [Unsupported]


async def test_a_rating_link_with_a_non_ascii_signature_is_a_404_page(gateway):
    """schemathesis: a signature with a non-ASCII character reached hmac.compare_digest as str (TypeError,
    a 500), and the refusals were plain text where the document promises an HTML page."""
    async with aiohttp.ClientSession() as http:
        for sig in ("%C3%A9t%C3%A9", "x"):
            async with http.get(f"{gateway.url}/rate/demo/c_00000000000000ff/{sig}") as r:
                assert r.status == 404 and r.headers["Content-Type"].startswith("text/html")
                assert "not valid" in await r.text()
                assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
