"""Outside business hours the widget config says so (open, next_open) and the widget, in a real
browser, tells the visitor the team is offline and when it is back, and offers email or a callback
instead of the chat."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from browser_helpers import _browser, gateway_with  # noqa: F401  (_browser is the `browser` fixture)
from conftest import DEMO_CONFIG, running_gateway
from playwright.async_api import expect

from gateway.config import load_config
from gateway.config.schema import HoursConfig

pytestmark = pytest.mark.timeout(60)
BERLIN = ZoneInfo("Europe/Berlin")
MONATE = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
          "November", "Dezember"]


async def widget_config(gw) -> dict:
    async with aiohttp.ClientSession() as http, http.get(f"{gw.url}/api/v1/widget/config?tenant=demo") as r:
        assert r.status == 200
        return await r.json()


async def test_the_demo_is_open_unless_demo_hours_closed_is_1(redis, redis_url):
    async with running_gateway(load_config(DEMO_CONFIG, env={}), redis_url) as gw:
        body = await widget_config(gw)
        assert (body["open"], body["next_open"]) == (True, None)
    closed = load_config(DEMO_CONFIG, env={"DEMO_HOURS_CLOSED": "1"})
    async with running_gateway(closed, redis_url) as gw:
        body = await widget_config(gw)
        assert (body["open"], body["next_open"]) == (False, None)  # closed until the flag goes


def closed_today(config) -> None:
    """Open around the clock except today (a holiday in Berlin): it opens at midnight."""
    today = dt.datetime.now(BERLIN).date()
    config.tenants["demo"].hours = HoursConfig(timezone="Europe/Berlin", holidays=[today.isoformat()])


async def test_widget_config_tells_when_it_opens_again(redis, redis_url):
    config = load_config(DEMO_CONFIG, env={})
    closed_today(config)
    async with running_gateway(config, redis_url) as gw:
        body = await widget_config(gw)
    tomorrow = dt.datetime.now(BERLIN).date() + dt.timedelta(days=1)
    assert body["open"] is False
    assert dt.datetime.fromisoformat(body["next_open"]) == dt.datetime.combine(tomorrow, dt.time(0), tzinfo=BERLIN)


@pytest.mark.browser
async def test_outside_hours_the_widget_offers_email_and_callback_instead_of_the_chat(redis, redis_url, browser):
    async with gateway_with(redis_url, closed_today, browser) as gw:
        context = await browser.new_context(locale="de-DE", timezone_id="Europe/Berlin")
        page = await context.new_page()
        await page.goto(f"{gw.url}/demo")
        await page.locator("#omnirelay-widget .launcher").click()
        tomorrow = dt.datetime.now(BERLIN).date() + dt.timedelta(days=1)
        notice = page.locator("form.prechat [data-offline]")
        await expect(notice).to_contain_text("Unser Team ist gerade nicht erreichbar.")
        await expect(notice).to_contain_text(f"{tomorrow.day}. {MONATE[tomorrow.month - 1]}")
        await expect(notice).to_contain_text("00:00")
        await expect(page.locator("form.prechat button[type=submit]")).to_have_text("Weiter")

        await page.fill("#or-name", "Olga Offline")
        await page.fill("#or-email", "olga@example.com")
        await page.click("form.prechat button[type=submit]")
        offer = page.locator(".offer")
        await expect(offer).to_contain_text("Hinterlassen Sie uns Ihre E-Mail-Adresse")
        await expect(offer.locator("[data-action=callback]")).to_be_visible()
        await expect(page.locator("#or-input")).to_be_hidden()  # no chat outside hours
        await expect(page.locator(".queue")).to_contain_text("Unser Team ist gerade nicht erreichbar.")

        await offer.locator("[data-action=email]").click()
        await expect(page.locator("#or-esc-email")).to_have_value("olga@example.com")
        await offer.locator("button[type=submit]").click()
        await expect(offer).to_contain_text("Danke. Wir antworten per E-Mail an olga@example.com.")
