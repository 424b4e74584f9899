"""A WhatsApp customer in the agent console, in a real browser: the photo they sent (fetched by the
gateway from a local stand-in of the Cloud API), the reply window's countdown, what became of the
agent's replies (✓ sent, ✓✓ delivered, read, ⚠ failed with the reason), a reaction and an
unsupported message, and the composer once the window has closed (template, escalate to email)."""

from __future__ import annotations

import asyncio
import contextlib
import re
import sys
import time
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from browser_helpers import (  # noqa: F401  (_browser is the `browser` fixture)
    MediaRequests,
    _browser,
    accept_offer,
    agent_available,
    agent_log,
    agent_send,
    image_shown,
    log_in,
    new_page,
    png,
)
from playwright.async_api import expect

from gateway.keys import TenantKeys

# The WhatsApp stand-in and recordings of the bridge tests (tests/bridges is not a package).
sys.path.insert(0, str(Path(__file__).parent / "bridges"))
from echo import eventually  # noqa: E402
from test_whatsapp_client import FakeGraph  # noqa: E402
from test_whatsapp_conversation import URL, whatsapp_config  # noqa: E402
from wa_fixtures import body_of, recorded, sign  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

PHOTO_ID = "65463453"  # the media id in the recorded whatsapp_image


@pytest.fixture
async def graph():
    fake = FakeGraph()
    fake.files[PHOTO_ID] = png(8, 5)
    server = TestServer(fake.app, host="127.0.0.1", port=0)
    await server.start_server()
    fake.url = str(server.make_url("")).rstrip("/")
    yield fake
    await server.close()


def config_for(graph_url: str):
    config = whatsapp_config(graph_url)
    config.tenants["demo"].channels["whatsapp"].templates = {"de": "reopen_conversation"}
    config.tenants["demo"].channels["messenger"].app_secret = ""  # a channel left unconfigured: disabled
    return config


@contextlib.asynccontextmanager
async def whatsapp_gateway(redis_url: str, graph_url: str, browser):
    """The demo gateway talking to the stand-in; the pages close first, so shutdown need not wait for them."""
    from conftest import running_gateway

    async with running_gateway(config_for(graph_url), redis_url) as gw:
        try:
            yield gw
        finally:
            for context in browser.contexts:
                await context.close()


async def deliver(http: aiohttp.ClientSession, base: str, payload: dict) -> None:
    body = body_of(payload)
    async with http.post(base + URL, data=body, headers={"X-Hub-Signature-256": sign(body)}) as r:
        assert r.status == 200, await r.text()


def with_message(name: str, **fields) -> dict:
    """A recording with its (first) message changed: the recordings share one wamid."""
    payload = recorded(name)
    payload["entry"][0]["changes"][0]["value"]["messages"][0].update(fields)
    return payload


def status_of(name: str, wamid: str) -> dict:
    payload = recorded(name)
    payload["entry"][0]["changes"][0]["value"]["statuses"][0]["id"] = wamid
    return payload


async def test_a_whatsapp_conversation_in_the_console(redis, redis_url, graph, browser):
    async with whatsapp_gateway(redis_url, graph.url, browser) as gw, aiohttp.ClientSession() as http:
        _, anna, watch = await new_page(browser, "anna's console", width=1400, height=860)
        media = MediaRequests(anna)
        await agent_available(anna, gw.url, "anna")  # billing and German: the WhatsApp channel's
        await deliver(http, gw.url, recorded("whatsapp_image"))
        await accept_offer(anna, "Test Name")
        cid = await anna.locator(".conv-item").first.get_attribute("data-conversation-id")

        # The photo: fetched by the gateway, shown inline from the gateway's route.
        photo = agent_log(anna).locator(".msg[data-author=visitor] a.att-image img")
        assert await image_shown(photo) == 8
        media.assert_header_only("Authorization")
        assert not any("65463453" in url for url, _ in media.seen)  # the platform's id stays on the server

        # A reaction to it: a small line naming what it is on.
        await deliver(http, gw.url, with_message("whatsapp_reaction", id="wamid.r1",
                                                 reaction={"message_id": "wamid.xyzxyz", "emoji": "👍"}))
        await expect(agent_log(anna).locator(".msg.reaction")).to_have_text("Test Name reacted 👍 to “image.png”")

        # The reply window runs 24 h from the customer's last message.
        await expect(anna.locator(".reply-window")).to_have_text(re.compile(r"^Reply window: 2[34] h \d+ min left$"))

        # Statuses on the agent's replies: ✓ when WhatsApp took it, ✓✓ delivered, then read.
        await agent_send(anna, "Das tut uns leid. Wir schicken Ersatz.")
        first = agent_log(anna).locator(".msg.own", has_text="Wir schicken Ersatz")
        await expect(first.locator(".status")).to_have_attribute("data-status", "sent")
        await expect(first.locator(".status .ticks")).to_have_text("✓")
        await deliver(http, gw.url, status_of("whatsapp_status_delivered", "wamid.out1"))
        await expect(first.locator(".status")).to_have_attribute("data-status", "delivered")
        await expect(first.locator(".status .ticks")).to_have_text("✓✓")
        await deliver(http, gw.url, status_of("whatsapp_status_read", "wamid.out1"))
        await expect(first.locator(".status")).to_have_attribute("data-status", "read")
        await expect(first.locator(".status")).to_have_attribute("title", "Read")
        # a late "delivered" does not take "read" back
        await deliver(http, gw.url, status_of("whatsapp_status_delivered", "wamid.out1"))
        await agent_send(anna, "Bitte bestätigen Sie die Adresse.")
        second = agent_log(anna).locator(".msg.own", has_text="Adresse")
        await expect(second.locator(".status")).to_have_attribute("data-status", "sent")
        await deliver(http, gw.url, status_of("whatsapp_status_failed", "wamid.out2"))
        await expect(second.locator(".status")).to_have_text(re.compile(r"^⚠ Not delivered: \S.+"))
        await expect(first.locator(".status")).to_have_attribute("data-status", "read")

        # 25 hours later: free text is refused, the composer says why and offers what still works.
        await redis.hset(TenantKeys("demo").conv(cid), "last_customer_at", repr(time.time() - 25 * 3600))
        await agent_send(anna, "Sind Sie noch da?")
        await expect(agent_log(anna).locator(".msg.pending")).to_contain_text("The reply window has closed")
        panel = anna.locator(".window-closed")
        await expect(panel).to_contain_text("The WhatsApp reply window has closed")
        await expect(anna.locator("#composer-input")).to_be_hidden()
        await expect(anna.locator(".reply-window")).to_be_hidden()
        sent_before = len(graph.sent())
        await panel.locator("[data-action=send-template]").click()
        await eventually(lambda: len(graph.sent()) > sent_before, timeout=10)
        assert graph.sent()[-1]["type"] == "template"
        assert graph.sent()[-1]["template"]["name"] == "reopen_conversation"

        # After a reload the console knows it from the server, and escalating is one click.
        await anna.reload()
        await anna.locator(".conv-item").first.click()
        await expect(anna.locator(".window-closed")).to_contain_text("approved template (DE)")
        await anna.locator(".window-closed [data-action=window-escalate]").click()
        await expect(anna.locator("dialog #esc-to")).to_have_value("email")
        watch.assert_clean()


async def test_a_photo_whose_news_went_to_nobody_still_shows(redis, redis_url, graph, browser):
    """The `attachment` event reaches only whoever holds the conversation at that moment: one that
    settled during an accept or a network blip was told to nobody. The console asks again while it
    shows a file as pending (here every such event is dropped on its way to the page)."""
    graph.hold_media = asyncio.Event()
    async with whatsapp_gateway(redis_url, graph.url, browser) as gw, aiohttp.ClientSession() as http:
        _, anna, watch = await new_page(browser, "anna's console", width=1400, height=860)
        dropped: list[str] = []

        def without_attachment_news(ws) -> None:
            server = ws.connect_to_server()

            def to_page(message) -> None:
                if '"attachment"' in str(message):
                    dropped.append(str(message))
                else:
                    ws.send(message)

            server.on_message(to_page)

        await anna.route_web_socket(re.compile(r"/socket\.io/"), without_attachment_news)
        await agent_available(anna, gw.url, "anna")
        await deliver(http, gw.url, recorded("whatsapp_image"))
        await accept_offer(anna, "Test Name")
        file = agent_log(anna).locator(".msg[data-author=visitor] .attachment")
        await expect(file).to_have_attribute("data-state", "pending")
        await expect(file).to_have_text("Loading file…")

        graph.hold_media.set()  # the gateway fetches it now; the news of it is lost on the way
        record = TenantKeys("demo").media(await file.get_attribute("data-attachment-id") or "-")

        async def fetched() -> bool:
            return await redis.hget(record, "state") == "ready"

        await eventually(fetched, 10)
        await eventually(lambda: dropped, 5)  # its event was sent, and lost
        assert await image_shown(agent_log(anna).locator(".msg[data-author=visitor] a.att-image img")) == 8
        await expect(file).to_have_attribute("data-state", "ready")
        watch.assert_clean()


async def test_an_unsupported_message_names_its_type(redis, redis_url, graph, browser):
    async with whatsapp_gateway(redis_url, graph.url, browser) as gw, aiohttp.ClientSession() as http:
        _, anna, watch = await new_page(browser, "anna's console", width=1400, height=860)
        await agent_available(anna, gw.url, "anna")
        await deliver(http, gw.url, recorded("whatsapp_text_pywa"))
        await accept_offer(anna, "Test Name")
        await deliver(http, gw.url, with_message("whatsapp_unsupported", id="wamid.u1"))
        unsupported = agent_log(anna).locator(".msg .unsupported")
        await expect(unsupported).to_have_text("Unsupported message type: unsupported")
        watch.assert_clean()


async def test_the_dashboard_shows_each_channels_health(redis, redis_url, graph, browser):
    async with whatsapp_gateway(redis_url, graph.url, browser) as gw:
        _, sam, watch = await new_page(browser, "sam's dashboard", width=1400, height=900)
        await log_in(sam, f"{gw.url}/supervisor", "sam")
        table = sam.locator("table.channels")
        await expect(table.locator("tr[data-channel-id=whatsapp] .health")).to_have_text("ok")
        broken = table.locator("tr[data-channel-id=messenger]")
        await expect(broken).to_have_attribute("data-health", "disabled")
        await expect(broken.locator(".health")).to_have_class(re.compile(r"\bhealth-bad\b"))
        await expect(sam.locator(".alerts")).to_contain_text("Channel messenger: disabled")
        watch.assert_clean()


async def test_an_edit_links_to_the_message_it_changes(gateway_server, redis, browser):
    # Stored through the store helper (as conversations/bridged.py stores a platform's edit), then
    # read by the console from history: what is tested here is how the console shows it.
    from browser_helpers import socket_visitor

    from gateway.store.messages import append_message

    _, anna, watch = await new_page(browser, "anna's console", width=1400, height=860)
    await agent_available(anna, gateway_server.url, "anna")
    await socket_visitor(gateway_server, "Edda Edit", ["My order number is 1234"])
    await accept_offer(anna, "Edda Edit")
    cid = await anna.locator(".conv-item").first.get_attribute("data-conversation-id")
    await append_message(redis, TenantKeys("demo"), cid, author_kind="visitor", author_name="Edda Edit",
                         text="My order number is 1243", extra={"edit_of": 1})
    await anna.reload()
    await anna.locator(".conv-item").first.click()
    edit = agent_log(anna).locator(".msg[data-seq='2'] .text")
    await expect(edit).to_have_text("edited: My order number is 1243")
    await edit.locator("a.edit-of").click()
    await expect(agent_log(anna).locator(".msg[data-seq='1']")).to_have_class(re.compile(r"\bflash\b"))
    watch.assert_clean()
