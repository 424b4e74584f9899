"""The supervisor dashboard marks conversations that wait too long and shows who they are offered to."""

from __future__ import annotations

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


def short_threshold(config) -> None:
    billing = config.tenants["demo"].queues["billing"]
    billing.sla_threshold_s = 1.0
    billing.offer_timeout_s = {**billing.offer_timeout_s, "chat": 90.0}  # the offer stays while we look


async def test_long_wait_is_highlighted_while_queued_and_offered(redis, redis_url, browser):
    async with gateway_with(redis_url, short_threshold, browser) as gw:
        _, sup, watch = await new_page(browser, "supervisor dashboard", width=1300, height=900)
        await log_in(sup, f"{gw.url}/supervisor", "sam")
        await expect(sup.locator(".conn")).to_have_text("Connected")

        # Nobody is online: the conversation waits in the queue past its 1 s threshold.
        await socket_visitor(gw, "Walter Wait", ["Is anyone there?"])
        row = sup.locator("tr[data-conversation-id]", has_text="Walter Wait")
        await expect(row).to_have_attribute("data-state", "queued")
        await expect(row).to_have_attribute("data-long-wait", "true")
        await expect(row.locator("td.breach")).to_be_visible()
        await expect(sup.locator(".alerts")).to_contain_text("past the queue's wait threshold")

        # Anna comes online and gets the offer: still waiting, now with her name on it.
        anna, anna_inbox = await gw.agent("anna")
        offer = await anna_inbox.next("offer")
        await expect(row).to_have_attribute("data-state", "offered")
        await expect(row.locator(".agent-cell")).to_have_text("Anna")
        await expect(row).to_have_attribute("data-long-wait", "true")

        # Once she accepts, nobody waits any more: the mark goes.
        ack = await anna.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent", timeout=5)
        assert ack.get("ok"), ack
        await expect(row).to_have_attribute("data-state", "assigned")
        await expect(row).not_to_have_attribute("data-long-wait", "true")
        await expect(row.locator(".agent-cell")).to_have_text("Anna")
        watch.assert_clean()
