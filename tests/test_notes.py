"""Internal notes (``/agent`` emit ``note``): the agent and the supervisors read them, the customer
never does — not on the widget's socket, not in its ``history``, not on a messenger, not in the
transcript mailed to them."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import aiohttp
import pytest
from conftest import DEMO_CONFIG, FIXTURES, eventually, running_gateway
from email_helpers import CustomerServer, email_gateway

from bridges.telegram.inbound import SECRET_HEADER
from gateway.config import load_config
from gateway.keys import TenantKeys

sys.path.insert(0, str(Path(__file__).parent / "bridges"))  # the Telegram stand-in of the bridge tests
from telegram_standin import TOKEN, StandIn, running  # noqa: E402

pytestmark = pytest.mark.timeout(60)
KEYS = TenantKeys("demo")
SECRET_NOTE = "Customer sounds angry, refund approved by Sam"
TG_SECRET = "notes-telegram-secret"


async def held_by(agent, inbox) -> str:
    """Accept the next offer; the conversation id."""
    offer = await inbox.next("offer", timeout=10)
    accepted = await agent.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent")
    return accepted["conversation"]["conversation_id"]


async def test_a_note_reaches_the_agent_but_never_the_visitor(gateway):
    anna, anna_in = await gateway.agent("anna")
    visitor, v_in = await gateway.visitor()
    ack = await visitor.call("message", {"text": "My invoice is wrong", "client_id": "v1"}, namespace="/visitor")
    cid = await held_by(anna, anna_in)
    assert cid == ack["conversation_id"]

    note = await anna.call("note", {"conversation_id": cid, "text": SECRET_NOTE, "client_id": "n1"}, namespace="/agent")
    assert note["seq"] == 2 and note["conversation_id"] == cid
    seen = await anna_in.next("message", lambda m: m["author"]["kind"] == "note")
    assert seen["text"] == SECRET_NOTE and seen["author"]["name"] == "Anna" and seen["seq"] == 2
    again = await anna.call("note", {"conversation_id": cid, "text": SECRET_NOTE, "client_id": "n1"}, namespace="/agent")
    assert again == note  # a resent note is stored once

    # a reply after the note reaches the visitor; the note never did
    await anna.call("message", {"conversation_id": cid, "text": "Let me check.", "client_id": "a1"}, namespace="/agent")
    await v_in.next("message", lambda m: m["text"] == "Let me check.")
    await asyncio.sleep(0.2)
    assert all(m["author"]["kind"] != "note" and SECRET_NOTE not in m["text"] for m in v_in.all("message"))

    history = await visitor.call("history", {"after_seq": 0}, namespace="/visitor")
    assert [m["text"] for m in history["messages"]] == ["My invoice is wrong", "Let me check."]
    staff = await anna.call("history", {"conversation_id": cid, "after_seq": 0}, namespace="/agent")
    assert [(m["author"]["kind"], m["text"]) for m in staff["messages"]] == [
        ("visitor", "My invoice is wrong"), ("note", SECRET_NOTE), ("agent", "Let me check.")]


async def test_bad_notes_are_refused_and_store_nothing(gateway, redis):
    anna, anna_in = await gateway.agent("anna")
    ben, _ = await gateway.agent("ben")
    visitor, _ = await gateway.visitor()
    await visitor.call("message", {"text": "hello", "client_id": "v1"}, namespace="/visitor")
    cid = await held_by(anna, anna_in)

    empty = await anna.call("note", {"conversation_id": cid, "text": "   "}, namespace="/agent")
    assert empty["error"]["code"] == "empty"
    long = await anna.call("note", {"conversation_id": cid, "text": "x" * 4097}, namespace="/agent")
    assert long["error"]["code"] == "too_long"
    other = await ben.call("note", {"conversation_id": cid, "text": "not mine"}, namespace="/agent")
    assert other["error"]["code"] == "forbidden"
    assert await redis.xlen(KEYS.conv_messages(cid)) == 1


def tg_update(update_id: int, **message) -> bytes:
    body = json.loads((FIXTURES / "telegram_text.json").read_text())["payload"]
    body["update_id"] = update_id
    body["message"].update(message)
    return json.dumps(body).encode()


async def test_a_note_never_leaves_through_a_messenger(redis_url, redis):
    async with running(StandIn()) as api:
        env = {"TELEGRAM_API_BASE": api.url, "TELEGRAM_SECRET": TG_SECRET, "TELEGRAM_TOKEN": TOKEN}
        async with running_gateway(load_config(DEMO_CONFIG, env=env), redis_url) as gw, aiohttp.ClientSession() as http:
            async with http.post(f"{gw.url}/webhooks/telegram/telegram", data=tg_update(2000),
                                 headers={SECRET_HEADER: TG_SECRET}) as r:
                assert r.status == 200
            ben, ben_in = await gw.agent("ben")  # tech, English: the Telegram channel
            cid = await held_by(ben, ben_in)
            assert "error" not in await ben.call("note", {"conversation_id": cid, "text": SECRET_NOTE}, namespace="/agent")
            await ben.call("message", {"conversation_id": cid, "text": "On it!", "client_id": "b1"}, namespace="/agent")
            await eventually(lambda: api.sent_texts(), timeout=10)
            await asyncio.sleep(0.5)
            assert api.sent_texts() == ["On it!"]
            assert all(SECRET_NOTE not in json.dumps(c.json) for c in api.calls)


async def test_a_note_is_not_in_the_transcript_mailed_to_the_customer(redis, redis_url):
    async with CustomerServer() as kunde, email_gateway(redis_url, kunde.port) as gw:
        anna, anna_in = await gw.agent("anna")
        visitor, _ = await gw.visitor(language="en")
        await visitor.call("message", {"text": "Please mail me the details", "client_id": "v1"}, namespace="/visitor")
        cid = await held_by(anna, anna_in)
        assert "error" not in await anna.call("note", {"conversation_id": cid, "text": SECRET_NOTE}, namespace="/agent")
        await anna.call("message", {"conversation_id": cid, "text": "I will send them.", "client_id": "a1"},
                        namespace="/agent")
        ack = await visitor.call("escalate", {"to": "email", "email": "kim@kunde.example"}, namespace="/visitor")
        assert ack.get("ok"), ack
        await eventually(lambda: kunde.mails, timeout=10)
        body = kunde.mails[0].get_body(("plain",)).get_content()
        assert "Please mail me the details" in body and "I will send them." in body
        assert SECRET_NOTE not in kunde.mails[0].as_string()
