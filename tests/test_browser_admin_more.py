"""More admin flows in a real browser, on a gateway with its database and never restarted: a queue's
SLA threshold and a new wrap-up code saved in the UI are what the dashboard and the close dialog use,
and "use the config file's version" brings the file's queue back; the audit card finds the change by
its action; business hours switched to closed make the widget show the offline form; a password
reset ends the agent's console session and only the new password logs in; a German admin reads
German admin screens."""

from __future__ import annotations

import re
import time

import pytest
from admin_helpers import fresh_config
from browser_helpers import (  # noqa: F401  (_browser is the `browser` fixture)
    _browser,
    accept_offer,
    agent_available,
    log_in,
    new_page,
    open_widget,
    socket_visitor,
)
from history_helpers import history_gateway
from playwright.async_api import Page, expect
from test_browser_german import ENGLISH

from gateway import appkeys as K
from gateway.audit import ACTIONS

pytestmark = [pytest.mark.browser, pytest.mark.timeout(150)]


@pytest.fixture
async def db(history_db):
    """The history database with no admin settings stored."""
    await history_db.execute("TRUNCATE admin_settings, admin_revisions")
    yield history_db


async def open_admin(page: Page, base: str) -> None:
    await log_in(page, f"{base}/admin", "sam")
    await expect(page.locator("#agents tr[data-agent=anna]")).to_be_visible()


async def sla_threshold(gw, queue: str) -> float:
    snap = await gw.app[K.ROUTER].snapshot("demo", time.time())
    return next(q["sla_threshold_s"] for q in snap["queues"] if q["id"] == queue)


async def test_a_queues_sla_and_wrapup_code_saved_in_the_ui_are_used_and_the_file_version_comes_back(
        redis, redis_url, database_url, db, browser):
    async with history_gateway(fresh_config(), redis_url, database_url) as gw:
        _, admin, admin_watch = await new_page(browser, "admin", height=1000)
        await open_admin(admin, gw.url)
        row = admin.locator("#queues tr[data-queue=billing]")
        await row.locator("[data-action=edit]").click()
        form = admin.locator("form[data-form=queue]")
        await form.locator("#queue-sla_threshold_s").fill("1")
        await form.get_by_role("button", name="Add wrap-up code").click()
        await form.locator(".code-id").last.fill("goodwill")
        await form.locator(".code-name").last.fill("Goodwill credit")
        await form.locator(".code-topic").last.select_option(label="Billing")  # the code confirms billing
        await form.locator("button[type=submit]").click()
        await expect(admin.locator(".admin-status")).to_contain_text("Saved “Billing”")
        await expect(row.locator(".source")).to_contain_text("changed in admin")
        assert await sla_threshold(gw, "billing") == 1
        codes = gw.app[K.CONFIG].tenants["demo"].queues["billing"].wrapup_codes
        assert (codes["goodwill"].topic, codes["refund"].topic, codes["resolved"].topic) == ("billing", "billing", None)

        # A customer waits in billing with nobody available: past 1 s the dashboard flags the wait.
        await socket_visitor(gw, "Walter Waiting", ["My bill is wrong"], topic="billing")
        _, sup, sup_watch = await new_page(browser, "supervisor dashboard", height=1000)
        await log_in(sup, f"{gw.url}/supervisor", "sam")
        await expect(sup.locator("table.queues tr[data-queue=billing]")).to_have_class("breached")
        waiting = sup.locator("tr[data-conversation-id]", has_text="Walter Waiting")
        await expect(waiting).to_have_attribute("data-long-wait", "true")

        # The audit card knows every recorded action, the admin's among them, and finds the save.
        audit = sup.locator(".audit-card")
        action = audit.locator("select[name=action]")
        offered = await action.locator("option").evaluate_all("os => os.map(o => o.value)")
        assert sorted(offered) == sorted(["", *ACTIONS])  # "" is any action
        shown = await action.locator("option").evaluate_all("os => os.map(o => [o.value, o.textContent])")
        assert [value for value, label in shown if "." in value and label == value] == []  # words, not bare ids
        await action.select_option("admin.queue.save")
        await audit.locator("button[type=submit]").click()
        saved = audit.locator("tbody tr")
        await expect(saved).to_have_count(1)
        await expect(saved.locator("td[data-action]")).to_have_text("queue saved (admin)")
        await expect(saved.locator(".audit-details")).to_contain_text("billing")

        # Anna takes the customer; closing offers the new code by its name.
        _, anna, anna_watch = await new_page(browser, "anna's console", width=1400, height=900)
        await agent_available(anna, gw.url, "anna")
        await accept_offer(anna, "Walter Waiting")
        await anna.locator("#conv-heading").click()
        await anna.keyboard.press("c")
        dialog = anna.locator("dialog[open]")
        await dialog.locator("#wrapup-code").select_option(label="Goodwill credit")
        await dialog.locator("button[type=submit]").click()
        await expect(anna.locator("dialog[open]")).to_have_count(0)

        # "Use the config file's version": the file's billing queue is in effect again.
        await expect(row.locator(".badge-differs")).to_be_visible()
        await row.locator("button.revert").click()
        await admin.locator("dialog.confirm button[value=ok]").click()
        await expect(admin.locator(".admin-status")).to_contain_text("config file's version is in effect again")
        await expect(row.locator(".source")).to_have_text("config file")
        assert await sla_threshold(gw, "billing") == 20
        assert "goodwill" not in gw.app[K.CONFIG].tenants["demo"].queues["billing"].wrapup_codes
        # the dashboard's next snapshots (computed after the revert) carry the file's threshold
        seen = int(await sup.locator("#app").get_attribute("data-snapshots") or 0)
        await sup.wait_for_function("n => Number(document.getElementById('app').dataset.snapshots) >= n + 2", arg=seen)
        await sup.locator("table.queues tr[data-queue=billing] th").click()  # the queue's drill-down
        await expect(sup.locator("dialog.drill")).to_contain_text("threshold 20 s")
        for watch in (admin_watch, sup_watch, anna_watch):
            watch.assert_clean()


async def test_business_hours_set_to_closed_show_the_widget_offline_without_a_restart(
        redis, redis_url, database_url, db, browser):
    async with history_gateway(fresh_config(), redis_url, database_url) as gw:
        _, visitor, visitor_watch = await new_page(browser, "widget")
        await open_widget(visitor, gw.url)
        await expect(visitor.locator("#or-name")).to_be_visible()
        await expect(visitor.locator("form.prechat [data-offline]")).to_have_count(0)  # open now

        _, admin, admin_watch = await new_page(browser, "admin", height=1000)
        await open_admin(admin, gw.url)
        hours = admin.locator("form[data-form=hours]")
        await hours.locator("#hours-closed").check()
        await hours.locator("button[type=submit]").click()
        await expect(admin.locator(".admin-status")).to_contain_text("Business hours saved")

        await open_widget(visitor, gw.url)  # the visitor's next page
        await expect(visitor.locator("form.prechat [data-offline]")).to_contain_text("offline")
        admin_watch.assert_clean()
        visitor_watch.assert_clean()


async def test_a_password_reset_in_the_ui_ends_the_agents_session_and_only_the_new_password_works(
        redis, redis_url, database_url, db, browser):
    async with history_gateway(fresh_config(), redis_url, database_url) as gw:
        _, anna, anna_watch = await new_page(browser, "anna's console", width=1400, height=900)
        await agent_available(anna, gw.url, "anna")

        _, admin, admin_watch = await new_page(browser, "admin", height=1000)
        await open_admin(admin, gw.url)
        await admin.locator("#agents tr[data-agent=anna] [data-action=password]").click()
        form = admin.locator("form[data-form=password]")
        await form.locator("#password-password").fill("anna-new-secret-7")
        await form.locator("button[type=submit]").click()
        await expect(admin.locator(".admin-status")).to_contain_text("The password of Anna was reset")

        # her console is logged out at once, and she is offline in the ACD
        await expect(anna.locator(".login-card")).to_be_visible()
        assert (await gw.app[K.ROUTER].engine("demo").agent("anna"))["state"] == "offline"
        await anna.fill("#login-username", "anna")
        await anna.fill("#login-password", "anna-demo")
        await anna.click(".login-card button[type=submit]")
        await expect(anna.locator("#login-error")).to_contain_text(re.compile(r"\S"))
        await expect(anna.locator(".login-card")).to_be_visible()
        await log_in(anna, f"{gw.url}/agent", "anna", "anna-new-secret-7")
        await expect(anna.locator(".conn")).to_have_text("Connected")
        admin_watch.assert_clean()
        anna_watch.assert_clean()


# What an admin reads as the screens' own words: headings, buttons, labels, legends, table heads.
OWN_WORDS = """() => [...document.querySelectorAll('h1, h2, h3, th, button, label, legend, .hint, .admin-status')]
    .filter((el) => el.getClientRects().length)
    .map((el) => [el.innerText, el.getAttribute('aria-label') || ''].join(' '))"""
# Not the screens' words: names and ids from the config file, and what is the same in both languages.
NOT_OWN = {"anna", "ben", "clara", "sam", "billing", "tech", "sales", "technical", "support", "omnirelay", "english",
           "deutsch", "de", "en", "chat", "email", "admin", "label", "labels", "agent", "name", "id", "in"}


async def test_a_german_admin_reads_german_admin_screens(redis, redis_url, database_url, db, browser):
    async with history_gateway(fresh_config(), redis_url, database_url) as gw:
        _, page, watch = await new_page(browser, "a German admin", locale="de-DE", height=1000)
        await open_admin(page, gw.url)
        await expect(page.locator("html")).to_have_attribute("lang", "de")
        await expect(page.locator("#agents-title")).to_have_text("Agenten")
        await expect(page.locator("[data-add=queues]")).to_have_text("Warteschlange anlegen")
        await expect(page.locator("#agents tr[data-agent=anna] .source")).to_have_text("Konfigurationsdatei")
        await page.click("#queues tr[data-queue=billing] [data-action=edit]")
        await expect(page.locator("form[data-form=queue]")).to_be_visible()

        tenant = gw.app[K.CONFIG].tenants["demo"]
        configured = sorted([c.title for c in tenant.canned] + [c.id for c in tenant.canned], key=len, reverse=True)
        texts = await page.evaluate(OWN_WORDS)
        for own in configured:  # what the tenant configured is in its own words, not the screens'
            texts = [text.replace(own, " ") for text in texts]
        words = {w.lower() for text in texts for w in re.findall(r"[A-Za-zÄÖÜäöüß_]+", text)}
        assert sorted(w for w in words & ENGLISH if w not in NOT_OWN) == [], texts
        watch.assert_clean()
