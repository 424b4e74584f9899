"""A message over the length limit is never cut: the widget and the console count near the limit
and refuse to send with a sentence, keeping the whole text for the writer to shorten."""

from __future__ import annotations

import pytest
from browser_helpers import (  # noqa: F401  (_browser is the `browser` fixture)
    _browser,
    accept_offer,
    agent_available,
    agent_log,
    agent_send,
    gateway_with,
    new_page,
    open_widget,
    start_chat,
    visitor_send,
)
from playwright.async_api import expect

pytestmark = pytest.mark.browser

LIMIT = 300


def small_limit(config) -> None:
    config.limits.message_chars = LIMIT


async def test_widget_and_console_refuse_an_overlong_message_and_keep_it(redis, redis_url, browser):
    async with gateway_with(redis_url, small_limit, browser) as gw:
        _, agent, agent_watch = await new_page(browser, "agent console", width=1400, height=820)
        await agent_available(agent, gw.url, "anna")
        _, visitor, visitor_watch = await new_page(browser, "widget")
        await open_widget(visitor, gw.url)
        await start_chat(visitor, "Lena Long", topic="billing", language="en")
        await visitor_send(visitor, "Hello")
        await accept_offer(agent, "Lena Long")

        # Near the limit (from /api/v1/widget/config) a counter shows; nothing is cut.
        counter = visitor.locator(".composer .char-counter")
        await expect(counter).to_be_hidden()
        await visitor.fill("#or-input", "a" * 280)
        await expect(counter).to_have_text("280 / 300")
        pasted = "b" * 350
        await visitor.fill("#or-input", pasted)
        await expect(counter).to_have_text("350 / 300")
        await visitor.press("#or-input", "Enter")
        await expect(visitor.locator(".length-error")).to_have_text(
            "Your message has 350 characters; the limit is 300. Please shorten it or send it in parts."
        )
        await expect(visitor.locator("#or-input")).to_have_value(pasted)
        await expect(visitor.locator(".log .msg[data-author=visitor]")).to_have_count(1)

        # Shortened to the limit, it goes, and the error goes with it.
        await visitor.fill("#or-input", "c" * LIMIT)
        await expect(visitor.locator(".length-error")).to_be_hidden()
        await visitor.press("#or-input", "Enter")
        await expect(agent_log(agent).locator(".msg[data-author=visitor]", has_text="c" * LIMIT)).to_have_count(1)

        # The console does the same for the agent's reply.
        await agent.fill("#composer-input", "d" * 400)
        await expect(agent.locator(".composer .char-counter")).to_have_text("400 / 300")
        await agent.press("#composer-input", "Enter")
        await expect(agent.locator(".conversation .length-error")).to_have_text(
            "This reply has 400 characters; the limit is 300. Shorten it or send it in parts."
        )
        await expect(agent.locator("#composer-input")).to_have_value("d" * 400)
        await expect(agent_log(agent).locator(".msg.own")).to_have_count(0)
        await agent_send(agent, "Short enough.")
        await expect(visitor.locator(".msg[data-author=agent]", has_text="Short enough.")).to_be_visible()
        await expect(agent.locator(".conversation .length-error")).to_be_hidden()

        agent_watch.assert_clean()
        visitor_watch.assert_clean()
