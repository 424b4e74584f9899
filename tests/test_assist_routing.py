"""Assist routing on channels without a pre-chat form: a Telegram update and a mail on ``topic: auto``
channels go to the queue the topic classifier chose (the conversation and the ACD's task agree), an
unsure message goes to the channel's default topic, the language comes from the text with the platform's
hint as a prior (a German message from an English-set Telegram user is German; "Hallo" does not flip an
English conversation, a long German message does and the agent holding it hears so), and
``POST /api/v1/assist/classify`` answers the same, for the token's tenant only."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import AsyncIterator
from email.message import EmailMessage
from pathlib import Path

import aiohttp
import aiosmtplib
import pytest
from conftest import DEMO_CONFIG, FIXTURES, Gateway, eventually, running_gateway, two_tenants_config
from email_helpers import CustomerServer, email_gateway, free_port

from bridges.telegram.inbound import SECRET_HEADER
from gateway import appkeys as K
from gateway.config import load_config
from gateway.keys import TenantKeys
from gateway.store.conversations import Conversation, get_conversation
from gateway.store.messages import read_messages

sys.path.insert(0, str(Path(__file__).parent / "bridges"))  # the Telegram stand-in of the bridge tests
from telegram_standin import TOKEN, StandIn, running  # noqa: E402

pytestmark = pytest.mark.timeout(90)
KEYS = TenantKeys("demo")
TG_SECRET = "assist-telegram-secret"
AGENT_EVENTS = ["offer", "message", "conversation_assist", "assigned", "unassigned", "offer_revoked"]


def tg_update(update_id: int, user: int, text: str, language_code: str = "en") -> bytes:
    """The recorded Telegram text update, from user ``user`` (their private chat) saying ``text``."""
    body = json.loads((FIXTURES / "telegram_text.json").read_text())["payload"]
    body["update_id"] = update_id
    message = body["message"]
    message.update(message_id=update_id, text=text)
    message["from"] = {**message["from"], "id": user, "language_code": language_code}
    message["chat"] = {**message["chat"], "id": user}
    return json.dumps(body).encode()


@contextlib.asynccontextmanager
async def auto_telegram(redis_url: str) -> AsyncIterator[tuple[Gateway, aiohttp.ClientSession]]:
    """The demo gateway whose Telegram channel says ``topic: auto`` (unsure: tech)."""
    async with running(StandIn()) as api:
        env = {"TELEGRAM_API_BASE": api.url, "TELEGRAM_SECRET": TG_SECRET, "TELEGRAM_TOKEN": TOKEN}
        config = load_config(DEMO_CONFIG, env=env)
        channel = config.tenants["demo"].channels["telegram"]
        channel.topic, channel.default_topic = "auto", "tech"
        async with running_gateway(config, redis_url) as gw, aiohttp.ClientSession() as http:
            yield gw, http


async def send(http: aiohttp.ClientSession, gw: Gateway, body: bytes) -> None:
    async with http.post(f"{gw.url}/webhooks/telegram/telegram", data=body, headers={SECRET_HEADER: TG_SECRET}) as r:
        assert r.status == 200, await r.text()


async def chat_conversation(redis, channel: str, thread: str, messages: int = 1) -> Conversation:
    """The open conversation of a platform chat, once it holds ``messages`` customer messages."""
    async def found() -> Conversation | None:
        cid = await redis.hget(KEYS.platform_chat(channel, thread), "conversation_id")
        conv = await get_conversation(redis, KEYS, cid) if cid else None
        if conv is None:
            return None
        said = [m for m in await read_messages(redis, KEYS, conv.id) if m.author_kind == "visitor"]
        return conv if len(said) >= messages else None

    conv = await eventually(found, timeout=10)
    assert isinstance(conv, Conversation)
    return conv


async def task_of(gw: Gateway, cid: str) -> dict:
    """The ACD's task of a conversation, once it is queued."""
    return await eventually(lambda: gw.app[K.ROUTER].engine("demo").task(cid), timeout=10)


async def agent(gw: Gateway, name: str):
    login = await gw.login(name)
    client, inbox = await gw.socket("/agent", {"token": login["token"]}, AGENT_EVENTS)
    assert (await client.call("state", {"state": "available"}, namespace="/agent", timeout=5))["state"] == "available"
    return client, inbox


async def test_a_telegram_update_goes_to_the_queue_the_classifier_chose(redis, redis_url):
    async with auto_telegram(redis_url) as (gw, http):
        anna, anna_in = await agent(gw, "anna")  # billing 5, English and German
        await send(http, gw, tg_update(1, 5001, "I want to cancel my contract, please confirm the cancellation in writing"))
        conv = await chat_conversation(redis, "telegram", "5001")
        assert (conv.topic, conv.queue, conv.language) == ("cancellation", "billing", "en")
        assert (await task_of(gw, conv.id))["queue"] == "billing"  # the ACD routes it there, not to tech
        offer = await anna_in.next("offer", lambda o: o["conversation_id"] == conv.id, timeout=10)
        assert (offer["topic"], offer["queue"]) == ("cancellation", "billing")
        accepted = await anna.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent")
        shown = accepted["conversation"]["assist"]
        assert shown["topic"] == "cancellation" and shown["language"] == "en" and not shown["abstained"]
        assert shown["topic_confidence"] >= 0.5 and shown["language_confidence"] > 0.5 and not shown["auto_answered"]

        # nothing to go by: the classifier abstains and the channel's default topic applies
        await send(http, gw, tg_update(2, 5002, "Hello"))
        unsure = await chat_conversation(redis, "telegram", "5002")
        assert (unsure.topic, unsure.queue) == ("tech", "tech")
        assert (await task_of(gw, unsure.id))["queue"] == "tech"
        assert await redis.hget(KEYS.conv(unsure.id), "assist_abstained") == "1"


async def test_the_language_comes_from_the_text_and_is_sticky(redis, redis_url):
    async with auto_telegram(redis_url) as (gw, http):
        # the user's Telegram is set to English, the message is clearly German
        await send(http, gw, tg_update(10, 5010, "Meine Lieferung ist seit zwei Wochen überfällig, wo bleibt mein Paket?"))
        german = await chat_conversation(redis, "telegram", "5010")
        assert (german.language, german.topic, german.queue) == ("de", "delivery", "sales")
        assert (await task_of(gw, german.id))["language"] == "de"  # offered to German-speaking agents

        ben, ben_in = await agent(gw, "ben")  # sales, English only
        await send(http, gw, tg_update(11, 5011, "My parcel has not arrived yet, can you check the delivery status?"))
        english = await chat_conversation(redis, "telegram", "5011")
        assert (english.language, english.queue) == ("en", "sales")
        offer = await ben_in.next("offer", lambda o: o["conversation_id"] == english.id, timeout=10)
        await ben.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent")

        await send(http, gw, tg_update(12, 5011, "Hallo"))  # a greeting never flips it
        conv = await chat_conversation(redis, "telegram", "5011", messages=2)
        assert conv.language == "en"
        assert not ben_in.all("conversation_assist")

        await send(http, gw, tg_update(13, 5011, "Entschuldigung, ich schreibe lieber auf Deutsch: das Paket ist immer noch nicht da"))
        told = await ben_in.next("conversation_assist", lambda e: e["conversation_id"] == english.id, timeout=10)
        assert told["assist"]["language"] == "de" and told["assist"]["language_confidence"] >= 0.9
        assert (await get_conversation(redis, KEYS, english.id)).language == "de"


def customer_mail(sender: str, subject: str, text: str, message_id: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"], msg["Message-ID"] = sender, "support@demo.example", subject, message_id
    msg.set_content(text)
    return msg


async def test_a_mail_without_a_topic_goes_to_the_queue_the_classifier_chose(redis, redis_url):
    port = free_port()
    async with CustomerServer() as kunde, email_gateway(redis_url, kunde.port, listen_port=port) as gw:
        assert gw.app[K.CONFIG].tenants["demo"].channels["email"].topic == "auto"  # the demo's email channel
        await aiosmtplib.send(customer_mail(
            "kim@kunde.example", "Kündigung", "Hiermit kündige ich meinen Vertrag zum nächstmöglichen Termin. "
            "Bitte bestätigen Sie mir die Kündigung.", "<k1@kunde.example>"), hostname="127.0.0.1", port=port)
        cancel = await chat_conversation(redis, "email", "kim@kunde.example")
        assert (cancel.topic, cancel.queue, cancel.language) == ("cancellation", "billing", "de")
        assert (await task_of(gw, cancel.id))["queue"] == "billing"

        await aiosmtplib.send(customer_mail(
            "pat@customer.example", "Where is my order?", "I ordered a week ago and the parcel still has not been "
            "delivered. Could you tell me when it will arrive?", "<p1@customer.example>"), hostname="127.0.0.1", port=port)
        parcel = await chat_conversation(redis, "email", "pat@customer.example")
        assert (parcel.topic, parcel.queue, parcel.language) == ("delivery", "sales", "en")  # English despite the channel's de
        assert (await task_of(gw, parcel.id))["queue"] == "sales"


async def classify(gw: Gateway, token: str | None, body: object) -> tuple[int, dict]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{gw.url}/api/v1/assist/classify", json=body, headers=headers) as r:
            return r.status, await r.json()


async def test_classify_answers_for_the_tokens_tenant_and_refuses_bad_requests(redis, redis_url):
    async with running_gateway(two_tenants_config(), redis_url) as gw:
        anna, sam, sue = (await gw.login("anna"))["token"], (await gw.login("sam"))["token"], \
            (await gw.login("sue", "anna-demo"))["token"]
        status, found = await classify(gw, anna, {"text": "Ich möchte meinen Vertrag kündigen", "language_hint": "en"})
        assert status == 200, found
        assert (found["language"], found["topic"], found["queue"], found["abstained"]) == ("de", "cancellation", "billing", False)
        assert found["topic_confidence"] >= 0.5 and found["language_confidence"] > 0.5 and found["model_version"]

        status, unsure = await classify(gw, sam, {"text": "Hello", "channel": "email"})
        assert status == 200 and unsure["abstained"] is True and unsure["topic"] is None
        assert unsure["queue"] == "billing"  # the email channel's default topic

        # acme has no examples: no model, its own topic and queue; never the demo tenant's
        status, other = await classify(gw, sue, {"text": "Ich möchte meinen Vertrag kündigen"})
        assert status == 200 and other["topic"] is None and other["queue"] == "help" and other["language"] == "en"

        assert (await classify(gw, None, {"text": "hi"}))[0] == 401
        assert (await classify(gw, "forged.token", {"text": "hi"}))[0] == 401
        for body, code in (({"text": ""}, "bad_request"), ({"text": 5}, "bad_request"), ({}, "bad_request"),
                           ({"text": "x" * 4097}, "too_long"), ({"text": "hi", "channel": "nope"}, "unknown_channel"),
                           ({"text": "hi", "language_hint": ["de"]}, "bad_request"),
                           ({"text": "hi", "tenant": "acme"}, "bad_request"), (["hi"], "bad_request")):
            status, error = await classify(gw, anna, body)
            assert (status, error["error"]["code"]) == (400, code), body
