"""The agent's workspace in the browser: keyboard shortcuts (not while typing), the cheat sheet,
the offer's preview, an internal note that looks like one and never reaches the customer, safe
clickable links on both sides (``javascript:`` stays text), canned answers with placeholders,
labels and a required wrap-up code in the close dialog."""

from __future__ import annotations

import pytest
from browser_helpers import (  # noqa: F401  (_browser is the `browser` fixture)
    _browser,
    agent_available,
    agent_log,
    gateway_with,
    new_page,
    resume_in_widget,
    socket_visitor,
)
from playwright.async_api import expect

from gateway.config.schema import CannedConfig, LabelConfig, WrapupCodeConfig

pytestmark = [pytest.mark.browser, pytest.mark.timeout(90)]

FIRST = "Hi, my order is late, see https://shop.example/orders/7?x=1.\nAlso javascript:alert(1) please"


def workspace(config) -> None:
    tenant = config.tenants["demo"]
    tenant.labels = {"vip": LabelConfig("vip", "VIP customer")}
    tenant.canned.append(CannedConfig("greet-name", "Greeting by name", "Hello {{customer.name}}, {{agent.name}} here.", "en"))
    billing = tenant.queues["billing"]
    billing.wrapup_codes = {"solved": WrapupCodeConfig("solved", "Solved on first contact")}
    billing.wrapup_required = True


async def test_shortcuts_notes_links_labels_and_wrapup(redis, redis_url, browser):
    async with gateway_with(redis_url, workspace, browser) as gw:
        base = gw.url
        _, anna, watch = await new_page(browser, "anna's console", width=1400, height=820)
        await agent_available(anna, base, "anna")

        # the cheat sheet
        await anna.keyboard.press("?")
        sheet = anna.locator("dialog.shortcuts")
        await expect(sheet).to_contain_text("Accept the oldest offer")
        await anna.keyboard.press("Escape")
        await expect(sheet).to_have_count(0)

        vera, vera_in, token = await socket_visitor(gw, "Vera Visitor", [FIRST], language="en", topic="billing")
        card = anna.locator(".offer-card", has_text="Vera Visitor")
        await expect(card.locator(".offer-preview")).to_have_text(
            "Hi, my order is late, see https://shop.example/orders/7?x=1. Also javascript:alert(1) please")
        await expect(card.locator(".offer-preview a")).to_have_count(0)  # the preview is plain text
        await anna.keyboard.press("a")  # accept
        await expect(anna.locator("#conv-heading")).to_have_text("Vera Visitor")

        # the customer's link is a safe link; javascript: stays text; the line break survives
        msg = agent_log(anna).locator(".msg[data-author=visitor]").first
        link = msg.locator("a.link")
        await expect(link).to_have_count(1)
        await expect(link).to_have_attribute("href", "https://shop.example/orders/7?x=1")
        await expect(link).to_have_attribute("target", "_blank")
        await expect(link).to_have_attribute("rel", "noopener noreferrer")
        assert "\n" in await msg.locator(".text").text_content()
        assert await anna.locator("a[href^='javascript']").count() == 0

        # shortcuts do not fire while typing: a second offer stays while "d" is typed in the composer
        await socket_visitor(gw, "Otto Other", ["Another question"], language="en", topic="billing")
        otto = anna.locator(".offer-card", has_text="Otto Other")
        await expect(otto).to_be_visible()
        await anna.locator("#composer-input").press_sequentially("dja")
        await expect(anna.locator("#composer-input")).to_have_value("dja")
        await expect(otto).to_be_visible()
        await expect(anna.locator("#conv-heading")).to_have_text("Vera Visitor")
        await anna.fill("#composer-input", "")
        await anna.locator("#conv-heading").click()  # out of the field
        offer_id = await otto.get_attribute("data-offer-id")
        await anna.keyboard.press("d")  # decline
        await expect(anna.locator(f".offer-card[data-offer-id='{offer_id}']")).to_have_count(0)

        # "/" opens the canned answers; the placeholders are filled on insert
        await anna.keyboard.press("/")
        await expect(anna.locator("#canned-list")).to_be_visible()
        await anna.locator("#composer-input").press_sequentially("greet-name")
        await anna.locator("#composer-input").press("Enter")  # inserts the highlighted answer
        await expect(anna.locator("#composer-input")).to_have_value("Hello Vera Visitor, Anna here.")
        await anna.fill("#composer-input", "Docs: https://docs.example.org/x and javascript:void(0)")
        await anna.press("#composer-input", "Enter")
        await expect(agent_log(anna).locator(".msg.own a.link")).to_have_attribute("href", "https://docs.example.org/x")

        # an internal note: marked, and it never reaches the customer
        await anna.check("#note-mode")
        await anna.fill("#composer-input", "Customer is a VIP, be kind")
        await anna.press("#composer-input", "Enter")
        note = agent_log(anna).locator(".msg.note")
        await expect(note).to_contain_text("Customer is a VIP, be kind")
        await expect(note.locator(".note-tag")).to_have_text("Internal note")
        assert await note.evaluate("e => getComputedStyle(e).backgroundColor") != await agent_log(anna).locator(
            ".msg[data-author=visitor]").first.evaluate("e => getComputedStyle(e).backgroundColor")
        await anna.uncheck("#note-mode")

        # a label, by its name
        await anna.select_option(".label-add", label="VIP customer")
        await expect(anna.locator(".label-chip[data-label=vip]")).to_contain_text("VIP customer")

        # the widget: the agent's link is a safe link there too, and the note is not shown
        _, widget, widget_watch = await new_page(browser, "Vera's widget")
        await resume_in_widget(widget, base, token, "Vera Visitor")
        wlink = widget.locator("#omnirelay-widget .log a.link", has_text="docs.example.org")
        await expect(wlink).to_have_attribute("href", "https://docs.example.org/x")
        await expect(wlink).to_have_attribute("rel", "noopener noreferrer")
        await expect(wlink).to_have_attribute("target", "_blank")
        await expect(widget.locator("#omnirelay-widget .log")).not_to_contain_text("be kind")
        assert await widget.locator("#omnirelay-widget a[href^='javascript']").count() == 0
        assert not [m for m in vera_in.all("message") if m["author"]["kind"] == "note"]

        # C: the close dialog names the codes, and one is required
        await anna.locator("#conv-heading").click()
        await anna.keyboard.press("c")
        dialog = anna.locator("dialog[open]")
        await expect(dialog.locator("#wrapup-code")).to_have_attribute("required", "")
        await dialog.locator("button[type=submit]").click()
        await expect(dialog).to_be_visible()  # not without a code
        await dialog.locator("#wrapup-code").select_option(label="Solved on first contact")
        await dialog.locator("button[type=submit]").click()
        await expect(anna.locator("dialog[open]")).to_have_count(0)
        await vera_in.next("closed")
        watch.assert_clean()
        widget_watch.assert_clean()

