"""The admin's API keys section (/admin) in a real browser: a key made there is shown once with a copy
button and a warning, works against the REST API, is gone from the page once dismissed (and never in
the listing), and a revocation there refuses it at once."""

from __future__ import annotations

import pytest
from admin_helpers import call, fresh_config
from browser_helpers import _browser, new_page  # noqa: F401  (_browser is the `browser` fixture)
from history_helpers import history_gateway
from playwright.async_api import expect
from test_browser_admin import open_admin

pytestmark = [pytest.mark.browser, pytest.mark.timeout(150)]


@pytest.fixture
async def db(history_db):
    await history_db.execute("TRUNCATE admin_settings, admin_revisions")
    yield history_db


async def test_an_admin_creates_a_key_sees_it_once_and_revokes_it(redis, redis_url, database_url, db, browser):
    async with history_gateway(fresh_config(), redis_url, database_url) as gw:
        context, page, watch = await new_page(browser, "admin", height=1000)
        await context.grant_permissions(["clipboard-read", "clipboard-write"], origin=gw.url)
        await open_admin(page, gw.url)
        section = page.locator("#apikeys")
        await expect(section).to_contain_text("No API keys yet.")

        await section.locator("[data-add=apikeys]").click()
        form = section.locator("form[data-form=apikey]")
        await form.locator("#apikey-name").fill("<b>crm</b> sync")  # refused at the field: not a name
        await form.locator("button[type=submit]").click()
        await expect(form.locator("#apikey-name")).to_have_attribute("aria-invalid", "true")
        await form.locator("#apikey-name").fill("crm-sync")
        await form.locator("#apikey-scopes").select_option("write")
        await form.locator("#apikey-expires_at").select_option("90")
        await form.locator("button[type=submit]").click()

        once = section.locator(".apikey-once")
        await expect(once).to_contain_text("shown only this once")
        key = await once.locator("input.apikey-value").input_value()
        assert key.startswith("ork_") and len(key) == 47
        await once.locator("[data-action=copy]").click()
        await expect(page.locator(".admin-status")).to_contain_text("clipboard")
        assert await page.evaluate("navigator.clipboard.readText()") == key

        row = section.locator("tr[data-apikey=crm-sync]")
        await expect(row.locator("[data-cell=state]")).to_have_text("active")
        await expect(row).to_contain_text("read and write")
        status, _, _ = await call(gw, "GET", "/api/v1/conversations", key)
        assert status == 200

        await once.locator("[data-action=done]").click()
        await expect(once).to_have_count(0)
        assert key not in await page.content()  # gone from the page; the server never shows it again

        await row.locator("[data-action=revoke]").click()
        dialog = page.locator("dialog.confirm")
        await expect(dialog).to_contain_text("Revoke “crm-sync”?")
        await dialog.locator("button[value=ok]").click()
        await expect(row.locator("[data-cell=state]")).to_have_text("revoked")
        await expect(row.locator("[data-action=revoke]")).to_have_count(0)
        await expect(page.locator(".admin-status")).to_contain_text("“crm-sync” is revoked.")
        status, body, _ = await call(gw, "GET", "/api/v1/conversations", key)
        assert status == 401 and "revoked" in body["error"]["message"]
        watch.assert_clean()
