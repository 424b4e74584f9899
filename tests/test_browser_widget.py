"""The widget speaks German and English, works by keyboard, and offers email or callback when nobody is online."""

from __future__ import annotations

import pytest
from browser_helpers import (  # noqa: F401  (_browser is the `browser` fixture)
    _browser,
    new_page,
    open_widget,
    start_chat,
    visitor_send,
)
from playwright.async_api import expect

pytestmark = pytest.mark.browser


async def shadow_focus(page) -> str | None:
    return await page.evaluate(
        "() => { const a = document.getElementById('omnirelay-widget').shadowRoot.activeElement;"
        " return a ? (a.id || a.className) : null; }"
    )


async def test_german_browser_gets_german_texts_and_can_switch_to_english(gateway_server, browser):
    _, page, watch = await new_page(browser, "widget", locale="de-DE")
    await page.goto(f"{gateway_server.url}/demo")
    launcher = page.locator("#omnirelay-widget .launcher")
    await expect(launcher).to_have_attribute("aria-label", "Chatten Sie mit uns")
    await launcher.click()
    await expect(page.locator("#or-language")).to_have_value("de")
    await expect(page.locator("label[for=or-name]")).to_have_text("Ihr Name")
    await expect(page.locator("#or-topic option:checked")).to_have_text("Rechnung")
    await expect(page.locator("form.prechat button[type=submit]")).to_have_text("Chat starten")

    # An empty name is refused, in German.
    await page.click("form.prechat button[type=submit]")
    await expect(page.locator("#or-name-error")).to_have_text("Bitte geben Sie Ihren Namen ein.")
    assert await shadow_focus(page) == "or-name"

    await page.select_option("#or-language", "en")
    await expect(page.locator("label[for=or-name]")).to_have_text("Your name")
    await expect(page.locator("#or-topic option:checked")).to_have_text("Billing")
    await expect(page.locator("form.prechat button[type=submit]")).to_have_text("Start chat")
    await page.select_option("#or-language", "de")
    await expect(page.locator("form.prechat button[type=submit]")).to_have_text("Chat starten")

    # Nobody is online: the chat says so in German and offers email or a callback.
    await start_chat(page, "Greta Gast", email="greta@example.com", topic="billing")
    await expect(page.locator("#or-input")).to_have_attribute("placeholder", "Nachricht schreiben…")
    await visitor_send(page, "Hallo, ist jemand da?")
    await expect(page.locator(".msg[data-author=visitor]")).to_have_attribute("data-state", "sent")
    await expect(page.locator(".queue")).to_contain_text("Position 1")
    offer = page.locator(".offer")
    await expect(offer).to_contain_text("Gerade ist niemand online.")
    await offer.locator("[data-action=email]").click()
    await expect(page.locator("#or-esc-email")).to_have_value("greta@example.com")
    await offer.locator("button[type=submit]").click()
    await expect(offer).to_contain_text("Danke. Wir antworten per E-Mail an greta@example.com.")
    watch.assert_clean()


async def test_english_widget_by_keyboard_with_aria_roles(gateway_server, browser):
    _, page, watch = await new_page(browser, "widget", locale="en-US")
    await page.goto(f"{gateway_server.url}/demo")
    launcher = page.locator("#omnirelay-widget .launcher")
    await expect(launcher).to_have_attribute("aria-label", "Chat with us")
    await launcher.focus()
    await page.keyboard.press("Enter")
    await expect(page.locator("#or-panel")).to_be_visible()
    await expect(page.locator("#or-panel")).to_have_attribute("role", "dialog")
    await expect(launcher).to_have_attribute("aria-expanded", "true")
    assert await shadow_focus(page) == "or-name"
    await expect(page.locator("label[for=or-name]")).to_have_text("Your name")

    # Fill the form with the keyboard only.
    await page.keyboard.type("Kim Keys")
    await page.keyboard.press("Tab")
    await page.keyboard.type("kim@example.com")
    await page.keyboard.press("Enter")
    await expect(page.locator("#or-input")).to_be_visible()
    assert await shadow_focus(page) == "or-input"
    await expect(page.locator(".log")).to_have_attribute("role", "log")
    await expect(page.locator(".log")).to_have_attribute("aria-live", "polite")
    await page.keyboard.type("Hello by keyboard")
    await page.keyboard.press("Enter")
    await expect(page.locator(".msg[data-author=visitor]", has_text="Hello by keyboard")).to_have_attribute(
        "data-state", "sent"
    )
    await expect(page.locator(".queue")).to_contain_text("You are number 1 in line.")

    # Escape closes the panel and gives focus back to the launcher.
    await page.keyboard.press("Escape")
    await expect(page.locator("#or-panel")).to_be_hidden()
    await expect(launcher).to_have_attribute("aria-expanded", "false")
    assert "launcher" in (await shadow_focus(page) or "")
    watch.assert_clean()
