"""A supervisor at a 1024 px screen rescues a customer stranded while the only agent is logged in
but away: the drill-down refuses a pick-up (the supervisor is no agent), assigns to the agent,
then whispers; the customer never sees the whisper."""

from __future__ import annotations

import asyncio

import pytest
from browser_helpers import (  # noqa: F401  (_browser is the `browser` fixture)
    _browser,
    gateway_with,
    log_in,
    new_page,
    socket_visitor,
)
from playwright.async_api import expect

pytestmark = pytest.mark.browser


async def test_a_supervisor_rescues_a_stranded_customer_and_whispers(redis, redis_url, browser):
    async with asyncio.timeout(60):
        async with gateway_with(redis_url, lambda config: None, browser) as gw:
            anna, anna_in = await gw.agent("anna", available=False)
            ack = await anna.call("state", {"state": "away"}, namespace="/agent", timeout=5)
            assert ack["state"] == "away"
            visitor, visitor_in, _ = await socket_visitor(gw, "Stella Stranded", ["My card was charged twice"])

            _, sup, watch = await new_page(browser, "supervisor dashboard", width=1024, height=800)
            await log_in(sup, f"{gw.url}/supervisor", "sam")
            await expect(sup.locator(".conn")).to_have_text("Connected")
            await expect(sup.locator("tr[data-agent=anna] .pill")).to_have_text("away · logged in")
            await expect(sup.locator("tr[data-agent=ben] .pill")).to_have_text("not logged in")
            await expect(sup.locator("table.queues tr[data-queue=billing] td").nth(6)).to_have_text("—")  # AHT unmeasured
            assert await sup.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

            # the queue's drill-down lists her; her conversation opens with its transcript
            await sup.locator("table.queues tr[data-queue=billing] th").click()
            drill = sup.locator("dialog.drill")
            await expect(drill.locator(".drill-list")).to_contain_text("Stella Stranded")
            await drill.locator(".drill-item", has_text="Stella Stranded").click()
            await expect(drill.locator(".drill-transcript")).to_contain_text("My card was charged twice")

            await drill.locator("[data-action=pick_up]").click()
            await expect(drill.locator(".drill-status")).to_contain_text("not set up as an agent")
            await drill.locator("select[name=agent_id]").select_option("anna")
            await drill.locator("[data-action=assign]").click()
            await expect(drill.locator(".drill-status")).to_have_text("Assigned to Anna.")
            assigned = await anna_in.next("assigned", timeout=5)
            assert assigned["contact"]["name"] == "Stella Stranded"
            assert (await visitor_in.next("assigned", timeout=5))["agent"]["name"] == "Anna"
            await drill.locator("[data-action=close-drill]").click()

            row = sup.locator("tr[data-conversation-id]", has_text="Stella Stranded")
            await expect(row).to_have_attribute("data-state", "assigned")
            await row.locator("td.customer-name").click()
            await drill.locator("[data-action=monitor]").click()
            await expect(drill.locator(".drill-status")).to_contain_text("Monitoring")
            await drill.locator("input[name=whisper]").fill("<b>offer the refund</b>")
            await drill.locator("[data-action=whisper] button").click()
            await expect(drill.locator(".drill-status")).to_contain_text("only the agent sees it")
            note = await anna_in.next("message", lambda m: m["author"]["kind"] == "note", timeout=5)
            assert note["text"] == "<b>offer the refund</b>"
            await expect(drill.locator(".drill-transcript .t-note")).to_contain_text("<b>offer the refund</b>")

            # the customer's next message reaches the monitoring supervisor live
            await visitor.call("message", {"text": "hello?", "client_id": "again"}, namespace="/visitor", timeout=5)
            await expect(drill.locator(".drill-transcript")).to_contain_text("hello?")
            assert all("refund" not in m["text"] for m in visitor_in.all("message"))
            watch.assert_clean()
