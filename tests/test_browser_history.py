"""A conversation longer than one history page reaches the widget and the console whole: both
follow `next_after_seq` until the server says there is no more."""

from __future__ import annotations

import pytest
from browser_helpers import (  # noqa: F401  (_browser is the `browser` fixture)
    _browser,
    accept_offer,
    agent_available,
    agent_messages,
    assert_no_doubles,
    gateway_with,
    new_page,
    resume_in_widget,
    socket_visitor,
    widget_messages,
)
from playwright.async_api import expect

pytestmark = pytest.mark.browser

PAGE = 20
TEXTS = [f"line {i:02d} of a long story" for i in range(1, 46)]  # more than two pages


def small_pages(config) -> None:
    config.limits.history_page_messages = PAGE
    config.limits.visitor_messages_per_10s = 1000  # the visitor writes the story at once


async def test_widget_and_console_show_every_page_of_a_long_conversation(redis, redis_url, browser):
    async with gateway_with(redis_url, small_pages, browser) as gw:
        _, token = (await socket_visitor(gw, "Paula Pages", TEXTS))[::2]

        # The agent takes it over: the console loads the whole conversation, page by page.
        _, agent, agent_watch = await new_page(browser, "agent console", width=1400, height=820)
        await agent_available(agent, gw.url, "anna")
        await accept_offer(agent, "Paula Pages")
        visitor_lines = agent.locator(".conversation .log .msg[data-author=visitor]")
        await expect(visitor_lines).to_have_count(len(TEXTS))
        shown = await agent_messages(agent)
        assert_no_doubles(shown)
        assert [m["text"] for m in shown if m["author"] == "visitor"] == TEXTS

        # The visitor opens the widget in a browser: every message comes back, in order.
        _, visitor, visitor_watch = await new_page(browser, "widget")
        await resume_in_widget(visitor, gw.url, token, "Paula Pages")
        await expect(visitor.locator(".log .msg[data-author=visitor]")).to_have_count(len(TEXTS))
        in_widget = await widget_messages(visitor)
        assert_no_doubles(in_widget)
        assert [m["text"] for m in in_widget] == TEXTS

        agent_watch.assert_clean()
        visitor_watch.assert_clean()
