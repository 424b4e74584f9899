"""Every line the gateway itself writes into a conversation (escalations, callbacks, a supervisor
joining, the transcript request, queue notices to messenger customers, linked email conversations)
is in the conversation's language: a German conversation reads German, an English one English."""

from __future__ import annotations

import sys
from pathlib import Path

import aiohttp
import aiosmtplib
import pytest
from conftest import eventually

from gateway.appkeys import SERVICES
from gateway.conversations.queue_notices import send_queue_notices
from gateway.keys import TenantKeys
from gateway.store.messages import read_messages

sys.path.insert(0, str(Path(__file__).parent / "bridges"))

pytestmark = pytest.mark.timeout(60)
KEYS = TenantKeys("demo")
SUP = "/supervisor"


async def _german_visitor(gateway, name: str = "Max"):
    visitor, inbox = await gateway.visitor(name=name, language="de")
    ack = await visitor.call("message", {"text": "Meine Rechnung stimmt nicht", "client_id": "m1"}, namespace="/visitor")
    return visitor, inbox, ack["conversation_id"]


def _system(inbox) -> list[str]:
    return [m["text"] for m in inbox.all("message") if m["author"]["kind"] == "system"]


async def test_escalation_by_email_is_written_in_german_and_in_english(gateway):
    visitor, inbox, _ = await _german_visitor(gateway)
    ack = await visitor.call("escalate", {"to": "email", "email": "max@kunde.example"}, namespace="/visitor", timeout=5)
    assert ack["ok"] is True, ack
    line = await inbox.next("message", lambda m: m["author"]["kind"] == "system")
    assert line["text"] == "Weiter per E-Mail: max@kunde.example"

    english, en_inbox = await gateway.visitor(name="Vera", language="en")
    await english.call("message", {"text": "My invoice is wrong", "client_id": "m1"}, namespace="/visitor")
    assert (await english.call("escalate", {"to": "email", "email": "vera@example.com"}, namespace="/visitor", timeout=5))["ok"]
    line = await en_inbox.next("message", lambda m: m["author"]["kind"] == "system")
    assert line["text"] == "Continue by email: vera@example.com"


async def test_a_callback_is_announced_cancelled_and_managed_in_german(gateway):
    visitor, inbox, _ = await _german_visitor(gateway)
    ack = await visitor.call("escalate", {"to": "callback", "phone": "+49 30 1234567"}, namespace="/visitor", timeout=5)
    assert ack["ok"] is True, ack
    line = await inbox.next("message", lambda m: m["author"]["kind"] == "system")
    assert line["text"] == "Wir rufen Sie so bald wie möglich unter +49301234567 an."
    url = line["callback"]["manage_url"]
    async with aiohttp.ClientSession() as http:
        async with http.get(gateway.url + url[url.index("/callbacks/"):]) as r:
            page = await r.text()
            assert r.status == 200 and "Ihr Rückruf" in page and "Anruf stornieren" in page and "Cancel" not in page
        query = dict(p.split("=", 1) for p in url.split("?", 1)[1].split("&"))
        async with http.post(f"{gateway.url}/callbacks/{line['callback']['id']}",
                             data={"tenant": "demo", "sig": query["sig"], "action": "cancel"}) as r:
            assert r.status == 200 and "Ihr Rückruf ist storniert" in await r.text()
    cancelled = await inbox.next("message", lambda m: m["author"]["kind"] == "system" and m["seq"] != line["seq"])
    assert cancelled["text"] == "Ihr Rückruf an +49301234567 ist storniert."


async def test_a_supervisor_joining_is_announced_in_the_conversations_language(gateway):
    anna, anna_in = await gateway.agent("anna")
    login = await gateway.login("sam")
    sam, _ = await gateway.socket(SUP, {"token": login["token"]}, ["snapshot"])
    visitor, inbox, cid = await _german_visitor(gateway)
    offer = await anna_in.next("offer", lambda o: o["conversation_id"] == cid)
    assert (await anna.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent"))["ok"]

    assert (await sam.call("barge", {"conversation_id": cid}, namespace=SUP))["ok"]
    joined = await inbox.next("message", lambda m: m["author"]["kind"] == "system")
    assert joined["text"] == "Sam ist dem Gespräch beigetreten."
    assert "joined" not in joined["text"]


async def test_the_transcript_request_line_is_german(gateway):
    anna, anna_in = await gateway.agent("anna")
    visitor, inbox, cid = await _german_visitor(gateway)
    offer = await anna_in.next("offer", lambda o: o["conversation_id"] == cid)
    assert (await anna.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent"))["ok"]
    assert (await visitor.call("end_chat", {}, namespace="/visitor", timeout=5))["ok"]
    ack = await visitor.call("transcript", {"email": "max@kunde.example"}, namespace="/visitor", timeout=5)
    assert ack.get("ok") is True, ack
    stored = await eventually(lambda: _lines(gateway, cid))
    assert "Der Kunde hat den Verlauf per E-Mail angefordert." in stored
    assert not any("transcript" in s.lower() for s in stored)


async def _lines(gateway, cid: str) -> list[str]:
    messages = await read_messages(gateway.app[SERVICES].redis, KEYS, cid)
    return [m.text for m in messages if m.author_kind == "system"]


async def test_a_waiting_german_messenger_customer_hears_their_place_in_german(monkeypatch, redis, redis_url):
    import dataclasses

    from echo import SPEC, echo_gateway, running_vendor
    from test_webhooks_inbound import post, text

    from bridges.registry import BRIDGES

    monkeypatch.setitem(BRIDGES, "echo", dataclasses.replace(SPEC))

    def german(config):
        config.tenants["demo"].channels["echo"].queue_notice_after_s = 0.0
        config.tenants["demo"].channels["echo"].language = "de"

    async with running_vendor() as vendor, echo_gateway(redis_url, vendor.url, configure=german) as gw, \
            aiohttp.ClientSession() as http:
        assert (await post(http, gw.url, [text("u1", "Hallo, ist jemand da?")])).status == 200  # nobody is online
        svc = gw.app[SERVICES]
        await eventually(lambda: svc.redis.hget(KEYS.platform_chat("echo", "c42"), "conversation_id"))
        await send_queue_notices(svc)
        await eventually(lambda: vendor.accepted() == ["Sie sind an Position 1 der Warteschlange."])


async def test_a_mail_from_another_address_is_linked_with_german_lines(redis, redis_url):
    from email_helpers import CustomerServer, email_gateway, free_port
    from test_email_threads import EVE, KIM, TOKENS, conversation_of, mail, texts

    def german(config):
        for channel in config.tenants["demo"].channels.values():
            if channel.type == "email":
                channel.language = "de"

    port = free_port()
    async with CustomerServer() as kunde, email_gateway(redis_url, kunde.port, listen_port=port, configure=german):
        await aiosmtplib.send(mail(KIM, "Meine Rechnung ist falsch", "<first@kunde.example>"), hostname="127.0.0.1", port=port)
        conv = await conversation_of(redis, KIM)
        assert conv.language == "de"
        await aiosmtplib.send(mail(EVE, "Weitergeleitet bekommen", "<eve1@elsewhere.example>",
                                   to=TOKENS.reply_address("support@demo.example", conv.id)), hostname="127.0.0.1", port=port)
        eve = await conversation_of(redis, EVE)
        here = await eventually(lambda: texts(redis, eve.id, "system"))
        there = await eventually(lambda: texts(redis, conv.id, "system"))
        assert here == [f"{EVE} hat auf das Gespräch {conv.id} geantwortet, das zu einer anderen Adresse gehört: "
                        "als neues Gespräch geöffnet."]
        assert there == [f"Eine E-Mail von einer anderen Adresse ({EVE}) hat auf dieses Gespräch geantwortet: "
                         f"sie steht im Gespräch {eve.id}."]
