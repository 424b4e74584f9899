"""The CRM lookup in a real browser: the agent's customer panel shows the CRM's fields with their
labels, a value with markup as text, the CRM link as a safe new-tab link; a failing CRM reads "CRM
unavailable" (in German for a German console); the deep link /agent#conversation=<id> opens the
conversation after the login, and refuses one the agent may not see."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest
from browser_helpers import (  # noqa: F401  (_browser is the `browser` fixture)
    XSS,
    _browser,
    accept_offer,
    agent_available,
    log_in,
    new_page,
)
from conftest import running_gateway
from crm_helpers import FakeCrm, crm_config, signed_visitor
from playwright.async_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.timeout(90)]
V = "/visitor"


@contextlib.asynccontextmanager
async def crm_gateway(redis_url: str, browser, **crm) -> AsyncIterator[tuple]:
    """A CRM stand-in and the demo gateway asking it; the browser's pages close before both."""
    async with FakeCrm() as fake, running_gateway(crm_config(fake.url, **crm), redis_url) as gw:
        try:
            yield gw, fake
        finally:
            for context in browser.contexts:
                await context.close()


async def customer_writes(gw, name: str, email: str, topic: str = "billing") -> str:
    visitor, _ = await gw.visitor(**signed_visitor(f"u-{name.lower()}", email, name=name, topic=topic))
    ack = await visitor.call("message", {"text": "Hello, a question please", "client_id": f"{name}-1"}, namespace=V, timeout=10)
    return ack["conversation_id"]


async def test_the_panel_shows_the_crm_fields_as_text_and_the_link_safely(redis, redis_url, browser):
    async with crm_gateway(redis_url, browser) as (gw, crm):
        crm.customers = {"email:vip@example.com": {
            "customer_number": "K-1001", "segment": XSS, "open_orders": 2,
            "crm_url": "https://crm.example/customers/1001", "internal": "not configured, not shown"}}
        _, agent, watch = await new_page(browser, "agent console")
        await agent_available(agent, gw.url, "anna")
        await customer_writes(gw, "Victor", "vip@example.com")
        await accept_offer(agent, "Victor")

        section = agent.locator(".customer section.crm")
        await expect(section).to_have_attribute("data-status", "ok")
        labels = await section.locator("dt").all_inner_texts()
        assert labels == ["Customer number", "Segment", "Open orders", "In the CRM"]
        await expect(section.locator("dd[data-crm-key=customer_number]")).to_have_text("K-1001")
        await expect(section.locator("dd[data-crm-key=open_orders]")).to_have_text("2")
        # markup from the CRM is text: shown as typed, nothing built from it, nothing run
        await expect(section.locator("dd[data-crm-key=segment]")).to_have_text(XSS)
        assert await agent.locator(".agent-app img, .agent-app script").count() == 0
        assert await agent.evaluate("() => window.__xss") is None
        link = section.locator("dd[data-crm-key=crm_url] a")
        await expect(link).to_have_attribute("href", "https://crm.example/customers/1001")
        await expect(link).to_have_attribute("target", "_blank")
        assert "noopener" in (await link.get_attribute("rel") or "").split()
        await expect(section).not_to_contain_text("not configured")
        watch.assert_clean()


async def test_a_failing_crm_reads_unavailable_in_the_agents_language(redis, redis_url, browser):
    async with crm_gateway(redis_url, browser, timeout_s=0.3) as (gw, crm):
        crm.mode, crm.status = "status", 500
        _, agent, watch = await new_page(browser, "agent console", locale="de-DE")
        await log_in(agent, f"{gw.url}/agent", "anna")
        await agent.click(".state-switch [data-state=available]")
        await expect(agent.locator(".state-switch [data-state=available]")).to_have_attribute("aria-checked", "true")
        await customer_writes(gw, "Victor", "vip@example.com")
        await agent.locator(".offer-card", has_text="Victor").locator("[data-action=accept]").click()
        await expect(agent.locator("#conv-heading")).to_have_text("Victor")
        await expect(agent.locator(".customer section.crm .crm-unavailable")).to_have_text("CRM nicht erreichbar")
        watch.assert_clean()


async def test_the_deep_link_opens_the_conversation_after_the_login_and_refuses_others(redis, redis_url, browser):
    async with crm_gateway(redis_url, browser) as (gw, crm):
        crm.customers = {"email:vip@example.com": {"customer_number": "K-1001"}}
        anna, anna_in = await gw.agent("anna")
        cid = await customer_writes(gw, "Victor", "vip@example.com")
        offer = await anna_in.next("offer", lambda o: o["conversation_id"] == cid)
        assert (await anna.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent", timeout=5))["ok"]
        # a sales customer: anna sells nothing, so it is never hers to see
        other = await customer_writes(gw, "Sally", "sally@example.com", topic="sales")

        _, page, watch = await new_page(browser, "agent console")
        await page.goto(f"{gw.url}/agent#conversation={cid}")
        await page.fill("#login-username", "anna")
        await page.fill("#login-password", "anna-demo")
        await page.click(".login-card button[type=submit]")
        await expect(page.locator("#conv-heading")).to_have_text("Victor")
        await expect(page.locator(".conv-item.active, .conv-item[aria-current=true]")).to_have_count(1)
        await expect(page.locator(".customer section.crm dd[data-crm-key=customer_number]")).to_have_text("K-1001")

        await page.evaluate("id => { location.hash = 'conversation=' + id }", other)
        await expect(page.locator(".toast")).to_have_text(
            "This conversation cannot be opened: it does not exist, or you may not see it.")
        await expect(page.locator("#conv-heading")).to_have_text("Victor")  # still on the one she holds
        await page.evaluate("() => { location.hash = 'conversation=c_0000000000000000' }")
        await expect(page.locator(".toast")).to_have_text(
            "This conversation cannot be opened: it does not exist, or you may not see it.")
        watch.assert_clean()
