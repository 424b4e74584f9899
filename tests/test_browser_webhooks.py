"""The admin's event webhooks section (/admin) in a real browser, against local receivers: a
subscription made there shows its signing secret once (copy button, gone once dismissed), "send test
event" reaches the receiver signed and the page shows its 200 and latency, a real conversation's
events appear among the deliveries, a receiver answering 500 ends in a dead letter (short retry
window) that the admin sends again from the page, and a subscription is paused, re-keyed and deleted
(with a confirmation). A config-defined subscription is marked and cannot be deleted there."""

from __future__ import annotations

import json
import re

import pytest
from admin_helpers import fresh_config
from browser_helpers import XSS, _browser, new_page, socket_visitor  # noqa: F401  (_browser is the `browser` fixture)
from conftest import DEMO_CONFIG, eventually
from event_webhook_helpers import FAST, Receiver
from history_helpers import history_gateway
from playwright.async_api import expect
from test_browser_a11y import assert_accessible
from test_browser_admin import open_admin

from gateway.config import load_config
from gateway.signing import verify

pytestmark = [pytest.mark.browser, pytest.mark.timeout(170)]


@pytest.fixture
async def db(history_db):
    await history_db.execute("TRUNCATE admin_settings, admin_revisions")
    yield history_db


@pytest.fixture
async def receivers():
    ok, failing = await Receiver().start(), await Receiver(statuses=[500] * 10_000).start()
    yield ok, failing
    await ok.stop()
    await failing.stop()


async def test_an_admin_subscribes_tests_watches_deliveries_and_replays_a_dead_letter(
        redis, redis_url, database_url, db, browser, receivers):
    ok, failing = receivers
    config = fresh_config()
    config.event_webhooks = FAST
    async with history_gateway(config, redis_url, database_url) as gw:
        context, page, watch = await new_page(browser, "admin", height=1100)
        await context.grant_permissions(["clipboard-read", "clipboard-write"], origin=gw.url)
        await open_admin(page, gw.url)
        section = page.locator("#webhooks")
        await expect(section).to_contain_text("No subscriptions yet.")

        # create: a bad address is refused at its field; then the secret is shown once
        await section.locator("[data-add=webhooks]").click()
        form = section.locator("form[data-form=webhook]")
        await form.locator("#webhook-url").fill("crm.example.com")
        await form.locator("button[type=submit]").click()
        await expect(form.locator("#webhook-url")).to_have_attribute("aria-invalid", "true")
        await assert_accessible(page, "admin: the webhook form with an error")
        await form.locator("#webhook-url").fill(ok.url)
        await form.locator("#webhook-name").fill(XSS)
        await form.locator("button[type=submit]").click()
        once = section.locator(".webhook-once")
        await expect(once).to_contain_text("shown only this once")
        secret = await once.locator("input.webhook-value").input_value()
        assert secret.startswith("whsec_")
        await once.locator("[data-action=copy]").click()
        await expect(page.locator(".admin-status")).to_contain_text("clipboard")
        assert await page.evaluate("navigator.clipboard.readText()") == secret
        await once.locator("[data-action=done]").click()
        await expect(once).to_have_count(0)
        assert secret not in await page.content()

        row = section.locator("tr[data-webhook]", has_text=ok.url)
        await expect(row.locator("th")).to_contain_text(XSS)  # what the admin typed, as text
        assert await page.evaluate("window.__xss") is None
        await expect(row.locator("[data-cell=state]")).to_have_text("on")
        await expect(row).to_contain_text("all events")

        # send test event: the receiver gets it signed; the page shows 200 and the latency
        await row.locator("[data-action=test]").click()
        detail = section.locator(".webhook-detail")
        await expect(detail.locator(".webhook-test-result")).to_have_text(
            re.compile(r"^Test event delivered: HTTP 200 in \d+ ms\.$"), timeout=15_000)
        (test,) = ok.delivered()
        assert json.loads(test.body)["type"] == "webhook.test"
        assert verify(secret, test.headers["X-Omnirelay-Signature"], test.body)
        tested = detail.locator("tr[data-outcome=delivered]", has_text="webhook.test")
        await expect(tested.locator("[data-cell=status]")).to_have_text("200")
        await expect(tested.locator("[data-cell=latency]")).to_have_text(re.compile(r"^\d+ ms$"))

        # a real conversation's events show up in the deliveries list
        await socket_visitor(gw, "Vera Hook", ["Where is my parcel?"])
        for kind in ("conversation.created", "message.created", "contact.created"):
            await expect(detail.locator("tr[data-outcome=delivered]", has_text=kind).first).to_be_visible(timeout=15_000)
        sent = {json.loads(r.body)["type"] for r in ok.delivered()}
        assert {"conversation.created", "message.created"} <= sent
        assert all(verify(secret, r.headers["X-Omnirelay-Signature"], r.body) for r in ok.delivered())

        # a receiver answering 500, with a 2 s retry window, for messages only: a dead letter
        await section.locator("[data-add=webhooks]").click()
        await form.locator("#webhook-url").fill(failing.url)
        await form.locator("#webhook-name").fill("Failing CRM")
        await form.locator("[data-event='*']").uncheck()
        await form.locator("[data-event='message.created']").check()
        await form.locator("#webhook-retry_window_s").fill("2")
        await form.locator("[data-unit]").select_option("s")
        await form.locator("button[type=submit]").click()
        await section.locator(".webhook-once [data-action=done]").click()
        bad = section.locator("tr[data-webhook]", has_text="Failing CRM")
        await expect(bad).to_contain_text("Message")
        await expect(bad).to_contain_text("2 seconds")
        vera, _, _ = await socket_visitor(gw, "Otto Void", ["into the void"])
        await eventually(lambda: failing.got, timeout=10)
        await bad.locator("[data-action=deliveries]").click()
        bad_detail = section.locator(".webhook-detail", has_text="Failing CRM")
        letter = bad_detail.locator("tr[data-dead]")
        await expect(letter).to_have_count(1, timeout=15_000)
        await expect(letter).to_contain_text("500")
        await expect(bad_detail.locator("tr[data-outcome=dead_lettered]")).to_have_count(1)
        await assert_accessible(page, "admin: a subscription's deliveries and dead letters")
        dead_id = await letter.get_attribute("data-dead")

        failing.statuses = []  # the receiver is back: sent again from the page, with the same delivery id
        await letter.locator("[data-action=replay]").click()
        await expect(page.locator(".admin-status")).to_contain_text("1 dead letter is queued again.")
        await expect(bad_detail.locator("tr[data-dead]")).to_have_count(0, timeout=10_000)
        delivered = await eventually(lambda: failing.delivered(), timeout=10)
        assert delivered[0].headers["X-Omnirelay-Delivery"] == dead_id
        assert b"into the void" in delivered[0].body
        await expect(bad_detail.locator("tr[data-outcome=delivered]")).to_have_count(1, timeout=10_000)

        # pause, a new secret, delete with a confirmation
        await bad.locator("[data-action=toggle]").click()
        await expect(bad.locator("[data-cell=state]")).to_have_text("paused")
        await row.locator("[data-action=rotate]").click()
        await page.locator("dialog.confirm button[value=ok]").click()
        await expect(section.locator(".webhook-once")).to_contain_text("New signing secret")
        rotated = await section.locator(".webhook-once input.webhook-value").input_value()
        assert rotated.startswith("whsec_") and rotated != secret
        await section.locator(".webhook-once [data-action=done]").click()
        await bad.locator("[data-action=delete]").click()
        dialog = page.locator("dialog.confirm")
        await expect(dialog).to_contain_text("Delete “Failing CRM”?")
        await dialog.locator("button[value=ok]").click()
        await expect(bad).to_have_count(0)
        await expect(page.locator(".admin-status")).to_contain_text("“Failing CRM” was deleted.")
        await expect(section.locator("tr[data-webhook]")).to_have_count(1)
        await vera.disconnect()
        watch.assert_clean()


async def test_a_config_defined_subscription_is_marked_and_only_paused_in_the_ui(
        redis, redis_url, database_url, db, browser, receivers):
    ok, _ = receivers
    config = load_config(DEMO_CONFIG, env={"EVENTS_WEBHOOK_URL": ok.url})
    config.event_webhooks = FAST
    async with history_gateway(config, redis_url, database_url) as gw:
        _, page, watch = await new_page(browser, "admin", height=1000)
        await open_admin(page, gw.url)
        row = page.locator("#webhooks tr[data-webhook][data-origin=config]")
        await expect(row).to_contain_text("from the config file")
        await expect(row).to_contain_text("demo events")
        await expect(row.locator("[data-action=delete]")).to_have_count(0)
        await expect(row.locator("[data-action=rotate]")).to_have_count(0)
        await row.locator("[data-action=toggle]").click()
        await expect(row.locator("[data-cell=state]")).to_have_text("paused")
        await assert_accessible(page, "admin: a config-defined webhook")
        watch.assert_clean()
