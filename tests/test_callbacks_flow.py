"""A callback from request to call: due → a voice offer to an agent who speaks the language and has
the skill → accepted → dialled → outcome → retry or done."""

from __future__ import annotations

import asyncio
import time

import pytest
from conftest import DEMO_CONFIG, running_gateway

from gateway.callbacks.records import get_callback
from gateway.callbacks.scheduler import CHECK_S
from gateway.config import load_config
from gateway.keys import TenantKeys

pytestmark = pytest.mark.timeout(30)


async def _request(gateway, phone="+49 30 1234567", **auth):
    visitor, inbox = await gateway.visitor(**auth)
    await visitor.call("message", {"text": "call me", "client_id": "m1"}, namespace="/visitor")
    ack = await visitor.call("escalate", {"to": "callback", "phone": phone}, namespace="/visitor", timeout=5)
    assert ack["ok"] is True, ack
    line = await inbox.next("message", lambda m: m["author"]["kind"] == "system")
    return visitor, inbox, ack["conversation_id"], line["callback"]["id"]


async def test_a_due_callback_is_offered_as_voice_and_leaves_the_chat_task_alone(gateway, redis):
    anna, a_in = await gateway.agent("anna")
    _, _, conv_id, cb_id = await _request(gateway)
    offer = await a_in.next("offer", lambda o: o["channel"] == "voice")
    assert offer["conversation_id"] == conv_id
    assert offer["callback"] == {"id": cb_id, "phone": "+49301234567", "attempt": 1}
    chat = await a_in.next("offer", lambda o: o["channel"] == "chat")  # the conversation's own task, as before
    assert chat["conversation_id"] == conv_id
    cb = await get_callback(redis, TenantKeys("demo"), cb_id)
    assert cb is not None and cb.attempts == 1 and cb.in_attempt and cb.task_id == f"cb_{cb_id}_1"
    assert await redis.zscore(TenantKeys("demo").callbacks_due(), cb_id) is None  # taken: never started twice


async def test_outside_business_hours_a_due_callback_waits_for_the_opening(redis, redis_url):
    config = load_config(DEMO_CONFIG, env={"DEMO_HOURS_CLOSED": "1"})
    async with running_gateway(config, redis_url) as gateway:
        anna, a_in = await gateway.agent("anna")
        _, _, _, cb_id = await _request(gateway)
        await asyncio.sleep(3 * CHECK_S)
        assert not [o for o in a_in.all("offer") if o["channel"] == "voice"]
        cb = await get_callback(redis, TenantKeys("demo"), cb_id)
        assert cb is not None and cb.state == "scheduled" and cb.attempts == 0
        assert await redis.zscore(TenantKeys("demo").callbacks_due(), cb_id) > time.time() + 600


async def test_a_number_we_could_never_call_opens_no_conversation(gateway, redis):
    visitor, _ = await gateway.visitor()
    ack = await visitor.call("escalate", {"to": "callback", "phone": "+1 212 555 0100"}, namespace="/visitor")
    assert ack["error"]["code"] == "phone_not_allowed"
    assert await redis.zcard(TenantKeys("demo").convs_open()) == 0
