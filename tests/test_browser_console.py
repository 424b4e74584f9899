"""The agent console: several conversations (unread counts, escalation, transfer, decline), errors
said in sentences, typed contact details marked unverified, and the offer chime after a reload."""

from __future__ import annotations

import aiohttp
import pytest
from browser_helpers import (  # noqa: F401  (_browser, _gesture_browser are fixtures)
    AUDIO_PROBE,
    Watch,
    _browser,
    accept_offer,
    agent_available,
    agent_log,
    log_in,
    new_page,
    open_widget,
    socket_visitor,
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


async def test_errors_are_sentences_and_typed_contacts_are_marked_unverified(gateway_server, browser):
    base = gateway_server.url
    _, anna, watch = await new_page(browser, "anna's console", width=1400, height=820)
    await agent_available(anna, base, "anna")
    await socket_visitor(gateway_server, "Uma Typed", ["Where is my refund?"], email="uma@example.com")
    await accept_offer(anna, "Uma Typed")

    # The email was typed into the widget: shown, but as a claim.
    details = anna.locator(".customer .details")
    await expect(details).to_contain_text("uma@example.com")
    marker = details.locator(".unverified")
    await expect(marker).to_have_text("unverified")
    title = (await marker.get_attribute("title") or "").lower()
    assert "typed by the customer" in title and "not verified" in title, title

    # Ben is offline: the transfer is refused with a sentence, not the server's bare text.
    await anna.click(".conv-actions [data-action=transfer]")
    await anna.select_option("#transfer-target", "agent:ben")
    await anna.click("dialog button[type=submit]")
    error = anna.locator("dialog .form-error")
    await expect(error).to_have_text(
        "That agent is not available right now. Choose an agent who is online, or a queue."
    )
    await anna.click("dialog button:text('Cancel')")
    await expect(anna.locator(".conv-item", has_text="Uma Typed")).to_have_count(1)
    watch.assert_clean()


# True when the console's latest audio context is in one of the given states ("none": not made yet).
audio_state_is = """states => {
    const made = window.__audio.contexts;
    return states.includes(made.length ? made[made.length - 1].state : 'none');
}"""


async def test_offer_chime_plays_after_a_reload_once_the_agent_interacts(gateway_server, browser):
    base = gateway_server.url
    context = await browser.new_context(viewport={"width": 1400, "height": 820})
    await context.add_init_script(AUDIO_PROBE)
    first = await context.new_page()
    await agent_available(first, base, "anna")
    login = await first.evaluate("() => sessionStorage.getItem('omnirelay:agent:login')")

    # The tab comes back (browser restart, restored tab): the console starts from the stored
    # login and nobody has clicked in this tab yet. (A same-tab reload would inherit the click.)
    anna = await context.new_page()
    watch = Watch(anna, "anna's console")
    await first.close()
    await anna.goto(f"{base}/agent")
    await anna.evaluate("login => sessionStorage.setItem('omnirelay:agent:login', login)", login)
    await anna.reload()
    await expect(anna.locator(".conn")).to_have_text("Connected")
    await expect(anna.locator(".state-switch [data-state=available]")).to_have_attribute("aria-checked", "true")
    await anna.wait_for_function(audio_state_is, arg=["suspended", "none"], timeout=10_000)

    # Any click (here on the empty conversation pane) is the gesture that lets audio start.
    await anna.locator(".conversation").click()
    await anna.wait_for_function(audio_state_is, arg=["running"], timeout=10_000)

    await socket_visitor(gateway_server, "Cora Chime", ["Hello?"])
    await expect(anna.locator(".offer-card", has_text="Cora Chime")).to_be_visible()
    await anna.wait_for_function("() => window.__audio.tones >= 2", timeout=10_000)
    watch.assert_clean()
    await context.close()


async def test_a_login_ended_elsewhere_takes_the_console_and_dashboard_back_to_the_login_form(gateway_server, browser):
    base = gateway_server.url
    _, anna, anna_watch = await new_page(browser, "anna's console")
    await agent_available(anna, base, "anna")
    _, sam, sam_watch = await new_page(browser, "sam's dashboard")
    await log_in(sam, f"{base}/supervisor", "sam")
    for page, role in ((anna, "agent"), (sam, "supervisor")):
        token = await page.evaluate(f"JSON.parse(sessionStorage.getItem('omnirelay:{role}:login')).token")
        # the same login ends from another tab (or an admin's logout): this page must not go on as if connected
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as http:
            async with http.post(f"{base}/api/v1/logout") as r:
                assert r.status == 200
        await expect(page.locator(".login-card")).to_be_visible(timeout=5000)
    anna_watch.assert_clean()
    sam_watch.assert_clean()
