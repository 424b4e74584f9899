"""The assist in a real browser (issue 14): the agent's suggestion panel (three answers for the customer's
message, Alt+1 inserts one and it is sent with its canned_id, which the gateway stores as a learning
signal), the detected topic and language chips and a one-click correction that moves the conversation,
and a widget visitor's automatic answer, marked, with "Talk to a person" leading to an agent's offer."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import aiohttp
import pytest
from admin_helpers import call, token
from browser_helpers import (  # noqa: F401  (_browser is the `browser` fixture)
    _browser,
    accept_offer,
    agent_available,
    agent_log,
    log_in,
    new_page,
    open_widget,
    socket_visitor,
    start_chat,
    visitor_send,
    widget_messages,
)
from conftest import DEMO_CONFIG, eventually, running_gateway
from history_helpers import history_gateway
from playwright.async_api import expect
from test_browser_a11y import assert_accessible

from assist.demo import agent_week
from gateway.config import load_config

sys.path.insert(0, str(Path(__file__).parent / "bridges"))
from telegram_standin import TOKEN, StandIn, running  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

SECRET = "browser-assist-secret"


async def _choices(db, conversation_id: str) -> list[tuple[str, str]]:
    rows = await db.fetch("SELECT text, canned_id FROM assist_choices WHERE tenant_id = 'demo' AND conversation_id = $1 "
                          "ORDER BY id", conversation_id)
    return [(r["text"], r["canned_id"]) for r in rows]


async def test_the_suggestion_panel_inserts_an_answer_that_is_sent_with_its_canned_id(
        redis, redis_url, database_url, history_db, browser):
    config = load_config(DEMO_CONFIG, env={})
    config.tenants["demo"].assist.auto_answer = False  # every conversation reaches an agent here
    async with history_gateway(config, redis_url, database_url) as gw:
        _, anna, watch = await new_page(browser, "anna's console", width=1400, height=900)
        await agent_available(anna, gw.url, "anna")
        visitor, inbox, _ = await socket_visitor(gw, "Sue Suggest", ["You charged me twice"])
        await accept_offer(anna, "Sue Suggest")
        session = await inbox.next("session", lambda d: d.get("conversation_id"))
        cid = session["conversation_id"]

        # three suggestions for the customer's message, the best first, each saying why
        panel = anna.locator(".conversation .suggestions")
        items = panel.locator("button.suggestion")
        await expect(items).to_have_count(3)
        await expect(items.first).to_have_attribute("data-canned-id", "double-charge-en")
        await expect(items.first.locator(".suggestion-title")).to_have_text("Charged twice")
        await expect(items.first.locator(".suggestion-why")).to_contain_text("matched:")
        await expect(items.first.locator("kbd")).to_have_text("Alt+1")

        # the customer asks something else: the panel follows the last message
        ack = await visitor.call("message", {"text": "How do I update my credit card?", "client_id": "sue-2"},
                                 namespace="/visitor", timeout=5)
        assert "error" not in ack, ack
        await expect(items.first).to_have_attribute("data-canned-id", "payment-methods-en")
        await expect(items).to_have_count(3)

        # Alt+1 in the composer inserts it; Enter sends it
        composer = anna.locator("#composer-input")
        await composer.focus()
        await anna.keyboard.press("Alt+1")
        payment = next(c for c in config.tenants["demo"].canned if c.id == "payment-methods-en").text
        await expect(composer).to_have_value(payment)
        await composer.press("Enter")
        await expect(agent_log(anna).locator(".msg[data-author=agent] .text")).to_have_text([payment])
        await inbox.next("message", lambda m: m.get("text") == payment)
        # the gateway learned which answer went to which customer message
        await eventually(lambda: _choices(history_db, cid), timeout=10)
        assert await _choices(history_db, cid) == [("How do I update my credit card?", "payment-methods-en")]

        # a canned answer picked through "/" goes with its canned_id too
        await composer.fill("/Greet")
        await expect(anna.locator("#canned-list [role=option]").first).to_contain_text("Greeting")
        await composer.press("Enter")
        await expect(composer).to_have_value("Hello! How can I help you today?")
        await composer.press("Enter")
        await eventually(lambda: _two_choices(history_db, cid), timeout=10)
        assert (await _choices(history_db, cid))[1] == ("How do I update my credit card?", "hello-en")

        # the cheat sheet lists the keys
        await anna.locator(".conversation .log").focus()
        await anna.keyboard.press("?")
        await expect(anna.locator("dialog.shortcuts")).to_contain_text("Insert suggestion 1, 2 or 3")
        await anna.keyboard.press("Escape")
        await assert_accessible(anna, "console: suggestions showing")
        watch.assert_clean()


async def _two_choices(db, cid: str) -> bool:
    return len(await _choices(db, cid)) >= 2


async def test_the_topic_chip_shows_the_detection_and_a_correction_moves_the_conversation(redis, redis_url, browser):
    async with running(StandIn()) as api:
        env = {"TELEGRAM_API_BASE": api.url, "TELEGRAM_SECRET": SECRET, "TELEGRAM_TOKEN": TOKEN}
        config = load_config(DEMO_CONFIG, env=env)
        telegram = config.tenants["demo"].channels["telegram"]
        telegram.topic, telegram.default_topic = "auto", "billing"  # the classifier picks the topic here
        async with running_gateway(config, redis_url) as gw:
            _, anna, watch = await new_page(browser, "anna's console", width=1400, height=900)
            await agent_available(anna, gw.url, "anna")
            clara, clara_in = await gw.agent("clara")

            update = _telegram_update(
                "Hallo, Sie haben mir diesen Monat die Rechnung zweimal abgebucht. Bitte erstatten Sie den doppelten Betrag.")
            async with aiohttp.ClientSession() as http:
                async with http.post(f"{gw.url}/webhooks/telegram/telegram", data=json.dumps(update).encode(),
                                     headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as r:
                    assert r.status == 200
            await accept_offer(anna, "Greta")

            # the detected topic and language, each with its confidence
            topic = anna.locator(".conv-meta .assist-chip[data-assist=topic]")
            language = anna.locator(".conv-meta .assist-chip[data-assist=language]")
            await expect(topic).to_have_text(re.compile(r"^Topic: Billing · \d{1,3} %$"))
            await expect(language).to_have_text(re.compile(r"^Language: Deutsch · \d{1,3} %$"))
            await expect(topic).to_have_attribute("aria-expanded", "false")

            # one click opens the tenant's topics; the detected one is checked
            await topic.click()
            menu = anna.locator(".assist-menu[role=menu]")
            await expect(menu).to_be_visible()
            await expect(menu.locator("[aria-checked=true]")).to_have_text("Billing")
            await expect(menu.get_by_role("menuitemradio")).to_have_count(len(config.tenants["demo"].topics))
            await assert_accessible(anna, "console: the topic correction menu")
            # Escape closes it, the chip has the focus again
            await anna.keyboard.press("Escape")
            await expect(menu).to_have_count(0)
            await expect(topic).to_be_focused()

            # it is about sales after all: the conversation moves to the sales queue, and the agent is told
            await topic.click()
            await menu.get_by_role("menuitemradio", name="Sales").click()
            await expect(anna.locator(".toast")).to_have_text("Topic corrected: the conversation moved to Sales.")
            await expect(anna.locator(".conv-item", has_text="Greta")).to_have_count(0)
            # Clara (sales, German) gets it
            offer = await clara_in.next("offer", lambda o: o.get("queue") == "sales", timeout=10)
            assert offer["contact"]["name"] == "Greta" and offer["topic"] == "sales"  # the offer names the corrected topic
            await clara.call("decline", {"offer_id": offer["offer_id"]}, namespace="/agent", timeout=5)
            watch.assert_clean()


def _telegram_update(text: str) -> dict:
    return {
        "update_id": 700001,
        "message": {
            "message_id": 41,
            "from": {"id": 5550001, "is_bot": False, "first_name": "Greta", "language_code": "de"},
            "chat": {"id": 5550001, "first_name": "Greta", "type": "private"},
            "date": 1700000000,
            "text": text,
        },
    }


async def test_a_widget_visitor_answered_automatically_can_ask_for_a_person(
        redis, redis_url, database_url, history_db, browser):
    # What the demo's agents answered with during a week: enough for a threshold of 95 % precision.
    config = load_config(DEMO_CONFIG, env={})
    config.tenants["demo"].assist.escalation_min_samples = 1  # one escalation judges the answer here
    known = {c.id for c in config.tenants["demo"].canned}
    week = [c for c in agent_week() if c.canned_id in known]
    await history_db.executemany(
        "INSERT INTO assist_choices (tenant_id, text, canned_id, language) VALUES ('demo', $1, $2, $3)",
        [(c.text, c.canned_id, c.language or "") for c in week])
    async with history_gateway(config, redis_url, database_url) as gw:
        _, anna, anna_watch = await new_page(browser, "anna's console", width=1400, height=900)
        await agent_available(anna, gw.url, "anna")
        _, sam, sam_watch = await new_page(browser, "sam's dashboard", width=1400, height=900)
        await log_in(sam, f"{gw.url}/supervisor", "sam")
        await expect(sam.locator(".conn")).to_have_text("Connected")
        card = sam.locator(".assist-card")
        await expect(card.locator("tr[data-canned-id=invoice-copy-en]")).to_be_visible()
        _, page, watch = await new_page(browser, "visitor")
        await open_widget(page, gw.url)
        await start_chat(page, "Ida Invoice", topic="billing", language="en")
        await visitor_send(page, "Can you send me my invoice again?")

        # the answer comes at once, marked as automatic, with the way to a person under it
        answer = page.locator(".log .msg[data-auto]")
        await expect(answer).to_have_count(1)
        await expect(answer.locator(".author")).to_have_text("Automatic answer")
        invoice = next(c for c in config.tenants["demo"].canned if c.id == "invoice-copy-en").text
        await expect(answer.locator(".text")).to_have_text(invoice)
        await expect(anna.locator(".offer-card")).to_have_count(0)  # nobody was asked for it
        person = page.locator(".person-choice button")
        await expect(person).to_have_text("Talk to a person")
        await assert_accessible(page, "widget: an automatic answer")

        await person.click()
        await expect(person).to_have_count(0)
        # the usual waiting: the gateway's line, then an agent's offer with the conversation
        await expect(page.locator(".log .notice.system").last).to_contain_text("One of us will take over")
        await accept_offer(anna, "Ida Invoice")
        log = agent_log(anna)
        await expect(log.locator(".msg.auto-answer")).to_have_count(1)
        await expect(log.locator(".msg.auto-answer .author")).to_have_text("Automatic answer")
        await expect(log.locator(".msg.auto-answer .text")).to_have_text(invoice)
        assert [m["text"] for m in await widget_messages(page)][:2] == ["Can you send me my invoice again?", invoice]

        # the supervisor: one sent, one escalated, so (one sample enough here) the answer is switched off
        await expect(sam.locator(".toast")).to_contain_text(
            "Automatic answer “Copy of an invoice” was switched off: too many customers still asked for a person (1 of 1)")
        row = card.locator("tr[data-canned-id=invoice-copy-en]")
        await expect(row).to_have_attribute("data-disabled", "true")
        await expect(row.locator("td")).to_have_text(["Billing", "1", "1", "0", "100 %", re.compile(r"^Switched off: too many customers still asked for a person \(1 of 1\) ")])
        await assert_accessible(sam, "dashboard: automatic answers")
        # switched on again from the card: its figures start afresh
        await row.get_by_role("button", name="Switch on again: Copy of an invoice").click()
        await expect(row).to_have_attribute("data-disabled", "false")
        await expect(row.locator("td")).to_have_text(["Billing", "0", "0", "0", "0 %", "Active"])
        for w in (watch, anna_watch, sam_watch):
            w.assert_clean()


async def test_the_admin_approves_an_answer_for_automatic_use_and_excludes_a_topic(
        redis, redis_url, database_url, history_db, browser):
    await history_db.execute("TRUNCATE admin_settings, admin_revisions")
    async with history_gateway(load_config(DEMO_CONFIG, env={}), redis_url, database_url) as gw:
        _, page, watch = await new_page(browser, "admin", width=1400, height=1000)
        await log_in(page, f"{gw.url}/admin", "sam")
        row = page.locator("#canned tr[data-canned=invoice-copy-en]")
        await expect(row).to_contain_text("automatic in: Billing")
        await row.locator("[data-action=edit]").click()
        form = page.locator("form[data-form=canned]")
        queues = form.locator("#canned-auto_queues")
        await expect(queues.locator("input[value=billing]")).to_be_checked()
        await expect(queues.locator("input[value=tech]")).not_to_be_checked()
        await expect(form.locator("#canned-topic")).to_have_value("billing")
        examples = form.locator("#canned-examples")
        await expect(examples).to_have_value(re.compile(r"^Can you send me my invoice again\?\n"))
        await queues.locator("input[value=tech]").check()
        await examples.fill("Can you send me my invoice again?\n\n  Invoice copy please  \n")
        await assert_accessible(page, "admin: the canned answer form with its assist fields")
        await form.locator("button[type=submit]").click()
        await expect(form).to_have_count(0)
        await expect(row).to_contain_text("automatic in: Billing, Tech")

        await page.locator("#queues tr[data-queue=billing] [data-action=edit]").click()
        qform = page.locator("form[data-form=queue]")
        await qform.locator("#queue-auto_exclude_topics input[value=sales]").check()
        await qform.locator("button[type=submit]").click()
        await expect(qform).to_have_count(0)

        # a topic's example messages, one per line and language
        await page.locator("#topics tr[data-topic=sales] [data-action=edit]").click()
        tform = page.locator("form[data-form=topic]")
        english = tform.locator("#topic-examples-en")
        await expect(english).to_have_value(re.compile(r"\S+\n\S+"))  # the demo's examples, one a line
        await english.fill("How much is Pro?\nDo you sell outdoor cameras?\n")
        await tform.locator("button[type=submit]").click()
        await expect(tform).to_have_count(0)

        status, settings, _ = await call(gw, "GET", "/api/v1/admin/settings", await token(gw))
        assert status == 200
        canned = next(c for c in settings["canned"] if c["id"] == "invoice-copy-en")
        assert canned["auto_queues"] == ["billing", "tech"]
        assert canned["examples"] == ["Can you send me my invoice again?", "Invoice copy please"]
        billing = next(q for q in settings["queues"] if q["id"] == "billing")
        assert "sales" in billing["auto_exclude_topics"]
        sales = next(t for t in settings["topics"] if t["id"] == "sales")
        assert sales["examples"]["en"] == ["How much is Pro?", "Do you sell outdoor cameras?"]
        assert len(sales["examples"]["de"]) >= 10  # the other language's examples kept
        watch.assert_clean()
