"""A conversation's language from what is known besides its text: the contact's earlier conversations
outrank the channel's default (a mail that says only "Hallo" from a customer who wrote English before is
English); and a conversation still waiting whose language changes is routed by the new one (the ACD moves
its task, keeping its place in line), so an agent who speaks it is offered it."""

from __future__ import annotations

from email.message import EmailMessage

import aiohttp
import aiosmtplib
import pytest
from conftest import DEMO_CONFIG, eventually, running_gateway
from email_helpers import CustomerServer, email_gateway, free_port
from test_assist_routing import (
    AGENT_EVENTS,
    TG_SECRET,
    TOKEN,
    StandIn,
    chat_conversation,
    running,
    send,
    task_of,
    tg_update,
)

from acd import replies
from gateway import appkeys as K
from gateway.config import load_config
from gateway.conversations.closing import end_conversation
from gateway.keys import TenantKeys
from gateway.store.conversations import get_conversation

pytestmark = pytest.mark.timeout(90)
KEYS = TenantKeys("demo")


def mail(sender: str, subject: str, text: str, message_id: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"], msg["Message-ID"] = sender, "support@demo.example", subject, message_id
    msg.set_content(text)
    return msg


async def later_conversation(redis, channel: str, thread: str, earlier: str):
    """The chat's conversation once it is another than ``earlier``."""
    async def found():
        cid = replies.maybe_text(await redis.hget(KEYS.platform_chat(channel, thread), "conversation_id"))
        return await get_conversation(redis, KEYS, cid) if cid and cid != earlier else None

    return await eventually(found, timeout=10)


async def test_the_contacts_earlier_language_is_the_prior_of_a_new_conversation(redis, redis_url):
    port = free_port()
    async with CustomerServer() as kunde, email_gateway(redis_url, kunde.port, listen_port=port) as gw:
        svc = gw.app[K.SERVICES]
        await aiosmtplib.send(mail("kim@kunde.example", "Where is my order?", "I ordered a week ago and the parcel "
                                   "still has not been delivered. Could you tell me when it will arrive?",
                                   "<k1@kunde.example>"), hostname="127.0.0.1", port=port)
        first = await chat_conversation(redis, "email", "kim@kunde.example")
        assert first.language == "en"  # clearly English, although the channel's default is German
        await end_conversation(svc, "demo", first, reason="agent")

        # a mail saying only "Hallo": German by the channel's default, English for someone who wrote English
        for sender, mid in (("kim@kunde.example", "<k2@kunde.example>"), ("new@kunde.example", "<n1@kunde.example>")):
            await aiosmtplib.send(mail(sender, "Hallo", "Hallo", mid), hostname="127.0.0.1", port=port)
        again = await later_conversation(redis, "email", "kim@kunde.example", first.id)
        stranger = await chat_conversation(redis, "email", "new@kunde.example")
        assert stranger.language == "de"
        assert again.contact_id == first.contact_id and again.language == "en"
        assert (await task_of(gw, again.id))["language"] == "en"  # routed to English-speaking agents


async def test_a_waiting_conversation_whose_language_changes_goes_to_an_agent_who_speaks_it(redis, redis_url):
    async with running(StandIn()) as api:
        env = {"TELEGRAM_API_BASE": api.url, "TELEGRAM_SECRET": TG_SECRET, "TELEGRAM_TOKEN": TOKEN}
        config = load_config(DEMO_CONFIG, env=env)
        config.tenants["demo"].channels["telegram"].topic = "sales"
        async with running_gateway(config, redis_url) as gw, aiohttp.ClientSession() as http:
            login = await gw.login("clara")  # sales, German only
            clara, clara_in = await gw.socket("/agent", {"token": login["token"]}, AGENT_EVENTS)
            await clara.call("state", {"state": "available"}, namespace="/agent", timeout=5)
            await send(http, gw, tg_update(1, 8001, "Hello, I would like to know more about your camera offers please"))
            conv = await chat_conversation(redis, "telegram", "8001")
            assert (conv.language, conv.queue) == ("en", "sales")
            task = await task_of(gw, conv.id)
            assert (task["state"], task["language"]) == ("queued", "en")  # nobody free speaks English
            assert not clara_in.all("offer")

            await send(http, gw, tg_update(2, 8001, "Entschuldigung, ich schreibe lieber auf Deutsch: was kostet "
                                                    "das Kamera-Paket für drei Räume?"))
            offer = await clara_in.next("offer", lambda o: o["conversation_id"] == conv.id, timeout=10)
            assert offer["queue"] == "sales"
            task = await gw.app[K.ROUTER].engine("demo").task(conv.id)
            assert task is not None and task["language"] == "de" and task["enqueued_at"] == conv.created_at
            assert (await get_conversation(redis, KEYS, conv.id)).language == "de"


async def test_a_messenger_contact_is_greeted_in_the_language_they_wrote_before(redis, redis_url):
    """The Telegram channel's default is English and the customer's app says no language: a bare "Hello" from
    someone who wrote German before opens a German conversation — born German, not corrected afterwards."""
    async with running(StandIn()) as api:
        env = {"TELEGRAM_API_BASE": api.url, "TELEGRAM_SECRET": TG_SECRET, "TELEGRAM_TOKEN": TOKEN}
        async with running_gateway(load_config(DEMO_CONFIG, env=env), redis_url) as gw, aiohttp.ClientSession() as http:
            svc = gw.app[K.SERVICES]
            await send(http, gw, tg_update(1, 8101, "Guten Tag, ich habe eine Frage zu meiner Rechnung vom letzten "
                                                    "Monat, könnten Sie mir bitte helfen?", language_code=""))
            first = await chat_conversation(redis, "telegram", "8101")
            assert first.language == "de"
            await end_conversation(svc, "demo", first, reason="agent")

            for update_id, user in ((2, 8101), (3, 8102)):
                await send(http, gw, tg_update(update_id, user, "Hello", language_code=""))
            again = await later_conversation(redis, "telegram", "8101", first.id)
            stranger = await chat_conversation(redis, "telegram", "8102")
            assert stranger.language == "en"  # the channel's default: nothing else is known of them
            assert again.contact_id == first.contact_id and again.language == "de"
            assert (await task_of(gw, again.id))["language"] == "de"

