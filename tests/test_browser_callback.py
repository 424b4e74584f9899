"""Issue 11 in Chromium: a callback the visitor asked for is offered to anna as voice; accepting it
opens a voice item in her console (the number as a tel: link, the conversation so far and four
outcome buttons); the item closes when the attempt is settled, by her ("Reached") or by the dialer.
The widget's callback form offers the free times; the signed page moves the call."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from browser_helpers import (
    _browser,  # noqa: F401  (the `browser` fixture)
    agent_available,
    gateway_with,
    new_page,
    open_widget,
    start_chat,
    visitor_send,
)
from email_helpers import CustomerServer, eventually
from playwright.async_api import Page, expect
from test_callbacks_dialling import callback_gateway, phone_system, report
from test_callbacks_slots import _ask, _ts, slots

from gateway import appkeys as K
from gateway.callbacks.links import cancel_path
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


async def test_the_widget_offers_the_free_times_and_the_page_moves_the_call(browser, redis, redis_url):
    """The callback form offers the free slots (grouped by day, in German, Berlin time), a time taken
    meanwhile is refused with a clear line, and the signed page moves the call: the widget shows the new time."""
    def one_per_slot(config) -> None:
        config.tenants["demo"].callbacks.handle_s = 1800  # anna takes one callback per 30 minutes

    berlin = ZoneInfo("Europe/Berlin")
    async with gateway_with(redis_url, one_per_slot, browser) as gw:
        _, body = await slots(gw, queue="billing", language="de")
        free = body["slots"]
        assert (await _ask(gw, free[1]["start"]))[2]["ok"] is True  # someone else has the second slot
        context, page, watch = await new_page(browser, "widget", locale="de-DE")
        await open_widget(page, gw.url)
        await start_chat(page, "Max Muster", topic="billing", language="de")
        await visitor_send(page, "Bitte rufen Sie mich an")
        offer = page.locator(".offer")
        await offer.locator("[data-action=callback]").click()  # nobody is online: email or a callback
        select = page.locator("#or-esc-slot")
        await expect(select.locator("option").first).to_have_text("So bald wie möglich")
        first = datetime.fromtimestamp(_ts(free[0]["start"]), berlin)
        weekday = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")[first.weekday()]
        await expect(select.locator("optgroup").first).to_have_attribute("label", re.compile(f"^{weekday}, {first.day}\\. "))
        await expect(select.locator(f"option[value='{free[0]['start']}']")).to_have_text(first.strftime("%H:%M"))
        await expect(select.locator(f"option[value='{free[1]['start']}']")).to_have_count(0)  # full: not offered
        await page.fill("#or-esc-phone", "030 1234567")
        await select.select_option(free[2]["start"])
        assert (await _ask(gw, free[2]["start"], phone="030 7654321"))[2]["ok"] is True  # taken meanwhile
        await offer.locator("button[type=submit]").click()
        await expect(offer.locator(".error")).to_have_text(
            "Diese Zeit wurde gerade anderweitig gebucht. Bitte wählen Sie eine andere.")
        await expect(select.locator(f"option[value='{free[2]['start']}']")).to_have_count(0)
        await select.select_option(free[3]["start"])
        await offer.locator("button[type=submit]").click()
        await expect(offer.locator("[data-escalated=callback]")).to_contain_text("Danke. Wir rufen Sie am ")
        booked = datetime.fromtimestamp(_ts(free[3]["start"]), berlin).strftime("%Y-%m-%d %H:%M %Z")
        log = page.locator(".log")
        await expect(log).to_contain_text(f"Wir rufen Sie am {booked} unter +49301234567 an.")

        cb_id = (await redis.zrangebyscore(TenantKeys("demo").callbacks_due(), _ts(free[3]["start"]), _ts(free[3]["start"])))[0]
        link = cancel_path(_secret(gw), "demo", cb_id)
        manage = await context.new_page()
        await manage.goto(gw.url + link)
        await expect(manage.locator(".when")).to_have_text(f"Wir rufen +49301234567 am {booked} an.")
        await manage.select_option("#slot", str(int(_ts(free[4]["start"]))))
        await manage.get_by_role("button", name="Anruf verschieben").click()
        await expect(manage.locator(".notice")).to_have_text("Erledigt: Ihr Rückruf ist verschoben.")
        moved = datetime.fromtimestamp(_ts(free[4]["start"]), berlin).strftime("%Y-%m-%d %H:%M %Z")
        await expect(manage.locator(".when")).to_have_text(f"Wir rufen +49301234567 am {moved} an.")
        await expect(log).to_contain_text(f"Wir rufen Sie jetzt am {moved} unter +49301234567 an.")  # the widget, live
        cb = await get_callback(redis, TenantKeys("demo"), cb_id)
        assert cb.due == _ts(free[4]["start"]) and cb.state == "scheduled"
        watch.assert_clean()


def _secret(gw) -> str:
    return gw.app[K.CONFIG].server.secret_key
