"""Slack as a second place where agents answer, end to end in real Chromium (docs/slack.md): an agent
links their own Slack account in the console (the Slack stand-in answers users.lookupByEmail), a
widget visitor's conversation in a mirrored queue opens a thread in Slack, the console's accept shows
on the thread's first message, a signed thread reply from the linked account reaches the visitor's
widget, a `note:` reaches the console as a note and never the widget, and the admin screens remove
the link, after which the same account reaches nobody."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from browser_helpers import (  # noqa: F401  (_browser is the `browser` fixture)
    _browser,
    accept_offer,
    agent_available,
    log_in,
    new_page,
    open_widget,
    start_chat,
    visitor_send,
    widget_messages,
)
from conftest import eventually
from history_helpers import history_gateway
from playwright.async_api import expect
from slack_standin import SlackStandIn, running, signed, thread_reply
from test_browser_a11y import assert_accessible
from test_slack_surface import CHANNEL, DEMO, post, slack_config, slack_ready

from gateway.slack.links import links

pytestmark = [pytest.mark.browser, pytest.mark.timeout(150)]
# the Slack display name is typed by a person in Slack: it must stay text in both pages
SLACK_NAME = 'Ben <img src=x onerror="window.__xss=1">'


async def test_an_agent_links_slack_in_the_console_answers_from_a_thread_and_the_admin_unlinks(
        redis, redis_url, database_url, history_db, browser):
    async with running(SlackStandIn()) as api:
        api.add_user("U_BEN", "ben@demo.example", name=SLACK_NAME)
        async with history_gateway(slack_config(api), redis_url, database_url) as gw, \
                aiohttp.ClientSession() as http:
            await slack_ready(gw)
            base = gw.url

            # Ben links his own Slack account from the console
            _, ben, ben_watch = await new_page(browser, "ben's console", width=1400, height=820)
            await agent_available(ben, base, "ben")
            await ben.locator("[data-action=slack-link]").click()
            dialog = ben.locator("dialog.slack-link-dialog")
            await expect(dialog.locator("[data-linked=false]")).to_be_visible()
            await assert_accessible(ben, "console: the Slack link dialog, not linked")
            await dialog.locator("[data-action=slack-link-toggle]").click()
            await expect(dialog.locator(".slack-account")).to_have_text(SLACK_NAME)
            await expect(dialog.locator("[data-action=slack-link-toggle]")).to_have_text("Remove the link")
            assert [(x.slack_user, x.agent_id, x.by) for x in await links(redis, DEMO)] == [("U_BEN", "ben", "ben")]
            await assert_accessible(ben, "console: the Slack link dialog, linked")
            await dialog.locator("[data-action=cancel]").click()
            await expect(dialog).to_have_count(0)

            # a visitor writes in the widget, in the tech queue (mirrored): the thread opens in Slack
            _, visitor, visitor_watch = await new_page(browser, "visitor")
            await open_widget(visitor, base)
            await start_chat(visitor, "Vera Widget", topic="tech", language="en")
            await visitor_send(visitor, "My camera is offline")
            await eventually(lambda: len(api.posts(CHANNEL)) >= 2, timeout=15)
            root, line = api.posts(CHANNEL)[0], api.posts(CHANNEL)[1]
            assert "Vera Widget" in root.body["text"] and line.body["thread_ts"] == root.ts
            assert "My camera is offline" in line.body["text"]

            # Ben accepts in the console: the thread's first message says so without waiting for a message
            await accept_offer(ben, "Vera Widget")
            await eventually(lambda: any(c.body.get("ts") == root.ts and "Answered by Ben" in json.dumps(c.body["blocks"])
                                         for c in api.of("chat.update")), timeout=10)

            # Ben answers in the Slack thread: the visitor reads it in the widget
            reply = thread_reply(CHANNEL, root.ts, "1800000000.000100", "U_BEN", "Please restart the camera.", "EvB1")
            assert (await post(http, gw, reply, signed(reply)))[0] == 200
            await expect(visitor.locator(".log .msg[data-author=agent]", has_text="Please restart the camera.")).to_be_visible()
            await expect(ben.locator(".conversation .log .msg[data-author=agent]",
                                     has_text="Please restart the camera.")).to_be_visible()

            # a note from Slack: in Ben's console as a note, never in the widget
            note = thread_reply(CHANNEL, root.ts, "1800000000.000200", "U_BEN", "note: firmware 2.1 has this bug", "EvB2")
            assert (await post(http, gw, note, signed(note)))[0] == 200
            await expect(ben.locator(".conversation .log .msg[data-author=note]",
                                     has_text="firmware 2.1 has this bug")).to_be_visible()

            # the admin removes Ben's link
            _, sam, sam_watch = await new_page(browser, "admin", height=1000)
            await log_in(sam, f"{base}/admin", "sam")
            row = sam.locator("#slack tr[data-slack-agent=ben]")
            await expect(row.locator("[data-cell=account]")).to_have_text(SLACK_NAME)
            await expect(sam.locator("#slack tr[data-slack-agent=anna]")).to_have_attribute("data-linked", "false")
            await assert_accessible(sam, "admin: the Slack section")
            await row.locator("[data-action=unlink]").click()
            confirm = sam.locator("dialog.confirm")
            await expect(confirm).to_contain_text("Remove the link between Ben and the Slack account")
            await confirm.locator("button[value=ok]").click()
            await expect(row).to_have_attribute("data-linked", "false")
            await expect(sam.locator(".admin-status")).to_contain_text("Ben's Slack link is removed.")
            assert await links(redis, DEMO) == []

            # Ben's Slack account now reaches nobody: refused only to him, nothing in the widget
            late = thread_reply(CHANNEL, root.ts, "1800000000.000300", "U_BEN", "One more thing", "EvB3")
            assert (await post(http, gw, late, signed(late)))[0] == 200
            refusal = (await eventually(lambda: api.of("chat.postEphemeral"), timeout=10))[0].body
            assert refusal["user"] == "U_BEN" and "not linked" in refusal["text"]
            await asyncio.sleep(0.5)
            shown = [m["text"] for m in await widget_messages(visitor)]
            assert "Please restart the camera." in shown
            assert not [t for t in shown if "firmware" in t or "One more thing" in t], shown

            for page in (ben, sam, visitor):
                assert await page.evaluate("window.__xss") is None
            for watch in (ben_watch, visitor_watch, sam_watch):
                watch.assert_clean()
