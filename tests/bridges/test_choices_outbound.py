"""Buttons under a message, as each platform takes them: what the local stand-ins of the Bot API,
the Cloud API and the Send API receive is each platform's exact JSON; past a platform's limits the
choices arrive as numbered text instead of a refused request."""

from __future__ import annotations

import json

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from telegram_standin import TOKEN, StandIn, running
from test_messenger_client import PSID
from test_messenger_client import FakeGraph as FakeSendApi
from wa_fixtures import bridge as wa_bridge
from wa_standin import FakeGraph as FakeCloudApi

from bridges.base import Button, OutboundFile
from bridges.base import Outbound as Out
from bridges.messenger.bridge import MessengerBridge
from bridges.messenger.config import MessengerConfig
from bridges.telegram.bridge import TelegramBridge
from bridges.telegram.config import TelegramConfig

pytestmark = pytest.mark.timeout(20)

OFFER = (Button("cb:yes:1", "Yes, call me"), Button("cb:other:1", "Another number"), Button("cb:no:1", "No, thanks"))
SHARE = (Button("cb:phone:1", "Share my number", "phone"), Button("cb:no:1", "No, thanks"))


async def served(app):
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    return server, str(server.make_url("")).rstrip("/")


# --- Telegram -----------------------------------------------------------------------------------------


async def test_telegram_sends_an_inline_keyboard_whose_taps_come_back_as_the_values():
    async with running(StandIn()) as api, aiohttp.ClientSession() as http:
        bot = TelegramBridge(TelegramConfig(secret="s", token=TOKEN, api_base=api.url), http)
        await bot.send(Out("218485655", "Shall we call you back?", "c1", choices=OFFER))
        [call] = api.calls
        assert call.method == "sendMessage"
        assert call.json == {"chat_id": "218485655", "text": "Shall we call you back?", "reply_markup": {
            "inline_keyboard": [[{"text": "Yes, call me", "callback_data": "cb:yes:1"}],
                                [{"text": "Another number", "callback_data": "cb:other:1"}],
                                [{"text": "No, thanks", "callback_data": "cb:no:1"}]]}}


async def test_telegram_asks_for_the_phone_with_a_one_time_contact_keyboard():
    async with running(StandIn()) as api, aiohttp.ClientSession() as http:
        bot = TelegramBridge(TelegramConfig(secret="s", token=TOKEN, api_base=api.url), http)
        await bot.send(Out("218485655", "Share your number?", "c1", choices=SHARE))
        assert api.calls[0].json["reply_markup"] == {
            "keyboard": [[{"text": "Share my number", "request_contact": True}], [{"text": "No, thanks"}]],
            "one_time_keyboard": True, "resize_keyboard": True}


async def test_telegram_puts_the_keyboard_on_a_captioned_file():
    async with running(StandIn()) as api, aiohttp.ClientSession() as http:
        bot = TelegramBridge(TelegramConfig(secret="s", token=TOKEN, api_base=api.url), http)
        photo = OutboundFile("p.png", "image/png", b"\x89PNG")
        await bot.send(Out("218485655", "This one?", "c1", files=(photo,), choices=OFFER[2:]))
        [call] = api.calls
        assert call.method == "sendPhoto" and json.loads(call.form["reply_markup"]) == {
            "inline_keyboard": [[{"text": "No, thanks", "callback_data": "cb:no:1"}]]}


# --- WhatsApp -----------------------------------------------------------------------------------------


@pytest.fixture
async def cloud():
    fake = FakeCloudApi()
    server, fake.url = await served(fake.app)
    yield fake
    await server.close()


async def test_whatsapp_sends_reply_buttons(cloud):
    async with aiohttp.ClientSession() as http:
        await wa_bridge(http, cloud.url).send(Out("4915112345678", "Shall we call you on +4915112345678?", "c1",
                                                  phone="4915112345678", choices=OFFER))
    assert cloud.sent() == [{
        "messaging_product": "whatsapp", "to": "4915112345678", "recipient_type": "individual",
        "type": "interactive", "interactive": {
            "type": "button", "body": {"text": "Shall we call you on +4915112345678?"},
            "action": {"buttons": [{"type": "reply", "reply": {"id": "cb:yes:1", "title": "Yes, call me"}},
                                   {"type": "reply", "reply": {"id": "cb:other:1", "title": "Another number"}},
                                   {"type": "reply", "reply": {"id": "cb:no:1", "title": "No, thanks"}}]}}}]


@pytest.mark.parametrize("choices", [
    OFFER + (Button("cb:later:1", "Later"),),  # four buttons: Meta takes three
    (Button("cb:yes:1", "Yes, please call me back today"),),  # a title over 20 characters
    (Button("cb:a:1", "Same"), Button("cb:b:1", "Same")),  # titles must differ
])
async def test_whatsapp_falls_back_to_numbered_text_outside_the_button_limits(cloud, choices):
    async with aiohttp.ClientSession() as http:
        await wa_bridge(http, cloud.url).send(Out("4915112345678", "Shall we call you?", "c1", choices=choices))
    [sent] = cloud.sent()
    lines = [f"{i}. {c.label}" for i, c in enumerate(choices, 1)]
    assert sent["type"] == "text" and sent["text"]["body"] == "Shall we call you?\n\n" + "\n".join(lines)


# --- Messenger ----------------------------------------------------------------------------------------


@pytest.fixture
async def send_api():
    fake = FakeSendApi()
    server, fake.url = await served(fake.app)
    yield fake
    await server.close()


def messenger(http, url):
    return MessengerBridge(MessengerConfig(app_secret="a", verify_token="v", token="t", api_base=url), http)


async def test_messenger_sends_quick_replies_with_the_phone_number_one(send_api):
    async with aiohttp.ClientSession() as http:
        await messenger(http, send_api.url).send(Out(PSID, "Share your number?", "c1", choices=SHARE))
    [request] = send_api.requests
    assert request["json"] == {"recipient": {"id": PSID}, "messaging_type": "RESPONSE", "message": {
        "text": "Share your number?",
        "quick_replies": [{"content_type": "user_phone_number"},
                          {"content_type": "text", "title": "No, thanks", "payload": "cb:no:1"}]}}


async def test_messenger_falls_back_to_numbered_text_past_its_title_limit(send_api):
    too_long = (Button("cb:yes:1", "Yes, please call me back today"), Button("cb:no:1", "No"))
    async with aiohttp.ClientSession() as http:
        await messenger(http, send_api.url).send(Out(PSID, "Call you?", "c1", choices=too_long))
    assert send_api.requests[0]["json"]["message"] == {"text": "Call you?\n\n1. Yes, please call me back today\n2. No"}
