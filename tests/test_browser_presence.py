"""Presence that is safe, in the agent console: going offline or logging out with open chats asks
first; handing them back requeues them and the customer reads of a transfer, nothing alarming;
finishing first takes no new offers and leaves once the last chat is closed; the agent sees when
the customer has left the chat and when they are back."""

from __future__ import annotations

import re

import pytest
from browser_helpers import (  # noqa: F401  (_browser is the `browser` fixture)
    _browser,
    accept_offer,
    agent_available,
    new_page,
    open_widget,
    resume_in_widget,
    start_chat,
    visitor_send,
)
from playwright.async_api import expect

from gateway.appkeys import SERVICES

pytestmark = pytest.mark.browser


async def chatting(browser, base: str, anna, name: str, text: str):
    """A visitor in the widget whose chat anna has accepted: (page, watch)."""
    _, page, watch = await new_page(browser, f"widget of {name}")
    await open_widget(page, base)
    await start_chat(page, name, topic="billing", language="en")
    await visitor_send(page, text)
    await accept_offer(anna, name)
    await expect(page.locator(".head .sub")).to_have_text("Anna")
    return page, watch


def state_button(page, state: str):
    return page.locator(f".state-switch [data-state={state}]")


async def test_offline_with_open_chats_asks_and_hand_back_requeues_calmly(gateway_server, browser):
    base = gateway_server.url
    _, anna, anna_watch = await new_page(browser, "anna's console", width=1400, height=820)
    await agent_available(anna, base, "anna")
    vera, vera_watch = await chatting(browser, base, anna, "Vera Visitor", "Where is my refund?")

    # Offline with a chat open: asked first, and Cancel changes nothing
    await state_button(anna, "offline").click()
    dialog = anna.locator("dialog.leave-dialog")
    await expect(dialog.locator("h2")).to_have_text("You have 1 open conversation")
    for action, label in (("hand-back", "Hand them back to the queue"), ("finish-first", "Finish them first"),
                          ("cancel", "Cancel")):
        await expect(dialog.locator(f"[data-action={action}]")).to_have_text(label)
    await dialog.locator("[data-action=cancel]").click()
    await expect(dialog).to_have_count(0)
    await expect(state_button(anna, "available")).to_have_attribute("aria-checked", "true")
    await expect(anna.locator(".conv-item", has_text="Vera Visitor")).to_have_count(1)

    # Hand them back: offline, the chat leaves the console and waits at the head of the line
    await state_button(anna, "offline").click()
    await dialog.locator("[data-action=hand-back]").click()
    await expect(state_button(anna, "offline")).to_have_attribute("aria-checked", "true")
    await expect(anna.locator(".conv-item", has_text="Vera Visitor")).to_have_count(0)
    await expect(anna.locator(".toast")).to_have_text("1 conversation handed back to the queue.")

    # the customer reads of a transfer, not of an agent who dropped out
    await expect(vera.locator(".log")).to_contain_text("You are being transferred")
    await expect(vera.locator(".log")).not_to_contain_text("disconnected")
    engine = gateway_server.app[SERVICES].router.engine("demo")
    assert await engine.assigned_tasks("anna") == []
    anna_watch.assert_clean()
    vera_watch.assert_clean()


async def test_finish_first_takes_no_offers_and_logs_out_after_the_last_chat(gateway_server, browser):
    base = gateway_server.url
    _, anna, anna_watch = await new_page(browser, "anna's console", width=1400, height=820)
    await agent_available(anna, base, "anna")
    _, fay_watch = await chatting(browser, base, anna, "Fay Finish", "One more question")

    await anna.click("header .btn:text('Log out')")
    dialog = anna.locator("dialog.leave-dialog")
    await expect(dialog).to_contain_text("Logging out gives them back to the queue")
    await dialog.locator("[data-action=finish-first]").click()
    await expect(dialog).to_have_count(0)
    # away meanwhile: the chat stays, new customers go to someone else
    await expect(state_button(anna, "away")).to_have_attribute("aria-checked", "true")
    await expect(anna.locator(".conv-item", has_text="Fay Finish")).to_have_count(1)
    engine = gateway_server.app[SERVICES].router.engine("demo")
    assert (await engine.agent("anna"))["state"] == "away"

    # the last chat closed: logged out by itself (offline in the ACD)
    await anna.locator(".conv-item", has_text="Fay Finish").click()
    await anna.click(".conv-actions [data-action=close]")
    await anna.click("dialog button[type=submit]")
    await expect(anna.locator(".login-card")).to_be_visible()
    assert (await engine.agent("anna"))["state"] == "offline"
    anna_watch.assert_clean()
    fay_watch.assert_clean()


async def test_the_agent_sees_the_customer_leave_and_come_back(gateway_server, browser):
    base = gateway_server.url
    _, anna, anna_watch = await new_page(browser, "anna's console", width=1400, height=820)
    await agent_available(anna, base, "anna")
    lena, _ = await chatting(browser, base, anna, "Lena Leaves", "I have to go soon")
    token = await lena.evaluate("() => JSON.parse(localStorage.getItem('omnirelay:demo:visitor_token'))")

    await lena.context.close()  # her last tab closes
    presence = anna.locator(".conversation .presence")
    await expect(presence).to_have_text("Lena Leaves has left the chat.")
    await expect(anna.locator(".conv-item", has_text="Lena Leaves").locator(".conv-sub")).to_have_text("left")

    _, again, again_watch = await new_page(browser, "Lena's widget again")
    await resume_in_widget(again, base, token, "Lena Leaves")
    await expect(presence).to_have_text("Lena Leaves is back in the chat.")
    await visitor_send(again, "Back again!")
    await expect(presence).to_be_hidden()  # she wrote: nothing left to say about it
    await expect(anna.locator(".conversation .log")).to_contain_text("Back again!")
    anna_watch.assert_clean()
    again_watch.assert_clean()


async def test_a_new_offer_is_announced_and_shown_in_the_tab_title(gateway_server, browser):
    base = gateway_server.url
    _, anna, watch = await new_page(browser, "anna's console", width=1400, height=820)
    await agent_available(anna, base, "anna")
    await expect(anna).not_to_have_title(re.compile("New offer"))
    _, page, _ = await new_page(browser, "widget of Otto")
    await open_widget(page, base)
    await start_chat(page, "Otto Offer", topic="billing", language="en")
    await visitor_send(page, "Hello there")

    await expect(anna).to_have_title("(1) New offer — omnirelay")
    await expect(anna.locator("#offer-announcer")).to_have_text("New chat offer from Otto Offer — Billing")
    assert await anna.locator("#offer-announcer").get_attribute("aria-live") == "assertive"
    await accept_offer(anna, "Otto Offer")
    await expect(anna).not_to_have_title(re.compile("New offer"))  # back to the console's own title
    await expect(anna).to_have_title(re.compile("Agent console"))
    watch.assert_clean()
