"""End to end in a real browser: a Telegram update arrives at the webhook, the ACD offers it to the
right agent (Ben: tech, English), Ben answers in /agent, and the Bot API stand-in receives sendMessage
with exactly that text; the console shows the reply as sent."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import aiohttp
import pytest
from browser_helpers import (  # noqa: F401  (_browser is the `browser` fixture)
    _browser,
    accept_offer,
    agent_available,
    agent_log,
    agent_send,
    new_page,
)
from conftest import DEMO_CONFIG, FIXTURES, running_gateway
from playwright.async_api import expect

from gateway.config import load_config

sys.path.insert(0, str(Path(__file__).parent / "bridges"))
from echo import eventually  # noqa: E402
from telegram_standin import TOKEN, StandIn, running  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.timeout(90)]
SECRET = "browser-telegram-secret"


async def test_a_telegram_customer_answered_from_the_console(redis, redis_url, browser):
    async with running(StandIn()) as api:
        env = {"TELEGRAM_API_BASE": api.url, "TELEGRAM_SECRET": SECRET, "TELEGRAM_TOKEN": TOKEN}
        async with running_gateway(load_config(DEMO_CONFIG, env=env), redis_url) as gw:
            _, ben, watch = await new_page(browser, "ben's console", width=1400, height=820)
            await agent_available(ben, gw.url, "ben")
            _, anna, _ = await new_page(browser, "anna's console", width=1400, height=820)
            await agent_available(anna, gw.url, "anna")

            update = json.loads((FIXTURES / "telegram_text.json").read_text())["payload"]
            async with aiohttp.ClientSession() as http:
                async with http.post(f"{gw.url}/webhooks/telegram/telegram", data=json.dumps(update).encode(),
                                     headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as r:
                    assert r.status == 200
            name = update["message"]["from"]["first_name"]
            await accept_offer(ben, name)  # the first step of tech wants proficiency 4: Ben, not Anna
            await expect(anna.locator(".offer-card")).to_have_count(0)
            await expect(agent_log(ben).locator(".msg[data-author=visitor]")).to_contain_text(update["message"]["text"])

            await agent_send(ben, "Hello from the console, we are on it.")
            await eventually(lambda: api.sent_texts() == ["Hello from the console, we are on it."], timeout=10)
            reply = agent_log(ben).locator(".msg[data-author=agent]").last
            await expect(reply.locator(".status")).to_have_attribute("data-status", "sent")
            watch.assert_clean()
