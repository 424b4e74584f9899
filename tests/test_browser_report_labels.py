"""The Reports card names labels and wrap-up codes as the configuration does, in a real browser:
per queue and agent, and in the tables of all labels and codes over the range, each with its count;
one no longer configured shows its id."""

from __future__ import annotations

import pytest
from browser_helpers import (  # noqa: F401  (_browser is the `browser` fixture)
    _browser,
    log_in,
    new_page,
    screenshot,
)
from history_helpers import history_gateway
from playwright.async_api import expect
from test_history_report_labels import DAY, LEGACY, OLD_CODE, labelled_morning

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


async def test_the_report_page_names_labels_and_wrapup_codes(redis, redis_url, demo_config, database_url,
                                                             history_db, browser):
    await labelled_morning(history_db)
    async with history_gateway(demo_config, redis_url, database_url) as gw:
        try:
            _, page, watch = await new_page(browser, "supervisor report labels", width=1300, height=1400)
            await log_in(page, f"{gw.url}/supervisor", "sam")
            card = page.locator(".reports-card")
            await card.scroll_into_view_if_needed()
            await page.fill("#report-from", DAY)
            await page.fill("#report-to", DAY)
            await page.select_option("#report-interval", "day")
            await card.locator(".report-form button[type=submit]").click()

            # per queue: the configured names (demo: billing's "refund" is "Refund issued", label "vip" is "VIP")
            billing = card.locator("tr[data-queue=billing]")
            await expect(billing.locator("td").nth(11)).to_have_text(f"{OLD_CODE}: 1, Refund issued: 2")
            await expect(billing.locator("td").nth(12)).to_have_text(f"{LEGACY}: 1, Refund: 1, VIP: 3")
            await expect(card.locator("tr[data-queue=tech] td").nth(12)).to_have_text("Complaint: 1")
            await expect(card.locator("tr[data-agent=ben] td").last).to_have_text(f"Complaint: 1, {LEGACY}: 1, VIP: 1")

            # all queues together: one row per name, most first
            labels = card.locator(".report-labels")
            await expect(labels.locator("tbody tr")).to_have_count(4)
            assert await labels.locator("tbody tr").first.get_attribute("data-label") == "vip"
            vip = labels.locator("tr[data-label=vip]")
            await expect(vip.locator("th")).to_have_text("VIP")
            await expect(vip.locator("td")).to_have_text(["3", "2", "3.5 / 5"])  # closed, rated, satisfaction
            await expect(labels.locator("tr[data-label=complaint] td")).to_have_text(["1", "1", "1.0 / 5"])
            await expect(labels.locator(f"tr[data-label={LEGACY}] th")).to_have_text(LEGACY)  # no longer configured
            await expect(labels.locator(f"tr[data-label={LEGACY}] td")).to_have_text(["1", "0", "–"])

            codes = card.locator(".report-codes")
            await expect(codes.locator("tr[data-code=refund] th")).to_have_text("Refund issued")
            await expect(codes.locator("tr[data-code=refund] td")).to_have_text("2")
            await expect(codes.locator(f"tr[data-code={OLD_CODE}] th")).to_have_text(OLD_CODE)
            await screenshot(page, "supervisor-report-labels.png", full_page=True)

            # a day without any: said so, no empty table
            await page.fill("#report-from", "2025-11-05")
            await page.fill("#report-to", "2025-11-05")
            await card.locator(".report-form button[type=submit]").click()
            await expect(card.locator("[data-none=labels]")).to_be_visible()
            await expect(card.locator("[data-none=codes]")).to_be_visible()
            await expect(card.locator("tr[data-label]")).to_have_count(0)
            watch.assert_clean()
        finally:
            for context in browser.contexts:
                await context.close()
