"""The customer's side in a real browser at a phone's size: the open panel fills the screen, inputs
are 16px (no zoom), "End chat" closes the conversation for the agent too, and the rating reaches the
ACD's event log once."""

from __future__ import annotations

import pytest
from browser_helpers import _browser, new_page, open_widget, start_chat, visitor_send  # noqa: F401
from playwright.async_api import expect

from acd import replies
from acd.keys import AcdKeys

pytestmark = [pytest.mark.browser, pytest.mark.timeout(60)]


async def test_phone_full_screen_end_chat_and_rate(gateway_server, browser, redis):
    base = gateway_server.url
    anna, anna_in = await gateway_server.agent("anna")
    _, page, watch = await new_page(browser, "widget on a phone", width=390, height=740)
    await page.emulate_media(reduced_motion="reduce")  # no opening animation: the box is final at once
    await open_widget(page, base)
    box = await page.locator("#or-panel").bounding_box()
    assert box is not None and box["x"] == 0 and box["y"] == 0
    assert box["width"] == 390 and abs(box["height"] - 740) <= 1
    size = await page.locator("#or-name").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 16

    await start_chat(page, "Vera Phone", topic="billing", language="en")
    size = await page.locator("#or-input").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 16
    await visitor_send(page, "Hello from my phone")
    offer = await anna_in.next("offer", timeout=10)
    assert (await anna.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent"))["ok"]

    await page.locator(".end-chat").click()
    closed = await anna_in.next("closed", timeout=10)
    assert closed["reason"] == "visitor_ended"
    await expect(page.locator(".ended")).to_be_visible()
    await page.locator(".star[data-score='4']").click()
    await page.locator(".aftercare textarea").fill("<i>quick</i>")
    await page.locator("form.rate button[type=submit]").click()
    await expect(page.locator(".after-status", has_text="Thank you for your rating.")).to_be_visible()

    events = [f for _, f in replies.entries(await redis.xrange(AcdKeys("demo").events())) if f.get("ev") == "rated"]
    assert [(e["task"], e["score"], e["agent"]) for e in events] == [(offer["conversation_id"], "4", "anna")]
    watch.assert_clean()


async def test_the_agent_sees_the_customers_rating_as_text(gateway_server, browser):
    from browser_helpers import accept_offer, agent_available, socket_visitor

    _, anna, watch = await new_page(browser, "anna's console", width=1400, height=820)
    await agent_available(anna, gateway_server.url, "anna")
    visitor, inbox, _ = await socket_visitor(gateway_server, "Rita Rater", ["Thanks in advance"], topic="billing")
    await accept_offer(anna, "Rita Rater")
    session = await inbox.next("session", lambda d: d.get("conversation_id"))
    cid = session["conversation_id"]
    assert (await visitor.call("end_chat", {}, namespace="/visitor"))["ok"]
    ack = await visitor.call("rate", {"conversation_id": cid, "score": 4, "comment": "<b>quick</b> help"},
                             namespace="/visitor")
    assert "error" not in ack, ack
    toast = anna.locator(".toast")
    await expect(toast).to_contain_text("Rita Rater rated the conversation ★★★★☆ (4/5)")
    await expect(toast).to_contain_text("“<b>quick</b> help”")  # the comment as typed, never markup
    watch.assert_clean()
