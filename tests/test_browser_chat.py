"""A visitor on /demo and an agent in /agent chat live, watched by the supervisor dashboard."""

from __future__ import annotations

import pytest
from browser_helpers import (  # noqa: F401  (_browser is the `browser` fixture)
    _browser,
    accept_offer,
    agent_available,
    agent_log,
    agent_messages,
    agent_send,
    assert_no_doubles,
    log_in,
    new_page,
    open_widget,
    screenshot,
    start_chat,
    visitor_send,
    widget_messages,
)
from playwright.async_api import expect

pytestmark = pytest.mark.browser


async def test_visitor_and_agent_chat_and_the_supervisor_sees_the_load(gateway_server, browser):
    base = gateway_server.url
    _, agent, agent_watch = await new_page(browser, "agent console", width=1400, height=820)
    await agent_available(agent, base, "anna")

    _, sup, sup_watch = await new_page(browser, "supervisor dashboard", width=1300, height=900)
    await log_in(sup, f"{base}/supervisor", "sam")
    anna_chat = sup.locator("tr[data-agent=anna] .load[data-channel=chat]")
    await expect(anna_chat).to_have_attribute("data-load", "0")
    await expect(sup.locator("tr[data-agent=anna] .pill")).to_have_text("available")

    _, visitor, visitor_watch = await new_page(browser, "widget", width=1100, height=760)
    await open_widget(visitor, base)
    await start_chat(visitor, "Vera Visitor", email="vera@example.com", topic="billing", language="en")
    await visitor_send(visitor, "Hello, my invoice is wrong")
    first = visitor.locator(".msg[data-author=visitor]", has_text="my invoice is wrong")
    await expect(first).to_have_attribute("data-state", "sent")

    # The offer shows who and what, with a countdown; accepting opens the conversation.
    offer = agent.locator(".offer-card", has_text="Vera Visitor")
    await expect(offer).to_contain_text("Billing")
    await expect(offer).to_contain_text("EN")
    await accept_offer(agent, "Vera Visitor")
    await expect(visitor.locator(".notice", has_text="Anna has joined the conversation.")).to_be_visible()
    await expect(visitor.locator(".head .sub")).to_have_text("Anna")
    await expect(agent_log(agent).locator(".msg[data-author=visitor]")).to_contain_text(
        "Hello, my invoice is wrong"
    )
    await expect(agent.locator(".customer .details")).to_contain_text("vera@example.com")

    # Typing shows on the other side, both ways.
    await agent.locator("#composer-input").press_sequentially("Let me check")
    await expect(visitor.locator(".typing")).to_have_text("Anna is typing…")
    await agent.fill("#composer-input", "")
    await agent_send(agent, "Let me check that for you.")
    await expect(
        visitor.locator(".msg[data-author=agent]", has_text="Let me check that for you.")
    ).to_be_visible()
    await expect(visitor.locator(".typing")).to_have_text("")

    await visitor.locator("#or-input").press_sequentially("Thank")
    await expect(agent.locator(".conversation .typing")).to_have_text("Vera Visitor is typing…")
    await visitor.locator("#or-input").press_sequentially("s!")
    await visitor.press("#or-input", "Enter")
    await expect(agent_log(agent).locator(".msg[data-author=visitor]", has_text="Thanks!")).to_be_visible()
    await expect(agent.locator(".conversation .typing")).to_have_text("")

    # A canned answer, picked by typing "/".
    await agent.locator("#composer-input").press_sequentially("/greet")
    await expect(agent.locator("#canned-list [role=option]").first).to_contain_text("Greeting")
    await agent.press("#composer-input", "Enter")
    await expect(agent.locator("#composer-input")).to_have_value("Hello! How can I help you today?")
    await agent.press("#composer-input", "Enter")
    await expect(
        visitor.locator(".msg[data-author=agent]", has_text="How can I help you today?")
    ).to_be_visible()

    # The dashboard shows Anna's chat load go up.
    await expect(anna_chat).to_have_attribute("data-load", "1")
    await expect(sup.locator("tr[data-agent=anna] .occ")).not_to_have_text("0 %")

    shown = await widget_messages(visitor)
    assert_no_doubles(shown)
    assert [m["text"] for m in shown] == [
        "Hello, my invoice is wrong",
        "Let me check that for you.",
        "Thanks!",
        "Hello! How can I help you today?",
    ]
    assert all(m["state"] == "sent" for m in shown if m["author"] == "visitor")
    console = [m for m in await agent_messages(agent) if m["author"] in ("visitor", "agent")]
    assert_no_doubles(console)
    assert [m["text"] for m in console] == [m["text"] for m in shown]

    await screenshot(visitor, "widget.png")
    await screenshot(agent, "agent.png")
    await screenshot(sup, "supervisor.png", full_page=True)

    # Closing with a wrap-up code ends the chat for the visitor and frees Anna's slot.
    await agent.click(".conv-actions [data-action=close]")
    await agent.select_option(
        "#wrapup-code", index=1 if await agent.locator("#wrapup-code option").count() > 1 else 0
    )
    await agent.click("dialog button[type=submit]")
    await expect(agent.locator(".conv-item")).to_have_count(0)
    await expect(visitor.locator(".ended")).to_contain_text("This conversation has ended.")
    await expect(anna_chat).to_have_attribute("data-load", "0")

    for watch in (agent_watch, sup_watch, visitor_watch):
        watch.assert_clean()
