"""Issue 11 in Chromium: a callback the visitor asked for is offered to anna as voice; accepting it
opens a voice item in her console (the number as a tel: link, the conversation so far and four
outcome buttons); the item closes when the attempt is settled, by her ("Reached") or by the dialer."""

from __future__ import annotations

import pytest
from browser_helpers import _browser, agent_available, new_page  # noqa: F401  (_browser is the `browser` fixture)
from email_helpers import CustomerServer, eventually
from playwright.async_api import Page, expect
from test_callbacks_dialling import callback_gateway, phone_system, report

from gateway.callbacks.records import get_callback
from gateway.keys import TenantKeys

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


async def _accept_callback(page: Page, gw, text: str):
    """The visitor writes ``text`` and asks for a callback; anna accepts the voice offer in the console."""
    visitor, _ = await gw.visitor(name="Max", language="de")
    await visitor.call("message", {"text": text, "client_id": "m1"}, namespace="/visitor")
    ack = await visitor.call("escalate", {"to": "callback", "phone": "030 1234567"}, namespace="/visitor", timeout=5)
    assert ack["ok"] is True, ack
    offer = page.locator(".offer-card", has_text="Phone")
    await expect(offer).to_be_visible()
    await expect(offer).to_contain_text("Callback to +49301234567")
    await offer.locator("[data-action=accept]").click()
    item = page.locator(f".callback-item[data-conversation-id='{ack['conversation_id']}']")
    await expect(item).to_be_visible()
    return item, ack["conversation_id"]


async def test_the_agent_calls_back_from_the_console_and_reports_reached(browser, redis, redis_url):
    async with CustomerServer() as smtp, phone_system() as (phones, url), \
            callback_gateway(redis_url, url, smtp.port, max_attempts=3) as gw:
        context, page, watch = await new_page(browser, "anna")
        try:
            await agent_available(page, gw.url, "anna")
            item, _ = await _accept_callback(page, gw, "Bitte rufen Sie mich an")
            phone = item.locator("a.callback-phone")
            await expect(phone).to_have_text("+49301234567")
            await expect(phone).to_have_attribute("href", "tel:+49301234567")
            await expect(item.locator(".callback-transcript")).to_contain_text("Bitte rufen Sie mich an")
            for label in ("Reached", "No answer", "Busy", "Wrong number"):
                await expect(item.get_by_role("button", name=label)).to_be_enabled()
            await eventually(lambda: len(phones.calls) == 1)  # the dialer was asked to place the call
            cb_id = await item.get_attribute("data-callback-id")
            assert phones.calls[0]["callback_id"] == cb_id

            await item.get_by_role("button", name="Reached").click()
            await expect(item).to_have_count(0)
            await expect(page.locator(".callbacks")).to_be_hidden()
            assert (await get_callback(redis, TenantKeys("demo"), cb_id)).state == "reached"
            watch.assert_clean()
        finally:
            await context.close()


async def test_the_dialers_report_closes_the_voice_item(browser, redis, redis_url):
    async with CustomerServer() as smtp, phone_system() as (phones, url), \
            callback_gateway(redis_url, url, smtp.port, max_attempts=3) as gw:
        context, page, watch = await new_page(browser, "anna")
        try:
            await agent_available(page, gw.url, "anna")
            login = await gw.login("anna")  # a second console socket of anna: what her room is told
            _, events = await gw.socket("/agent", {"token": login["token"]}, ["callback"])
            item, conv_id = await _accept_callback(page, gw, "Rückruf bitte")
            dialling = await events.next("callback", lambda e: e["state"] == "dialling")
            cb_id = dialling["callback"]["id"]
            assert dialling == {"conversation_id": conv_id, "state": "dialling",
                                "callback": {"id": cb_id, "phone": "+49301234567", "attempt": 1}}
            await eventually(lambda: len(phones.calls) == 1)
            assert await report(gw, f"cb_{cb_id}_1", "busy") == 200
            busy = await events.next("callback", lambda e: e["state"] != "dialling")
            assert busy == {**dialling, "state": "busy"}
            await expect(item).to_have_count(0)  # closed by the event, without a click
            assert (await get_callback(redis, TenantKeys("demo"), cb_id)).state == "scheduled"  # retried later
            watch.assert_clean()
        finally:
            await context.close()
