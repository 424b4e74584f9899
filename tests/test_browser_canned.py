"""The canned-answer browser in the agent console (issue 13): a button beside the composer opens a
dialog with all the tenant's canned answers, the conversation's language first with a switch for
the others, a search over title and text, previews with the placeholders filled; the chosen answer
lands at the composer's caret, is sent with its canned_id and reaches the visitor; Escape closes
and gives the composer the focus back; the open dialog is axe-clean."""

from __future__ import annotations

import pytest
from browser_helpers import (  # noqa: F401  (_browser is the `browser` fixture)
    _browser,
    accept_offer,
    agent_available,
    agent_log,
    new_page,
    socket_visitor,
)
from conftest import DEMO_CONFIG, eventually
from history_helpers import history_gateway
from playwright.async_api import expect
from test_browser_a11y import assert_accessible
from test_browser_assist import _choices  # what the gateway learned from a conversation

from gateway.config import load_config
from gateway.config.schema import CannedConfig

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

GREETING = "Hello {{customer.name}}, {{agent.name}} here. How can I help?"


async def test_the_canned_browser_inserts_a_filled_answer_that_reaches_the_visitor(
        redis, redis_url, database_url, history_db, browser):
    config = load_config(DEMO_CONFIG, env={})
    tenant = config.tenants["demo"]
    tenant.assist.auto_answer = False  # the conversation reaches an agent
    tenant.canned.append(CannedConfig("greet-by-name", "Greeting by name", GREETING, "en"))
    english = sum(1 for c in tenant.canned if c.language in ("en", ""))
    assert 0 < english < len(tenant.canned)  # the demo has German answers the switch adds

    async with history_gateway(config, redis_url, database_url) as gw:
        _, anna, watch = await new_page(browser, "anna's console", width=1400, height=900)
        await agent_available(anna, gw.url, "anna")
        _, inbox, _ = await socket_visitor(gw, "Carla Canned", ["My parcel has not arrived"],
                                           language="en", topic="billing")
        await accept_offer(anna, "Carla Canned")
        session = await inbox.next("session", lambda d: d.get("conversation_id"))
        cid = session["conversation_id"]

        composer = anna.locator("#composer-input")
        await composer.fill("Thanks for waiting.")
        dialog = anna.locator("dialog.canned-browser")
        entries = dialog.locator("button.canned-entry")

        # Escape closes the browser and the composer has the focus again, its text untouched
        await anna.click(".composer [data-action=canned-browser]")
        await expect(dialog).to_be_visible()
        await expect(anna.locator("#canned-search")).to_be_focused()
        await anna.keyboard.press("Escape")
        await expect(dialog).to_have_count(0)
        await expect(composer).to_be_focused()
        await expect(composer).to_have_value("Thanks for waiting.")

        # opened with the button: the conversation's language only, until the switch shows them all
        await anna.click(".composer [data-action=canned-browser]")
        await expect(entries).to_have_count(english)
        await expect(dialog.locator(".canned-count")).to_have_text(f"{english} answers")
        await expect(dialog.locator("button.canned-entry .pill", has_text="DE")).to_have_count(0)
        await dialog.get_by_label("Show all languages (not only EN)").check()
        await expect(entries).to_have_count(len(tenant.canned))
        await expect(entries.filter(has=anna.locator(".pill", has_text="DE")).first).to_be_visible()
        await dialog.get_by_label("Show all languages (not only EN)").uncheck()
        await expect(entries).to_have_count(english)
        await assert_accessible(anna, "console: the canned-answer browser open")

        # the search narrows by title and by text; the preview has the placeholders filled
        await anna.fill("#canned-search", "invoice")
        invoices = sum(1 for c in tenant.canned if c.language in ("en", "")
                       and ("invoice" in c.title.lower() or "invoice" in c.text.lower()))
        assert 1 < invoices < english
        await expect(entries).to_have_count(invoices)
        # grouped by topic, under the topic's name
        billing = sum(1 for c in tenant.canned if c.language in ("en", "") and c.topic == "billing"
                      and ("invoice" in c.title.lower() or "invoice" in c.text.lower()))
        assert billing > 0
        group = dialog.locator("section.canned-group[data-topic=billing]")
        await expect(group.locator("h3")).to_have_text(tenant.topics["billing"].label["en"])
        await expect(group.locator("button.canned-entry")).to_have_count(billing)
        await anna.fill("#canned-search", "how can i help")  # only in the texts
        await expect(entries).to_have_count(2)  # the demo's greeting and the one added here
        await anna.fill("#canned-search", "by name")
        await expect(entries).to_have_count(1)
        await expect(dialog.locator('section.canned-group[data-topic=""] h3')).to_have_text("Other")  # no topic
        entry = entries.first
        await expect(entry.locator(".canned-title")).to_have_text("Greeting by name")
        await expect(entry.locator(".canned-preview")).to_have_text("Hello Carla Canned, Anna here. How can I help?")
        await anna.fill("#canned-search", "no answer says this")
        await expect(entries).to_have_count(0)
        await expect(dialog).to_contain_text("No canned answer matches.")
        await anna.fill("#canned-search", "by name")

        # chosen: at the caret, filled; the composer has the focus to send it
        await entry.click()
        await expect(dialog).to_have_count(0)
        filled = "Thanks for waiting. Hello Carla Canned, Anna here. How can I help?"
        await expect(composer).to_have_value(filled)
        await expect(composer).to_be_focused()
        await composer.press("Enter")
        await expect(agent_log(anna).locator(".msg[data-author=agent] .text")).to_have_text([filled])
        message = await inbox.next("message", lambda m: m.get("text") == filled)
        assert message["author"]["kind"] == "agent"
        # sent with its canned_id: the gateway learned which answer went to which customer message
        await eventually(lambda: _choices(history_db, cid), timeout=10)
        assert await _choices(history_db, cid) == [("My parcel has not arrived", "greet-by-name")]
        watch.assert_clean()
