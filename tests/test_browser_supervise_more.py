"""The rest of the workspace in real Chromium (issue 13): the dashboard at 1024×768 (long waits
flagged against the queue's threshold, who holds an offer, "logged in, not available" apart from
"not logged in", AHT "—" until measured, nothing clipped) and a supervisor forcing an agent away,
who reads why; a barge, the customer reading the supervisor by name; a transfer whose handover note
the receiving agent reads on the offer and in the conversation; a widget rating that shows in the
supervisor's report."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from browser_helpers import (  # noqa: F401  (_browser is the `browser` fixture)
    _browser,
    accept_offer,
    agent_available,
    agent_log,
    gateway_with,
    log_in,
    new_page,
    open_widget,
    socket_visitor,
    start_chat,
    visitor_send,
)
from history_helpers import history_gateway
from playwright.async_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


def short_thresholds(config) -> None:
    """Long waits show after a second, so the test need not wait twenty."""
    for queue in ("billing", "sales"):
        config.tenants["demo"].queues[queue].sla_threshold_s = 1


async def test_the_dashboard_at_1024_and_an_agent_forced_away_reads_why(redis, redis_url, browser):
    async with asyncio.timeout(100), gateway_with(redis_url, short_thresholds, browser) as gw:
        _, anna, anna_watch = await new_page(browser, "anna's console", width=1280, height=800)
        await agent_available(anna, gw.url, "anna")
        await gw.agent("clara", available=False)  # logged in, not available
        await socket_visitor(gw, "Olga Offered", ["My bill is wrong"], topic="billing")  # offered to anna
        await expect(anna.locator(".offer-card", has_text="Olga Offered")).to_be_visible()
        await socket_visitor(gw, "Walter Waiting", ["A quote, please"], topic="sales")  # nobody sells now
        await asyncio.sleep(1.5)  # past both queues' 1 s threshold

        _, sup, watch = await new_page(browser, "supervisor dashboard", width=1024, height=768)
        await log_in(sup, f"{gw.url}/supervisor", "sam")
        await expect(sup.locator(".conn")).to_have_text("Connected")
        await expect(sup.locator("tr[data-agent=anna] .pill")).to_have_text("available")
        await expect(sup.locator("tr[data-agent=clara] .pill")).to_have_text("logged in, not available")
        await expect(sup.locator("tr[data-agent=ben] .pill")).to_have_text("not logged in")
        await expect(sup.locator("table.queues tr[data-queue=billing] td").nth(6)).to_have_text("—")  # AHT unmeasured
        offered = sup.locator("tr[data-conversation-id]", has_text="Olga Offered")
        await expect(offered).to_have_attribute("data-state", "offered")
        await expect(offered.locator(".agent-cell")).to_have_text("Anna")  # who holds the offer
        waiting = sup.locator("tr[data-conversation-id]", has_text="Walter Waiting")
        await expect(waiting).to_have_attribute("data-long-wait", "true")
        await expect(waiting.locator("td[data-breach=true]")).to_contain_text("over")
        await expect(sup.locator("table.queues tr[data-queue=sales]")).to_have_class("breached")
        assert await sup.evaluate("document.documentElement.scrollWidth") <= 1024

        # the agent's drill-down: away, with a reason the agent reads
        await sup.locator("table.agents tr[data-agent=anna] th").click()
        drill = sup.locator("dialog.drill")
        await drill.locator("input[name=reason]").fill("team meeting")
        await drill.locator("[data-action=force-away]").click()
        await expect(drill.locator(".drill-status")).to_have_text("Set away.")
        await expect(anna.locator(".toast")).to_contain_text("You were set away: set by Sam: team meeting")
        await expect(anna.locator(".state-switch [data-state=away]")).to_have_attribute("aria-checked", "true")
        await expect(anna.locator(".offer-card", has_text="Olga Offered")).to_have_count(0)  # the offer went back
        await drill.locator("[data-action=close-drill]").click()
        await expect(sup.locator("tr[data-agent=anna] .pill")).to_have_text("away · logged in")
        await expect(offered).to_have_attribute("data-state", "queued")
        assert await sup.evaluate("document.documentElement.scrollWidth") <= 1024
        watch.assert_clean()
        anna_watch.assert_clean()


async def test_a_barging_supervisor_writes_to_the_customer_under_their_own_name(redis, redis_url, browser):
    async with asyncio.timeout(100), gateway_with(redis_url, lambda config: None, browser) as gw:
        anna, anna_in = await gw.agent("anna")
        _, widget, widget_watch = await new_page(browser, "Vera's widget")
        await open_widget(widget, gw.url)
        await start_chat(widget, "Vera Barge", topic="billing", language="en")
        await visitor_send(widget, "Nobody helps me")
        offer = await anna_in.next("offer", timeout=10)
        assert (await anna.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent"))["ok"]

        _, sup, watch = await new_page(browser, "supervisor dashboard", width=1024, height=768)
        await log_in(sup, f"{gw.url}/supervisor", "sam")
        row = sup.locator("tr[data-conversation-id]", has_text="Vera Barge")
        await expect(row).to_have_attribute("data-state", "assigned")
        await row.locator("td.customer-name").click()
        drill = sup.locator("dialog.drill")
        await drill.locator("[data-action=barge]").click()
        await expect(drill.locator(".drill-transcript")).to_contain_text("Nobody helps me")
        await drill.locator(".drill-write input[name=text]").fill("<b>I am Anna's lead</b>, let me help")
        await drill.locator(".drill-write button[type=submit]").click()

        log = widget.locator("#omnirelay-widget .log")
        await expect(log).to_contain_text("Sam joined the conversation.")
        said = log.locator(".msg", has_text="I am Anna's lead")
        await expect(said.locator(".author")).to_have_text("Sam")
        await expect(said.locator(".text")).to_have_text("<b>I am Anna's lead</b>, let me help")  # as text
        seen = await anna_in.next("message", lambda m: "lead" in m["text"], timeout=5)
        assert (seen["author"]["kind"], seen["author"]["name"]) == ("agent", "Sam")
        assert await sup.evaluate("document.documentElement.scrollWidth") <= 1024
        watch.assert_clean()
        widget_watch.assert_clean()


async def test_a_transfer_carries_its_handover_note_to_the_offer_and_the_conversation(redis, redis_url, browser):
    async with asyncio.timeout(100), gateway_with(redis_url, lambda config: None, browser) as gw:
        _, anna, anna_watch = await new_page(browser, "anna's console", width=1280, height=800)
        _, ben, ben_watch = await new_page(browser, "ben's console", width=1280, height=800)
        await agent_available(anna, gw.url, "anna")
        await agent_available(ben, gw.url, "ben")
        await socket_visitor(gw, "Tom Transfer", ["My invoice and my router"], topic="billing", language="en")
        await accept_offer(anna, "Tom Transfer")

        note = "Invoice fixed; <i>router</i> still drops, he tried a restart"
        await anna.click(".conv-actions [data-action=transfer]")
        await anna.select_option("#transfer-target", "agent:ben")
        await anna.fill("#transfer-note", note)
        await anna.click("dialog button[type=submit]")
        await expect(anna.locator(".conv-item", has_text="Tom Transfer")).to_have_count(0)

        card = ben.locator(".offer-card", has_text="Tom Transfer")
        await expect(card.locator(".offer-note")).to_contain_text(note)  # the note as text, on the offer
        await card.locator("[data-action=accept]").click()
        await expect(ben.locator("#conv-heading")).to_have_text("Tom Transfer")
        shown = agent_log(ben).locator(".msg.note")
        await expect(shown).to_contain_text(note)
        await expect(shown).to_contain_text("Anna")  # whose note it is
        await expect(agent_log(ben).locator(".msg[data-author=visitor]")).to_contain_text("My invoice and my router")
        assert await ben.locator(".offer-note i, .msg.note i").count() == 0
        anna_watch.assert_clean()
        ben_watch.assert_clean()


async def test_a_rating_in_the_widget_shows_in_the_supervisors_report(redis, redis_url, demo_config, database_url,
                                                                      history_db, browser):
    async with asyncio.timeout(110), history_gateway(demo_config, redis_url, database_url) as gw:
        try:
            anna, anna_in = await gw.agent("anna")
            _, widget, widget_watch = await new_page(browser, "Rita's widget")
            await open_widget(widget, gw.url)
            await start_chat(widget, "Rita Rater", topic="billing", language="en")
            await visitor_send(widget, "Please check my invoice")
            offer = await anna_in.next("offer", timeout=10)
            assert (await anna.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent"))["ok"]
            await anna.call("message", {"conversation_id": offer["conversation_id"], "text": "Done, it is fixed.",
                                        "client_id": "a1"}, namespace="/agent")
            await expect(widget.locator("#omnirelay-widget .log")).to_contain_text("Done, it is fixed.")
            await widget.locator(".end-chat").click()
            await widget.locator(".star[data-score='4']").click()
            await widget.locator("form.rate button[type=submit]").click()
            await expect(widget.locator(".after-status", has_text="Thank you for your rating.")).to_be_visible()

            _, sup, watch = await new_page(browser, "supervisor reports", width=1024, height=768)
            await log_in(sup, f"{gw.url}/supervisor", "sam")
            card = sup.locator(".reports-card")
            await card.scroll_into_view_if_needed()
            day = datetime.now(ZoneInfo("Europe/Berlin")).date().isoformat()
            await sup.fill("#report-from", day)
            await sup.fill("#report-to", day)
            await sup.select_option("#report-interval", "day")
            row = card.locator("tr[data-agent=anna]")
            deadline = time.monotonic() + 30
            while True:  # the archive writes in batches: ask again until the rating is in
                await card.locator(".report-form button[type=submit]").click()
                await expect(card.locator(".report-status")).not_to_be_empty()
                if await row.count() and "4.0 / 5" in (await row.inner_text()):
                    break
                assert time.monotonic() < deadline, "the rating never showed in the report"
                await asyncio.sleep(0.5)
            heads = await card.locator("table[aria-label^='Agents'] thead th").all_inner_texts()
            cells = [await row.locator("th").inner_text(), *await row.locator("td").all_inner_texts()]
            figures = dict(zip(heads, cells, strict=True))
            assert (figures["Ratings"], figures["Satisfaction"]) == ("1", "4.0 / 5")
            queue = dict(zip(await card.locator("table[aria-label^='Queues'] thead th").all_inner_texts(),
                             [await card.locator("tr[data-queue=billing] th").inner_text(),
                              *await card.locator("tr[data-queue=billing] td").all_inner_texts()], strict=True))
            assert (queue["Ratings"], queue["Satisfaction"]) == ("1", "4.0 / 5")
            watch.assert_clean()
            widget_watch.assert_clean()
        finally:
            for context in browser.contexts:
                await context.close()
