"""Which transport the widget opens with (widget/src/widget/reconnect.ts): a websocket of its own, with no
long-polling session first; and behind a proxy that refuses websockets it falls back to long-polling at
once, chats all the same, and the next page load starts with long-polling instead of trying the websocket
first again."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from browser_helpers import _browser, new_page, open_widget, start_chat, visitor_send  # noqa: F401 (`browser`)
from playwright.async_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "upgrade", "host", "content-length", "content-encoding"}


@contextlib.asynccontextmanager
async def proxy_without_websockets(upstream: str) -> AsyncIterator[tuple[str, list[str]]]:
    """An HTTP proxy in front of ``upstream`` that answers every websocket upgrade 403, as some corporate
    proxies do; yields its URL and the websocket upgrades it refused."""
    refused: list[str] = []
    client = aiohttp.ClientSession(auto_decompress=False)

    async def forward(request: web.Request) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() == "websocket":
            refused.append(str(request.rel_url))
            return web.Response(status=403, text="websockets are not allowed here")
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        async with client.request(request.method, upstream + str(request.rel_url), headers=headers,
                                  data=await request.read(), allow_redirects=False) as r:
            body = await r.read()
            kept = {k: v for k, v in r.headers.items() if k.lower() not in HOP_BY_HOP}
            if "Content-Encoding" in r.headers:
                kept["Content-Encoding"] = r.headers["Content-Encoding"]
            return web.Response(status=r.status, body=body, headers=kept)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", forward)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}", refused
    finally:
        await runner.cleanup()
        await client.close()


def socket_io(page, seen: list[str]) -> None:
    """Record the page's Socket.IO requests and websockets in order (``polling …`` / ``websocket …``)."""
    page.on("request", lambda r: "/socket.io/" in r.url and "transport=polling" in r.url
            and seen.append(f"polling {r.url}"))
    page.on("websocket", lambda ws: seen.append(f"websocket {ws.url}"))


async def test_the_widget_opens_a_websocket_of_its_own(gateway_server, browser):
    _, page, _ = await new_page(browser, "widget")
    seen: list[str] = []
    socket_io(page, seen)
    await open_widget(page, gateway_server.url)
    await start_chat(page, "Wendy Websocket", topic="billing", language="en")
    await visitor_send(page, "hello over a websocket")
    await expect(page.locator(".msg[data-author=visitor]", has_text="hello over")).to_have_attribute(
        "data-state", "sent"
    )
    assert seen and seen[0].startswith("websocket ") and "sid=" not in seen[0], seen
    assert not any(s.startswith("polling ") for s in seen), seen  # no long-polling session at all
    assert await page.evaluate("localStorage.getItem('omnirelay:demo:polling_first_until')") is None


async def test_behind_a_proxy_that_refuses_websockets_the_widget_chats_over_long_polling(gateway_server, browser):
    async with proxy_without_websockets(gateway_server.url) as (base, refused):
        context, page, _ = await new_page(browser, "widget")
        seen: list[str] = []
        socket_io(page, seen)
        await open_widget(page, base)
        await start_chat(page, "Pia Proxy", topic="billing", language="en")
        await visitor_send(page, "one: through the proxy")
        sent = page.locator(".msg[data-author=visitor]", has_text="one:")
        await expect(sent).to_have_attribute("data-state", "sent")
        # the websocket was tried first, refused, and long-polling carried the chat straight after
        assert refused and seen[0].startswith("websocket "), seen
        assert any(s.startswith("polling ") and "sid=" in s for s in seen), seen
        until = await page.evaluate("Number(localStorage.getItem('omnirelay:demo:polling_first_until'))")
        now = await page.evaluate("Date.now()")
        assert now + 23 * 3600_000 < until <= now + 24 * 3600_000  # remembered for a day

        # the next page load starts with long-polling: no refused websocket before the chat is back
        seen.clear()
        refused.clear()
        await page.reload()
        await expect(page.locator("#or-input")).to_be_visible()
        await expect(sent).to_have_count(1)
        await visitor_send(page, "two: after the reload")
        await expect(page.locator(".msg[data-author=visitor]", has_text="two:")).to_have_attribute(
            "data-state", "sent"
        )
        assert seen and seen[0].startswith("polling ") and "sid=" not in seen[0], seen
        await context.close()
