"""The agent console with several conversations: unread counts, escalation, transfer, decline."""

from __future__ import annotations

import pytest
from browser_helpers import (  # noqa: F401  (_browser is the `browser` fixture)
    _browser,
    accept_offer,
    agent_available,
    agent_log,
    new_page,
    open_widget,
    start_chat,
    visitor_send,
)
from playwright.async_api import expect

pytestmark = pytest.mark.browser


async def visitor_writes(browser, base: str, name: str, topic: str, text: str):
    _, page, watch = await new_page(browser, f"widget of {name}")
    await open_widget(page, base)
    await start_chat(page, name, email=f"{name.split()[0].lower()}@example.com", topic=topic, language="en")
    await visitor_send(page, text)
    return page, watch


async def test_agent_handles_several_conversations(gateway_server, browser):
    base = gateway_server.url
    _, anna, anna_watch = await new_page(browser, "anna's console", width=1400, height=820)
    await agent_available(anna, base, "anna")
    _, ben, ben_watch = await new_page(browser, "ben's console", width=1400, height=820)
    await agent_available(ben, base, "ben")

    alice, alice_watch = await visitor_writes(browser, base, "Alice Able", "billing", "Invoice twice?")
    await accept_offer(anna, "Alice Able")
    bob, bob_watch = await visitor_writes(browser, base, "Bob Baker", "billing", "Refund please")
    await accept_offer(anna, "Bob Baker")
    await expect(anna.locator(".conv-item")).to_have_count(2)
    await expect(anna.locator(".conv-item[data-channel], .conv-item .ch-widget")).to_have_count(2)

    # Alice is open; Bob writes: his entry counts it as unread until opened.
    await anna.locator(".conv-item", has_text="Alice Able").click()
    await expect(anna.locator("#conv-heading")).to_have_text("Alice Able")
    await visitor_send(bob, "Are you there?")
    bob_item = anna.locator(".conv-item", has_text="Bob Baker")
    await expect(bob_item.locator(".unread")).to_have_text("1")
    await expect(anna.locator(".conv-item", has_text="Alice Able").locator(".unread")).to_be_hidden()
    await bob_item.click()
    await expect(bob_item.locator(".unread")).to_be_hidden()
    await expect(agent_log(anna).locator(".msg[data-author=visitor]")).to_have_count(2)

    # Escalate Alice to email: the conversation records it, Alice sees it.
    await anna.locator(".conv-item", has_text="Alice Able").click()
    await anna.click(".conv-actions [data-action=escalate]")
    await expect(anna.locator("#esc-email")).to_have_value("alice@example.com")
    await anna.click("dialog button[type=submit]")
    await expect(anna.locator("dialog")).to_have_count(0)
    await expect(agent_log(anna).locator(".msg.system")).to_contain_text("alice@example.com")
    await expect(alice.locator(".notice.system")).to_contain_text("alice@example.com")

    # Transfer Bob to Ben: he leaves Anna's list and Ben takes him with the whole history.
    await bob_item.click()
    await anna.click(".conv-actions [data-action=transfer]")
    await anna.select_option("#transfer-target", "agent:ben")
    await anna.click("dialog button[type=submit]")
    await expect(anna.locator(".conv-item", has_text="Bob Baker")).to_have_count(0)
    offer = ben.locator(".offer-card", has_text="Bob Baker")
    await expect(offer.or_(ben.locator(".conv-item", has_text="Bob Baker"))).to_be_visible()
    if await offer.count():
        await offer.locator("[data-action=accept]").click()
    await ben.locator(".conv-item", has_text="Bob Baker").click()
    await expect(agent_log(ben).locator(".msg[data-author=visitor]")).to_have_count(2)
    await expect(bob.locator(".head .sub")).to_have_text("Ben")

    # Ben declines a new offer: the card goes away.
    _, carl_watch = await visitor_writes(browser, base, "Carl Cole", "sales", "A quote for 10 tents?")
    card = ben.locator(".offer-card", has_text="Carl Cole").first
    await expect(card).to_be_visible()
    offer_id = await card.get_attribute("data-offer-id")
    await card.locator("[data-action=decline]").click()
    await expect(ben.locator(f'.offer-card[data-offer-id="{offer_id}"]')).to_have_count(0)

    for watch in (anna_watch, ben_watch, alice_watch, bob_watch, carl_watch):
        watch.assert_clean()
