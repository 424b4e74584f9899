"""Search in the agent console and the supervisor dashboard (real Chromium, real PostgreSQL): the
results show the highlighted snippet, a customer's `<script>` stays text, a result opens the
conversation read-only."""

from __future__ import annotations

import pytest
from browser_helpers import XSS, _browser, log_in, new_page  # noqa: F401  (_browser is the `browser` fixture)
from conftest import eventually, running_gateway
from history_helpers import history_gateway
from playwright.async_api import expect
from test_history_search import _archived, _conversation

pytestmark = [pytest.mark.browser, pytest.mark.timeout(90)]

TEXT = f"Meine Rechnungen {XSS} stimmen nicht"


async def test_search_in_console_and_dashboard_shows_snippets_as_text(redis, redis_url, demo_config, database_url,
                                                                      history_db, browser):
    async with history_gateway(demo_config, redis_url, database_url) as gw:
        cid = await _conversation(redis, ["Hallo", TEXT], name="Greta <b>Groß</b>", agent_id="anna")
        other = await _conversation(redis, ["Eine Rechnung von Ben"], name="Bert", agent_id="ben")
        await eventually(lambda: _archived(history_db, cid, other), timeout=15)
        try:
            # the agent: the search box in the top bar, results in a dialog, only what anna served
            _, agent, _ = await new_page(browser, "agent console", width=1400, height=820)
            await log_in(agent, f"{gw.url}/agent", "anna")
            await agent.fill(".search-box input", "Rechnung")
            await agent.press(".search-box input", "Enter")
            hits = agent.locator("dialog.search-dialog .search-hit")
            await expect(hits).to_have_count(1)
            hit = hits.first
            await expect(hit).to_have_attribute("data-conversation-id", cid)
            await expect(hit.locator(".search-contact")).to_have_text("Greta <b>Groß</b>")
            await expect(hit.locator(".search-snippet mark").first).to_have_text("Rechnungen")
            snippet = hit.locator(".search-snippet")
            await expect(snippet).to_contain_text("<script>window.__xss=2</script>")
            assert await snippet.locator("img, script, b").count() == 0
            assert await agent.evaluate("window.__xss") is None
            # a result opens the conversation read-only
            await hit.click()
            transcript = agent.locator("dialog.transcript")
            await expect(transcript.locator(".t-text")).to_have_text(["Hallo", TEXT])
            assert await transcript.locator("textarea, [contenteditable]").count() == 0
            await transcript.get_by_role("button", name="Close").click()

            # a filter that matches nothing says so
            dialog = agent.locator("dialog.search-dialog")
            await dialog.locator("input[name=queue]").fill("sales")
            await dialog.get_by_role("button", name="Search").click()
            await expect(dialog.locator(".search-status")).to_have_text("Nothing found.")

            # the supervisor: the same search over the whole tenant
            _, sup, _ = await new_page(browser, "supervisor dashboard", width=1400, height=900)
            await log_in(sup, f"{gw.url}/supervisor", "sam")
            card = sup.locator(".search-card")
            await card.locator("input[name=q]").fill("Rechnungen")
            await card.get_by_role("button", name="Search").click()
            await expect(card.locator(".search-hit")).to_have_count(2)
            await expect(card.locator(".search-status")).to_have_text("2 conversations found.")
            mine = card.locator(f".search-hit[data-conversation-id={cid}]")
            await expect(mine.locator(".search-snippet")).to_contain_text("<img src=x")
            assert await card.locator(".search-snippet img, .search-snippet script").count() == 0
            await mine.click()
            await expect(sup.locator("dialog.transcript .t-text")).to_have_text(["Hallo", TEXT])
            assert await sup.evaluate("window.__xss") is None
        finally:
            for context in browser.contexts:
                await context.close()


async def test_the_console_says_when_search_is_unavailable(redis, redis_url, demo_config, browser):
    async with running_gateway(demo_config, redis_url) as gw:
        try:
            _, agent, _ = await new_page(browser, "agent console")
            await log_in(agent, f"{gw.url}/agent", "anna")
            await agent.fill(".search-box input", "Rechnung")
            await agent.press(".search-box input", "Enter")
            await expect(agent.locator("dialog.search-dialog .search-status")).to_contain_text("history database")
        finally:
            for context in browser.contexts:
                await context.close()
