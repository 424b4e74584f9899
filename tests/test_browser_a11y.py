"""Accessibility: axe-core finds no violations on the agent console, the supervisor dashboard and
the visitor widget, in each state a person meets them in; a new offer is announced to screen
readers and in the tab title."""

from __future__ import annotations

import pytest
from browser_helpers import (  # noqa: F401  (_browser is the `browser` fixture)
    ROOT,
    _browser,
    accept_offer,
    agent_available,
    agent_send,
    log_in,
    new_page,
    open_widget,
    socket_visitor,
    start_chat,
    visitor_send,
)
from playwright.async_api import Page, expect

pytestmark = pytest.mark.browser

AXE = ROOT / "widget" / "node_modules" / "axe-core" / "axe.min.js"


async def axe_violations(page: Page) -> list[str]:
    """axe-core's violations on the page as it is now (one line each: rule, impact, where)."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm install` in widget/")
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        # evaluated through the DevTools protocol, which the page's CSP does not govern: the
        # production CSP (script-src 'self') stays as it is for the test
        await page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    found = await page.evaluate(
        """async () => {
            // a panel that is still fading in would be measured half transparent
            const roots = [document, ...[...document.querySelectorAll('*')].filter(e => e.shadowRoot).map(e => e.shadowRoot)];
            await Promise.all(roots.flatMap(r => r.getAnimations()).map(a => a.finished.catch(() => undefined)));
            const result = await window.axe.run(document, { resultTypes: ['violations'] });
            return result.violations.map(v => `${v.id} (${v.impact}): ${v.help} — ` +
                v.nodes.map(n => n.target.join(' ') + (n.failureSummary ? ` [${n.failureSummary.replace(/\\s+/g, ' ')}]` : '')).join(' | '));
        }"""
    )
    return list(found)


async def assert_accessible(page: Page, where: str) -> None:
    violations = await axe_violations(page)
    assert not violations, f"{where}: axe-core found\n" + "\n".join(violations)


async def test_the_agent_console_passes_axe_in_each_state(gateway_server, browser):
    base = gateway_server.url
    _, anna, watch = await new_page(browser, "anna's console", width=1400, height=820)
    await anna.goto(f"{base}/agent")
    await expect(anna.locator("#login-username")).to_be_visible()
    await assert_accessible(anna, "console: login form")

    await agent_available(anna, base, "anna")
    await assert_accessible(anna, "console: logged in, nothing to do")

    ada, _, _ = await socket_visitor(gateway_server, "Ada Access", ["My invoice is wrong"])
    await expect(anna.locator(".offer-card", has_text="Ada Access")).to_be_visible()
    await assert_accessible(anna, "console: an offer showing")

    await accept_offer(anna, "Ada Access")
    await agent_send(anna, "Hello Ada, let me look.")
    await expect(anna.locator(".conversation .log .msg[data-author=agent]")).to_have_count(1)
    # the customer types: shown and announced (a polite live region)
    await ada.call("typing", {"on": True}, namespace="/visitor", timeout=5)
    typing = anna.locator(".conversation .typing")
    await expect(typing).to_have_text("Ada Access is typing…")
    assert await typing.get_attribute("aria-live") == "polite"
    await assert_accessible(anna, "console: a conversation open, the customer typing")

    await anna.click(".state-switch [data-state=offline]")
    await expect(anna.locator("dialog.leave-dialog")).to_be_visible()
    await assert_accessible(anna, "console: asked before going offline")
    await anna.click("dialog.leave-dialog [data-action=cancel]")
    await expect(anna.locator("dialog")).to_have_count(0)

    await anna.click(".conv-actions [data-action=close]")
    await expect(anna.locator("dialog")).to_be_visible()
    await assert_accessible(anna, "console: the close dialog")
    watch.assert_clean()


async def test_the_supervisor_dashboard_passes_axe_with_queues_and_agents(gateway_server, browser):
    base = gateway_server.url
    anna, anna_in = await gateway_server.agent("anna")
    await socket_visitor(gateway_server, "Sid Super", ["Anyone?"])
    await anna_in.next("offer")
    _, sam, watch = await new_page(browser, "sam's dashboard", width=1300, height=900)
    await sam.goto(f"{base}/supervisor")
    await expect(sam.locator("#login-username")).to_be_visible()
    await assert_accessible(sam, "dashboard: login form")
    await log_in(sam, f"{base}/supervisor", "sam")
    await expect(sam.locator(".conn")).to_have_text("Connected")
    await expect(sam.locator("tr[data-conversation-id]", has_text="Sid Super")).to_be_visible()
    await expect(sam.locator("tr", has_text="Anna").first).to_be_visible()
    await assert_accessible(sam, "dashboard: queues and agents")
    watch.assert_clean()


async def test_the_widget_passes_axe_from_launcher_to_chat(gateway_server, browser):
    base = gateway_server.url
    _, page, watch = await new_page(browser, "visitor")
    await page.goto(f"{base}/demo")
    await expect(page.locator("#omnirelay-widget .launcher")).to_be_visible()
    await assert_accessible(page, "widget: launcher")

    await open_widget(page, base)
    await expect(page.locator("#or-name")).to_be_visible()
    await assert_accessible(page, "widget: pre-chat form")

    anna, anna_in = await gateway_server.agent("anna")
    await start_chat(page, "Wendy Widget", topic="billing", language="en")
    await visitor_send(page, "Can you help me with my bill?")
    offer = await anna_in.next("offer")
    await anna.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent", timeout=5)
    ack = await anna.call(
        "message", {"conversation_id": offer["conversation_id"], "text": "Of course!", "client_id": "a1"},
        namespace="/agent", timeout=5,
    )
    assert "error" not in ack, ack
    await expect(page.locator(".log .msg[data-author=agent]")).to_have_count(1)
    await assert_accessible(page, "widget: chat with messages")
    watch.assert_clean()
