"""Markup a visitor types is shown as text in the agent console, the dashboard and the widget, and runs nothing."""

from __future__ import annotations

import pytest
from browser_helpers import (  # noqa: F401  (_browser is the `browser` fixture)
    XSS,
    _browser,
    accept_offer,
    agent_available,
    agent_log,
    agent_send,
    log_in,
    new_page,
    open_widget,
    start_chat,
    visitor_send,
)
from playwright.async_api import expect

pytestmark = pytest.mark.browser

NAME = '<img src=x onerror="window.__xss=3">Mal'


async def no_injected_markup(page, selector: str) -> None:
    """No element came out of the payload, and none of its scripts ran."""
    assert await page.locator(f"{selector} img, {selector} script").count() == 0
    assert await page.evaluate("() => window.__xss") is None


async def test_visitor_markup_is_text_everywhere(gateway_server, browser):
    base = gateway_server.url
    _, agent, agent_watch = await new_page(browser, "agent console")
    await agent_available(agent, base, "anna")
    _, sup, sup_watch = await new_page(browser, "supervisor dashboard")
    await log_in(sup, f"{base}/supervisor", "sam")

    _, visitor, visitor_watch = await new_page(browser, "widget")
    await open_widget(visitor, base)
    await start_chat(visitor, NAME, topic="billing", language="en")
    await visitor_send(visitor, XSS)
    await expect(visitor.locator(".msg[data-author=visitor] .text")).to_have_text(XSS)

    # The console: the offer, the list, the header, the message and the customer panel show text.
    await expect(agent.locator(".offer-card .offer-name")).to_have_text(NAME)
    await accept_offer(agent, NAME)
    await expect(agent_log(agent).locator(".msg[data-author=visitor] .text")).to_have_text(XSS)
    await expect(agent_log(agent).locator(".msg[data-author=visitor] .author")).to_have_text(NAME)
    await expect(agent.locator(".conv-item .conv-name")).to_have_text(NAME)
    await expect(agent.locator(".customer .details dd").first).to_have_text(NAME)
    await no_injected_markup(agent, ".agent-app")

    # The agent's answer with markup is text in the widget too.
    await agent_send(agent, f"You wrote: {XSS}")
    await expect(visitor.locator(".msg[data-author=agent] .text")).to_have_text(f"You wrote: {XSS}")
    await no_injected_markup(visitor, "#omnirelay-widget .log")

    # The dashboard: nothing the visitor typed turns into markup; where it shows the live
    # conversations (when the snapshot lists them), the name is text.
    await expect(sup.locator("tr[data-agent=anna] .load[data-channel=chat]")).to_have_attribute(
        "data-load", "1"
    )
    await no_injected_markup(sup, ".sup-app")
    live = sup.locator("table.live")
    if await live.count():
        await expect(live.locator(".customer-name", has_text="Mal")).to_have_text(NAME)

    agent_watch.assert_clean()
    sup_watch.assert_clean()
    visitor_watch.assert_clean()
