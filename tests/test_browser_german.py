"""A German agent and a German supervisor: the language chosen on the login form or in the header
is remembered across a reload (without losing the login), every view they read is German — and no
English is left in it — while an English browser still starts in English."""

from __future__ import annotations

import re

import pytest
from browser_helpers import (  # noqa: F401  (_browser is the `browser` fixture)
    _browser,
    log_in,
    new_page,
    socket_visitor,
)
from playwright.async_api import Page, expect

pytestmark = pytest.mark.browser

# Words that are English and never German: one of them in a German view is a text left untranslated.
ENGLISH = {
    "the", "and", "of", "to", "you", "your", "is", "are", "not", "with", "for", "has", "this", "that", "on",
    "off", "log", "out", "in", "accept", "decline", "close", "transfer", "escalate", "send", "reply", "customer",
    "conversation", "conversations", "offer", "offers", "waiting", "waited", "wait", "loading", "connected",
    "connecting", "available", "away", "language", "topic", "earlier", "none", "typing", "search", "messages",
    "message", "note", "left", "wrap", "up", "dismiss", "alerts", "state", "unread", "queue", "queues",
    "agents", "email", "phone", "longest", "occupancy", "level", "service", "abandoned", "needed", "time",
    "load", "capacity", "channel", "channels", "health", "live", "reports", "interval", "show", "from", "audit",
    "actor", "action", "when", "details", "role", "data", "protection", "contact", "export", "erase", "words",
    "code", "cancel", "choose", "shortcuts", "keyboard", "internal", "reached", "busy", "callbacks", "hour",
    "day", "week", "minutes", "logged", "online", "answered", "offered", "transfers", "summary", "sound", "now",
}
# Texts that are the same in both languages or are not the console's own words: names, the brand,
# the language names in the switch, what the tenant configured (queue and topic names).
ALLOWED = {
    "omnirelay", "anna", "ben", "clara", "sam", "max", "muster", "english", "deutsch", "billing", "tech", "sales",
    "callback", "no_answer", "de", "en", "offline", "chat", "agent", "name", "label", "admin",
    "live", "technical", "support",
}
CUSTOMER_WORDS = "Meine Rechnung ist doppelt abgebucht"

# What a person reads: the text shown, and the labels, placeholders and titles of what is shown.
# The audit log's details column is the stored record as it is (field: value), not the console's words.
VISIBLE_TEXT = """(root) => {
    const attrs = [];
    for (const el of root.querySelectorAll('*')) {
        if (!el.getClientRects().length) continue;  // not shown
        for (const name of ['aria-label', 'placeholder', 'title']) {
            const v = el.getAttribute(name);
            if (v) attrs.push(v);
        }
    }
    const records = [...root.querySelectorAll('.audit-details')].map((cell) => cell.innerText);
    return { text: root.innerText, attrs, records };
}"""


async def english_left(page: Page, selector: str = "body") -> list[str]:
    """English words in the visible text (and labels, placeholders, titles) of ``selector``."""
    shown = await page.locator(selector).first.evaluate(VISIBLE_TEXT)
    text = "\n".join([shown["text"], *shown["attrs"]])
    for own in (CUSTOMER_WORDS, *shown["records"]):
        text = text.replace(own, " ")
    words = {w.lower() for w in re.findall(r"[A-Za-zÄÖÜäöüß_]+", text)}
    return sorted(w for w in words if w in ENGLISH and w not in ALLOWED)


async def test_a_german_agent_reads_a_german_console_and_keeps_it_after_a_reload(gateway_server, browser):
    base = gateway_server.url
    _, page, watch = await new_page(browser, "anna's console", width=1400, height=900)
    await page.goto(f"{base}/agent")
    # An English browser starts in English; the agent switches on the login form.
    await expect(page.locator("label[for=login-username]")).to_have_text("Username")
    await page.select_option("#login-lang", "de")
    await expect(page.locator("label[for=login-username]")).to_have_text("Benutzername")
    await expect(page.locator("html")).to_have_attribute("lang", "de")
    await expect(page.locator("#login-title")).to_have_text("Agenten-Konsole")
    await expect(page.locator(".login-card button[type=submit]")).to_have_text("Anmelden")
    assert await english_left(page) == []

    await page.fill("#login-username", "anna")
    await page.fill("#login-password", "wrong")
    await page.click(".login-card button[type=submit]")
    await expect(page.locator("#login-error")).to_have_text("Benutzername oder Passwort ist falsch.")
    await log_in(page, f"{base}/agent", "anna")

    # The header and the state menu.
    await expect(page.locator(".conn")).to_have_text("Verbunden")
    switch = page.locator(".state-switch")
    await expect(switch).to_have_attribute("aria-label", "Ihr Status")
    await expect(switch.locator("[data-state=available]")).to_have_text("Verfügbar")
    await expect(switch.locator("[data-state=away]")).to_have_text("Abwesend")
    await expect(page.locator(".conversations .empty")).to_have_text(
        "Keine Gespräche. Setzen Sie sich auf verfügbar, um Angebote zu erhalten.")
    await page.click(".state-switch [data-state=available]")
    await expect(switch.locator("[data-state=available]")).to_have_attribute("aria-checked", "true")
    assert await english_left(page) == []

    # An offer card and its buttons.
    await socket_visitor(gateway_server, "Max Muster", [CUSTOMER_WORDS], language="de")
    card = page.locator(".offer-card", has_text="Max Muster")
    await expect(card).to_be_visible()
    await expect(page.locator("#offers-title")).to_contain_text("Angebote")
    await expect(card.locator("[data-action=accept]")).to_have_text("Annehmen")
    await expect(card.locator("[data-action=decline]")).to_have_text("Ablehnen")
    await expect(card.locator(".left")).to_have_text(re.compile(r"^noch \d+ s$"))
    await expect(card).to_contain_text("Rechnung")  # the topic in German
    await expect(card).to_contain_text("Gewartet")
    assert await english_left(page) == []

    # The conversation view.
    await card.locator("[data-action=accept]").click()
    await expect(page.locator("#conv-heading")).to_have_text("Max Muster")
    actions = page.locator(".conv-actions")
    await expect(actions.locator("[data-action=transfer]")).to_have_text("Weiterleiten")
    await expect(actions.locator("[data-action=escalate]")).to_have_text("Eskalieren")
    await expect(actions.locator("[data-action=close]")).to_have_text("Schließen")
    await expect(page.locator("#composer-input")).to_have_attribute("placeholder", "Antworten… (/ für Textbausteine)")
    await expect(page.locator(".composer button[type=submit]")).to_have_text("Senden")
    await expect(page.locator("#customer-title")).to_have_text("Kunde")
    await expect(page.locator(".customer .details")).to_contain_text("Sprache")
    await expect(page.locator(".customer")).to_contain_text("Frühere Gespräche")
    await expect(page.locator(".log .msg[data-author=visitor]")).to_contain_text(CUSTOMER_WORDS)
    assert await english_left(page) == []

    # The keyboard shortcuts cheat sheet.
    await page.locator("#conv-heading").click()
    await page.keyboard.press("?")
    sheet = page.locator("dialog.shortcuts")
    await expect(sheet.locator("h2")).to_have_text("Tastenkürzel")
    await expect(sheet).to_contain_text("Ältestes Angebot annehmen")
    assert await english_left(page, "dialog.shortcuts") == []
    await sheet.locator("button").click()
    await expect(sheet).to_have_count(0)

    # The close dialog (the wrap-up codes are the tenant's own).
    await actions.locator("[data-action=close]").click()
    dialog = page.locator("dialog[open]")
    await expect(dialog.locator("h2")).to_have_text("Gespräch schließen")
    await expect(dialog.locator("label[for=wrapup-code]")).to_have_text("Abschlusscode")
    await expect(dialog.locator("button[type=button]")).to_have_text("Abbrechen")
    await expect(dialog.locator("button[type=submit]")).to_have_text("Schließen")
    assert await english_left(page, "dialog[open]") == []
    await dialog.locator("button[type=submit]").click()
    await expect(page.locator(".toast")).to_have_text("Gespräch geschlossen.")

    # Reloaded: still German and still logged in.
    await page.reload()
    await expect(page.locator(".conn")).to_have_text("Verbunden")
    await expect(page.locator(".login-card")).to_have_count(0)
    await expect(page.locator(".state-switch [data-state=available]")).to_have_text("Verfügbar")
    await expect(page.locator("html")).to_have_attribute("lang", "de")
    assert await english_left(page) == []

    # The header switch goes back to English, again without a new login.
    await page.select_option("#console-lang", "en")
    await expect(page.locator(".state-switch [data-state=available]")).to_have_text("Available")
    await expect(page.locator(".conn")).to_have_text("Connected")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    watch.assert_clean()


async def test_a_supervisor_switches_the_dashboard_to_german(gateway_server, browser):
    base = gateway_server.url
    await gateway_server.agent("anna")  # available, so the agents table has a state to show
    _, page, watch = await new_page(browser, "sam's dashboard", width=1300, height=1000)
    await log_in(page, f"{base}/supervisor", "sam")
    await expect(page.locator("#q-title")).to_have_text("Queues")

    await page.select_option("#console-lang", "de")
    await expect(page.locator("#q-title")).to_have_text("Warteschlangen")
    await expect(page.locator(".login-card")).to_have_count(0)  # the reload kept the login
    await expect(page.locator(".conn")).to_have_text("Verbunden")
    headings = page.locator("table.queues thead th")
    await expect(headings).to_have_text(["Warteschlange", "Wartend", "Längste Wartezeit", "Erw. Wartezeit",
                                         "Servicelevel (15 Min.)", "Abgebrochen", "Ø Annahmezeit",
                                         "Ø Bearbeitungszeit", "Benötigte Agenten"])
    await expect(page.locator("table.agents thead th")).to_have_text(
        ["Agent", "Status", "Zeit im Status", "Last / Kapazität", "Auslastung"])
    await expect(page.locator("tr[data-agent=anna] .pill")).to_have_text("verfügbar")
    await expect(page.locator("tr[data-agent=ben] .pill")).to_have_text("nicht angemeldet")
    await expect(page.locator("[data-tile=waiting] .tile-label")).to_have_text("Wartend")
    await expect(page.locator("#a-title")).to_have_text("Agenten")
    assert await english_left(page) == []

    # A waiting customer appears in the live table with German words around them.
    await socket_visitor(gateway_server, "Max Muster", [CUSTOMER_WORDS], language="de")
    row = page.locator("tr[data-conversation-id]", has_text="Max Muster")
    await expect(row).to_be_visible()
    await expect(page.locator("#l-title")).to_have_text("Laufende Gespräche")
    assert await english_left(page) == []

    # Reloaded: still German.
    await page.reload()
    await expect(page.locator("#q-title")).to_have_text("Warteschlangen")
    await expect(page.locator("html")).to_have_attribute("lang", "de")
    watch.assert_clean()


async def test_a_german_browser_starts_in_german_and_an_english_one_in_english(gateway_server, browser):
    _, german, _ = await new_page(browser, "a German browser", locale="de-DE")
    await german.goto(f"{gateway_server.url}/supervisor")
    await expect(german.locator("#login-title")).to_have_text("Supervisor-Dashboard")
    await expect(german.locator("label[for=login-password]")).to_have_text("Passwort")
    _, english, _ = await new_page(browser, "an English browser")
    await english.goto(f"{gateway_server.url}/supervisor")
    await expect(english.locator("#login-title")).to_have_text("Supervisor dashboard")
    await expect(english.locator("html")).to_have_attribute("lang", "en")
