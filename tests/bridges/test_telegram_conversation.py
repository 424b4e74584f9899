"""A Telegram customer through the real gateway: the recorded update, with the channel's secret
header, reaches an agent as an offer; the agent's answer reaches the Bot API stand-in."""

from __future__ import annotations

import json
import logging

import aiohttp
import pytest
from conftest import DEMO_CONFIG, FIXTURES, running_gateway
from echo import eventually
from telegram_standin import TOKEN, StandIn, running

from bridges.telegram.inbound import SECRET_HEADER
from gateway.config import load_config

pytestmark = pytest.mark.timeout(30)

SECRET = "e2e-telegram-secret"


def update(name: str, **message) -> bytes:
    body = json.loads((FIXTURES / f"{name}.json").read_text())["payload"]
    body["message"].update(message)
    return json.dumps(body).encode()


async def post(http: aiohttp.ClientSession, gw, body: bytes, secret: str = SECRET) -> int:
    async with http.post(f"{gw.url}/webhooks/telegram/telegram", data=body, headers={SECRET_HEADER: secret}) as r:
        return r.status


async def test_a_telegram_customer_is_offered_answered_and_the_reply_sent(redis, redis_url, caplog):
    caplog.set_level(logging.DEBUG)
    async with running(StandIn()) as api:
        env = {"TELEGRAM_API_BASE": api.url, "TELEGRAM_SECRET": SECRET, "TELEGRAM_TOKEN": TOKEN}
        async with running_gateway(load_config(DEMO_CONFIG, env=env), redis_url) as gw, aiohttp.ClientSession() as http:
            ben, ben_in = await gw.agent("ben")  # tech, English: the Telegram channel's topic is tech
            ben_in.events.clear()
            assert await post(http, gw, update("telegram_text"), secret="guess") == 401

            assert await post(http, gw, update("telegram_text")) == 200
            offer = await ben_in.next("offer", timeout=10)
            assert (offer["channel"], offer["channel_type"]) == ("messaging", "telegram")
            accepted = await ben.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent")
            conversation = accepted["conversation"]
            cid = conversation["conversation_id"]
            assert conversation["contact"]["identities"] == ["telegram:218485655"]

            # Telegram repeats the update (it missed our 200), then the customer writes again:
            # the next update_id, and a message_id that only this chat knows
            assert await post(http, gw, update("telegram_text")) == 200
            again = update("telegram_text", message_id=6558, text="it blinks red")
            again = again.replace(b'"update_id": 892252934', b'"update_id": 892252935')
            assert await post(http, gw, again) == 200
            second = await ben_in.next("message", lambda m: m["text"] == "it blinks red", timeout=10)
            assert second["conversation_id"] == cid and second["seq"] == 2

            ack = await ben.call("message", {"conversation_id": cid, "text": "Please restart it.", "client_id": "r1"},
                                 namespace="/agent")
            assert ack["seq"] == 3
            await eventually(lambda: api.sent_texts() == ["Please restart it."], timeout=10)
            sent = next(c for c in api.calls if c.method == "sendMessage")
            assert str(sent.json["chat_id"]) == "218485655"
            status = await ben_in.next("message_status", timeout=10)
            assert (status["conversation_id"], status["status"]) == (cid, "sent")
    assert TOKEN not in caplog.text and SECRET not in caplog.text


async def test_a_button_the_customer_pressed_is_stored_and_its_spinner_stopped(redis, redis_url):
    async with running(StandIn()) as api:
        env = {"TELEGRAM_API_BASE": api.url, "TELEGRAM_SECRET": SECRET, "TELEGRAM_TOKEN": TOKEN}
        async with running_gateway(load_config(DEMO_CONFIG, env=env), redis_url) as gw, aiohttp.ClientSession() as http:
            ben, ben_in = await gw.agent("ben")
            body = json.loads((FIXTURES / "telegram_callback_query.json").read_text())["payload"]
            assert await post(http, gw, json.dumps(body).encode()) == 200
            offer = await ben_in.next("offer", timeout=10)
            await ben.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent")
            await eventually(lambda: [c for c in api.calls if c.method == "answerCallbackQuery"], timeout=10)
            answered = next(c for c in api.calls if c.method == "answerCallbackQuery")
            assert answered.json["callback_query_id"] == str(body["callback_query"]["id"])
