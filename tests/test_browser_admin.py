"""The admin screens (/admin) in a real browser, on a gateway with its database: an agent created
in the UI takes a chat at once, a bad input is refused at its field with nothing saved, the widget
look's preview follows the typing before the save reaches the widget's config, and a supervisor
without the admin permission is told so."""

from __future__ import annotations

import dataclasses

import aiohttp
import pytest
from admin_helpers import call, fresh_config, token
from browser_helpers import (  # noqa: F401  (_browser is the `browser` fixture)
    XSS,
    _browser,
    accept_offer,
    log_in,
    new_page,
    open_widget,
    screenshot,
    start_chat,
    visitor_send,
)
from history_helpers import history_gateway
from playwright.async_api import Page, expect
from test_browser_a11y import axe_violations

from gateway import appkeys as K

pytestmark = [pytest.mark.browser, pytest.mark.timeout(150)]

ZOE_PASSWORD = "zoe-secret-42"


@pytest.fixture
async def db(history_db):
    """The history database with no admin settings stored."""
    await history_db.execute("TRUNCATE admin_settings, admin_revisions")
    yield history_db


async def stored_settings(db) -> int:
    return await db.fetchval("SELECT count(*) FROM admin_settings")


async def get_json(url: str) -> dict:
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as r:
            assert r.status == 200, await r.text()
            return await r.json()


async def open_admin(page: Page, base: str) -> None:
    await log_in(page, f"{base}/admin", "sam")
    await expect(page.locator("#agents tr[data-agent=anna]")).to_be_visible()


async def test_an_admin_adds_an_agent_with_skills_in_the_ui_and_that_agent_receives_an_offer_without_a_restart(
        redis, redis_url, database_url, db, browser):
    async with history_gateway(fresh_config(), redis_url, database_url) as gw:
        _, admin, admin_watch = await new_page(browser, "admin", height=1000)
        await open_admin(admin, gw.url)
        # config items say where they come from
        await expect(admin.locator("#agents tr[data-agent=anna] .source")).to_have_text("config file")

        await admin.click("[data-add=agents]")
        form = admin.locator("form[data-form=agent]")
        await form.locator("#agent-id").fill("zoe")
        await form.locator("#agent-name").fill("Zoe Zimmer")
        await form.locator("#agent-password").fill(ZOE_PASSWORD)
        await form.locator("#agent-languages-en").check()
        await form.locator(".skill-name").first.fill("billing")
        await form.locator(".skill-level").first.select_option("5")
        await form.locator("#agent-capacity-chat").fill("2")
        await form.locator("button[type=submit]").click()

        row = admin.locator("#agents tr[data-agent=zoe]")
        await expect(row).to_contain_text("billing 5")
        await expect(row.locator(".source")).to_contain_text("changed in admin by")
        await expect(admin.locator(".admin-status")).to_contain_text("Created “Zoe Zimmer”")
        await expect(form).to_have_count(0)
        await screenshot(admin, "admin.png", full_page=True)

        # Zoe logs in to the console with the password the admin gave; no restart in between.
        _, agent, agent_watch = await new_page(browser, "zoe's console", width=1400, height=820)
        await log_in(agent, f"{gw.url}/agent", "zoe", ZOE_PASSWORD)
        await expect(agent.locator(".conn")).to_have_text("Connected")
        await agent.click(".state-switch [data-state=available]")
        await expect(agent.locator(".state-switch [data-state=available]")).to_have_attribute("aria-checked", "true")

        # A visitor asks about billing in English: Zoe is the only agent there, and takes it.
        _, visitor, visitor_watch = await new_page(browser, "widget")
        await open_widget(visitor, gw.url)
        await start_chat(visitor, "Vera Visitor", topic="billing", language="en")
        await visitor_send(visitor, "A question about my invoice")
        await accept_offer(agent, "Vera Visitor")
        await expect(agent.locator(".conversation .log")).to_contain_text("A question about my invoice")

        # Disabling her (after a confirmation) logs her out of the console at once.
        await row.locator("[data-action=disable]").click()
        dialog = admin.locator("dialog.confirm")
        await expect(dialog).to_contain_text("Disable Zoe Zimmer?")
        await dialog.locator("button[value=ok]").click()
        await expect(row.locator(".pill")).to_have_text("disabled")
        await expect(agent.locator(".login-card")).to_be_visible()

        for watch in (admin_watch, agent_watch, visitor_watch):
            watch.assert_clean()


async def test_a_bad_input_shows_the_servers_message_at_the_field_and_nothing_is_saved(
        redis, redis_url, database_url, db, browser):
    async with history_gateway(fresh_config(), redis_url, database_url) as gw:
        _, page, watch = await new_page(browser, "admin", height=1000)
        await open_admin(page, gw.url)

        # A time zone only the server can judge (its tz database): its 400 lands at the field.
        hours = page.locator("form[data-form=hours]")
        await hours.locator("#hours-timezone").fill("Mars/Olympus_Mons")
        await hours.locator("button[type=submit]").click()
        await expect(hours.locator("#hours-timezone-error")).to_contain_text("Mars/Olympus_Mons")
        await expect(hours.locator("#hours-timezone")).to_have_attribute("aria-invalid", "true")
        await expect(hours.locator("#hours-timezone")).to_have_value("Mars/Olympus_Mons")  # the input is kept

        # A login id that is taken (the server knows every tenant's): refused at the id field.
        await page.click("[data-add=agents]")
        form = page.locator("form[data-form=agent]")
        await form.locator("#agent-id").fill("anna")
        await form.locator("#agent-name").fill("Another Anna")
        await form.locator("#agent-password").fill("long-enough-password")
        await form.locator("#agent-languages-de").check()
        await form.locator("button[type=submit]").click()
        await expect(form.locator("#agent-id-error")).to_contain_text("taken")
        await expect(form.locator("#agent-id")).to_have_attribute("aria-invalid", "true")

        # The browser's own checks stop what is plainly wrong before it is sent.
        await form.locator("#agent-id").fill("Not An Id")
        await form.locator("#agent-capacity-chat").fill("51")
        await form.locator("button[type=submit]").click()
        await expect(form.locator("#agent-id-error")).to_contain_text("lower-case letters")
        await expect(form.locator("#agent-capacity-chat-error")).to_have_text("From 0 to 50.")

        assert await stored_settings(db) == 0
        tenant = gw.app[K.CONFIG].tenants["demo"]  # the running config is unchanged too
        assert tenant.agents["anna"].name == "Anna"
        assert (tenant.hours.timezone if tenant.hours else "UTC") != "Mars/Olympus_Mons"
        await page.reload()
        await expect(page.locator("#hours .origin .source")).to_have_text("config file")
        await expect(page.locator("#agents tbody tr[data-agent=anna]")).to_have_count(1)
        watch.assert_clean()


async def test_the_widget_colour_changes_the_preview_while_typing_and_the_widget_config_after_saving(
        redis, redis_url, database_url, db, browser):
    async with history_gateway(fresh_config(), redis_url, database_url) as gw:
        _, page, watch = await new_page(browser, "admin", height=1000)
        await open_admin(page, gw.url)
        look = page.locator("form[data-form=look]")
        launcher = page.locator("[data-preview] .launcher")
        background = "el => getComputedStyle(el).backgroundColor"
        assert await launcher.evaluate(background) == "rgb(31, 95, 191)"  # the default blue

        await look.locator("#look-colour").fill("#aa3300")
        await expect(launcher).to_have_css("background-color", "rgb(170, 51, 0)")
        await look.locator("#look-launcher_text-en").fill("Talk to us")
        await expect(page.locator("[data-preview] .launcher-text")).to_have_text("Talk to us")
        await look.locator("#look-position").select_option("left")
        await expect(page.locator("[data-preview] .root")).to_have_class("root left")
        # what the admin types is shown as text, never run
        await look.locator("#look-privacy_notice-en").fill(XSS)
        await expect(page.locator("[data-preview] .privacy")).to_have_text(XSS)
        # a logo is an <img> only for an http(s) address
        await look.locator("#look-logo_url").fill("javascript:alert(1)")
        await expect(page.locator("[data-preview] img.logo")).to_be_hidden()
        await look.locator("#look-logo_url").fill(f"{gw.url}/static/logo.png")
        await expect(page.locator("[data-preview] img.logo")).to_have_attribute("src", f"{gw.url}/static/logo.png")

        before = await get_json(f"{gw.url}/api/v1/widget/config?tenant=demo")
        assert before["look"]["colour"] in (None, "")  # nothing saved while typing
        await look.locator("#look-logo_url").fill("")
        await look.locator("button[type=submit]").click()
        await expect(page.locator(".admin-status")).to_contain_text("widget look is saved")
        await expect(page.locator("#look .origin .source")).to_contain_text("changed in admin")

        after = await get_json(f"{gw.url}/api/v1/widget/config?tenant=demo")
        assert after["look"]["colour"] == "#aa3300"
        assert after["look"]["position"] == "left"
        assert after["look"]["launcher_text"] == {"en": "Talk to us"}
        assert after["look"]["privacy_notice"] == {"en": XSS}
        assert await page.evaluate("() => window.__xss") is None

        # The widget on a page shows the saved look.
        _, visitor, visitor_watch = await new_page(browser, "widget")
        await visitor.goto(f"{gw.url}/demo")
        await expect(visitor.locator("#omnirelay-widget .launcher")).to_have_css("background-color", "rgb(170, 51, 0)")
        await expect(visitor.locator("#omnirelay-widget .launcher-text")).to_have_text("Talk to us")
        watch.assert_clean()
        visitor_watch.assert_clean()


async def test_a_stale_save_asks_for_a_reload_and_keeps_the_input(redis, redis_url, database_url, db, browser):
    async with history_gateway(fresh_config(), redis_url, database_url) as gw:
        _, page, watch = await new_page(browser, "admin", height=1000)
        await open_admin(page, gw.url)
        await page.click("[data-add=labels]")
        form = page.locator("form[data-form=label]")
        await form.locator("#label-id").fill("gold")
        await form.locator("#label-name").fill("Very important")

        # Meanwhile another admin saves a label: the revision this page saw is behind.
        sam = await token(gw)
        status, _, _ = await call(gw, "PUT", "/api/v1/admin/labels/urgent", sam, {"id": "urgent", "name": "Urgent"})
        assert status == 200
        await form.locator("button[type=submit]").click()
        await expect(form.locator("[role=alert]")).to_contain_text("Someone else changed the settings")
        assert await stored_settings(db) == 1  # only the other admin's label
        await form.locator("[role=alert] button").click()  # Reload
        await expect(page.locator("#labels tr[data-label=urgent]")).to_be_visible()
        await expect(form.locator("#label-name")).to_have_value("Very important")  # the input is kept
        await form.locator("button[type=submit]").click()
        await expect(page.locator("#labels tr[data-label=gold]")).to_contain_text("Very important")
        assert await stored_settings(db) == 2
        watch.assert_clean()


def with_plain_supervisor(config):
    """The demo config plus nina, a supervisor without the admin permission (sam's password)."""
    tenant = config.tenants["demo"]
    sam = tenant.supervisors["sam"]
    tenant.supervisors["nina"] = dataclasses.replace(sam, id="nina", name="Nina", admin=False)
    return config


async def test_only_an_admin_sees_the_admin_link_and_admin_tells_others_they_lack_the_permission(
        redis, redis_url, database_url, db, browser):
    async with history_gateway(with_plain_supervisor(fresh_config()), redis_url, database_url) as gw:
        # sam (admin): the dashboard's Admin link opens /admin in the same tab, still logged in
        _, page, watch = await new_page(browser, "sam")
        await log_in(page, f"{gw.url}/supervisor", "sam")
        link = page.locator("a.admin-link")
        await expect(link).to_be_visible()
        await link.click()
        await expect(page.locator("#agents tr[data-agent=anna]")).to_be_visible()
        await expect(page.locator(".login-card")).to_have_count(0)

        # nina (no admin): no link; /admin says why and shows no settings
        _, other, other_watch = await new_page(browser, "nina")
        await log_in(other, f"{gw.url}/supervisor", "nina", "sam-demo")
        await expect(other.locator(".topbar")).to_contain_text("Nina")
        await expect(other.locator("a.admin-link")).to_have_count(0)
        await other.goto(f"{gw.url}/admin")
        refused = other.locator(".admin-refused")
        await expect(refused).to_contain_text("without the admin permission")
        await expect(refused).to_have_attribute("data-refused", "not_admin")
        await expect(other.locator("#agents")).to_have_count(0)
        watch.assert_clean()
        other_watch.assert_clean()


async def test_the_admin_screens_pass_axe_with_a_form_open(redis, redis_url, database_url, db, browser):
    async with history_gateway(fresh_config(), redis_url, database_url) as gw:
        _, page, watch = await new_page(browser, "admin", height=1000)
        await open_admin(page, gw.url)
        assert await axe_violations(page) == []
        await page.click("#agents tr[data-agent=anna] [data-action=edit]")
        await page.click("#queues tr[data-queue=billing] [data-action=edit]")
        await expect(page.locator("form[data-form=queue] .step")).to_have_count(3)
        assert await axe_violations(page) == []
        # German: the language switch in the header, remembered over a reload
        await page.select_option("#admin-lang", "de")
        await expect(page.locator("#agents-title")).to_have_text("Agenten")
        await expect(page.locator("[data-add=queues]")).to_have_text("Warteschlange anlegen")
        watch.assert_clean()
