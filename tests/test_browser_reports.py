"""The Reports card of the supervisor dashboard, in a real browser: a range and interval, charts of
the figures over time, tables per queue and agent, and a CSV download (token in a header, not a URL)."""

from __future__ import annotations

import asyncio
import csv
import io

import pytest
from browser_helpers import (  # noqa: F401  (_browser is the `browser` fixture)
    _browser,
    log_in,
    new_page,
    screenshot,
)
from history_helpers import history_gateway
from playwright.async_api import expect
from test_history_reports import DAY, EVIL_CODE, demo_events

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


async def test_reports_show_charts_and_tables_and_download_csv(redis, redis_url, demo_config, database_url,
                                                               history_db, browser):
    await demo_events(history_db)
    async with history_gateway(demo_config, redis_url, database_url) as gw:
        try:
            _, page, watch = await new_page(browser, "supervisor reports", width=1300, height=1400)
            urls: list[str] = []
            page.on("request", lambda r: urls.append(r.url) if "/api/v1/reports/" in r.url else None)
            await log_in(page, f"{gw.url}/supervisor", "sam")
            card = page.locator(".reports-card")
            await card.scroll_into_view_if_needed()
            await page.fill("#report-from", DAY)
            await page.fill("#report-to", DAY)
            await page.select_option("#report-interval", "hour")
            await card.locator(".report-form button[type=submit]").click()

            await expect(card.locator(".report-status")).to_contain_text("24 intervals, times in Europe/Berlin")
            volume = card.locator("[data-chart=volume] svg")
            await expect(volume.locator("g[data-series=offered] circle")).to_have_count(24)
            assert (await volume.locator("g[data-series=offered] path").get_attribute("d")).startswith("M")
            sl = card.locator("[data-chart=service-level] svg g[data-series=billing]")
            await expect(sl.locator("circle")).to_have_count(1)  # billing had contacts in one hour only

            billing = card.locator("tr[data-queue=billing]")
            await expect(billing.locator("td").nth(0)).to_have_text("2")  # offered
            await expect(billing).to_contain_text("100 %")
            await expect(billing).to_contain_text(EVIL_CODE)  # a typed code is shown as text
            anna = card.locator("tr[data-agent=anna]")
            await expect(anna.locator("td").nth(1)).to_have_text("3")  # accepted
            await screenshot(page, "supervisor-reports.png", full_page=True)

            async with page.expect_download() as info:
                await card.locator("[data-csv=queues]").click()
            download = await info.value
            assert download.suggested_filename == f"queues-{DAY}-hour.csv"
            saved = await download.path()
            text = await asyncio.to_thread(saved.read_text, encoding="utf-8")
            table = list(csv.reader(io.StringIO(text)))
            assert table[0][:3] == ["interval", "queue", "name"] and len(table) == 1 + 24 * 4
            assert urls and all("token" not in u.lower() for u in urls), urls
            watch.assert_clean()
        finally:
            for context in browser.contexts:
                await context.close()
