"""Browser-test helpers: Debian's Chromium driven by Playwright, and the steps a person takes in
the widget, the agent console and the supervisor dashboard.

The test modules import the fixtures from here (``from browser_helpers import ...``); the gateway
itself comes from the ``gateway_server`` fixture in conftest.py (the demo config on the test Redis).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# the README's pictures are refreshed by `make screenshots`; a test run leaves the checked-in ones alone
SCREENSHOTS = ROOT / ("docs/screenshots" if os.environ.get("OMNIRELAY_SCREENSHOTS") == "docs" else "tests/artifacts/screenshots")
STATIC = ROOT / "gateway" / "static"
# What a visitor might type to attack the console: it must stay text and run nothing.
XSS = '<img src=x onerror="window.__xss=1;alert(1)"><script>window.__xss=2</script>'

expect.set_options(timeout=10_000)


def _require_build() -> None:
    missing = [
        name
        for name in ("widget.js", "demo.html", "agent.html", "supervisor.html")
        if not (STATIC / name).exists()
    ]
    if missing:
        pytest.fail(f"front ends not built ({', '.join(missing)} missing): run `make install`")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browsers` (Debian's chromium package)")


@pytest.fixture(name="browser")
async def _browser() -> AsyncIterator[Browser]:
    """A headless Chromium for one test."""
    _require_build()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            await browser.close()


# Wraps AudioContext before the page's own scripts run. Headless Chromium lets audio start at
# any time, so the wrapper applies the autoplay rule of desktop browsers: a context made before
# any user gesture in the document starts suspended, and resume() does nothing until a gesture.
# It also counts started tones (the offer chime is two).
AUDIO_PROBE = """(() => {
    const Real = window.AudioContext;
    if (!Real) return;
    const probe = { contexts: [], tones: 0 };
    const allowed = () => navigator.userActivation.hasBeenActive;
    window.__audio = probe;
    window.AudioContext = class extends Real {
        constructor(...args) {
            super(...args);
            probe.contexts.push(this);
            if (!allowed()) super.suspend();
        }
        resume() { return allowed() ? super.resume() : new Promise(() => {}); }
        createOscillator() { probe.tones += 1; return super.createOscillator(); }
    };
})();"""


class Watch:
    """Records what a page did that a test must rule out: script errors, dialogs (alert)."""

    def __init__(self, page: Page, name: str):
        self.name = name
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("pageerror", lambda err: self.errors.append(str(err)))
        page.on("dialog", self._dialog)

    async def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        await dialog.dismiss()

    def assert_clean(self) -> None:
        assert not self.dialogs, f"{self.name}: a dialog opened: {self.dialogs}"
        assert not self.errors, f"{self.name}: script errors: {self.errors}"


async def new_page(
    browser: Browser, name: str, *, locale: str = "en-US", width: int = 1280, height: int = 800
) -> tuple[BrowserContext, Page, Watch]:
    """A fresh browser context (own storage, like another person's browser) with one page."""
    context = await browser.new_context(locale=locale, viewport={"width": width, "height": height})
    page = await context.new_page()
    return context, page, Watch(page, name)


@contextlib.asynccontextmanager
async def gateway_with(redis_url: str, change, browser: Browser) -> AsyncIterator:
    """The demo gateway with its config changed by ``change(config)`` (use the flushed ``redis``
    fixture). The browser's pages close first, so the gateway need not wait for their sockets."""
    from conftest import DEMO_CONFIG, running_gateway

    from gateway.config import load_config

    config = load_config(DEMO_CONFIG, env={})
    change(config)
    async with running_gateway(config, redis_url) as gw:
        try:
            yield gw
        finally:
            for context in browser.contexts:
                await context.close()


async def socket_visitor(gw, name: str, texts: list[str], **auth):
    """A visitor on a plain Socket.IO client who writes ``texts``; returns (client, inbox, token)."""
    client, inbox = await gw.visitor(name=name, **auth)
    session = await inbox.next("session", lambda d: d.get("visitor_token"))
    for i, text in enumerate(texts):
        ack = await client.call("message", {"text": text, "client_id": f"{name}-{i}"}, namespace="/visitor", timeout=5)
        assert "error" not in ack, ack
    return client, inbox, session["visitor_token"]


async def resume_in_widget(page: Page, base: str, token: str, name: str, topic: str = "billing") -> None:
    """Open /demo as the visitor holding ``token`` (as if it had chatted from this browser)."""
    await page.goto(f"{base}/demo")
    profile = {"name": name, "email": "", "topic": topic, "language": "en"}
    await page.evaluate(
        """([token, profile]) => {
            localStorage.setItem('omnirelay:demo:visitor_token', JSON.stringify(token));
            localStorage.setItem('omnirelay:demo:profile', JSON.stringify(profile));
            localStorage.setItem('omnirelay:demo:open', 'true');
        }""",
        [token, profile],
    )
    await page.reload()
    await expect(page.locator("#or-panel")).to_be_visible()


# --- agent console and supervisor dashboard ----------------------------------------------------


async def log_in(page: Page, url: str, username: str, password: str | None = None) -> None:
    await page.goto(url)
    await page.fill("#login-username", username)
    await page.fill("#login-password", password or f"{username}-demo")
    await page.click(".login-card button[type=submit]")
    await expect(page.locator(".login-card")).to_have_count(0)


async def agent_available(page: Page, base: str, username: str = "anna") -> None:
    """Log in to the agent console and switch to available."""
    await log_in(page, f"{base}/agent", username)
    await expect(page.locator(".conn")).to_have_text("Connected")
    await page.click(".state-switch [data-state=available]")
    await expect(page.locator(".state-switch [data-state=available]")).to_have_attribute(
        "aria-checked", "true"
    )


async def accept_offer(page: Page, customer: str) -> None:
    """Wait for an offer from ``customer``, check what it shows, accept it and open the conversation."""
    card = page.locator(".offer-card", has_text=customer)
    await expect(card).to_be_visible()
    await expect(card.locator(".left")).to_have_text(re.compile(r"^\d+ s left$"))
    await card.locator("[data-action=accept]").click()
    await expect(page.locator("#conv-heading")).to_have_text(customer)


def agent_log(page: Page):
    return page.locator(".conversation .log")


async def agent_send(page: Page, text: str) -> None:
    await page.fill("#composer-input", text)
    await page.press("#composer-input", "Enter")


async def agent_messages(page: Page) -> list[dict]:
    """The messages the console shows for the open conversation: seq, author kind, text."""
    return await page.eval_on_selector_all(
        ".conversation .log .msg",
        """els => els.map(e => ({
            seq: e.dataset.seq ? Number(e.dataset.seq) : null,
            author: e.dataset.author || 'pending',
            text: e.querySelector('.text').textContent,
        }))""",
    )


# --- the visitor widget (in a shadow root; Playwright's CSS selectors pierce it) ----------------


async def open_widget(page: Page, base: str) -> None:
    await page.goto(f"{base}/demo")
    launcher = page.locator("#omnirelay-widget .launcher")
    await expect(launcher).to_be_visible()
    if await launcher.get_attribute("aria-expanded") != "true":
        await launcher.click()
    await expect(page.locator("#or-panel")).to_be_visible()


async def start_chat(
    page: Page, name: str, *, email: str = "", topic: str = "billing", language: str | None = None
) -> None:
    """Fill in the pre-chat form and start."""
    await expect(page.locator("#or-name")).to_be_visible()
    if language:
        await page.select_option("#or-language", language)
    await page.fill("#or-name", name)
    if email:
        await page.fill("#or-email", email)
    await page.select_option("#or-topic", topic)
    await page.click("form.prechat button[type=submit]")
    await expect(page.locator("#or-input")).to_be_visible()


async def visitor_send(page: Page, text: str) -> None:
    await page.fill("#or-input", text)
    await page.press("#or-input", "Enter")


async def widget_messages(page: Page) -> list[dict]:
    """The messages the widget shows: seq (None while pending), author kind, text, delivery state."""
    return await page.evaluate(
        """() => {
            const root = document.getElementById('omnirelay-widget').shadowRoot;
            return [...root.querySelectorAll('.log .msg')].map(e => ({
                seq: e.dataset.seq ? Number(e.dataset.seq) : null,
                author: e.dataset.author,
                text: (e.querySelector('.text') || e).textContent,
                state: e.dataset.state || null,
            }));
        }"""
    )


def assert_no_doubles(messages: list[dict]) -> None:
    seqs = [m["seq"] for m in messages if m["seq"] is not None]
    assert len(seqs) == len(set(seqs)), f"a message is shown twice: {messages}"
    assert seqs == sorted(seqs), f"messages out of order: {messages}"
    texts = [m["text"] for m in messages]
    assert len(texts) == len(set(texts)), f"a text is shown twice: {messages}"


async def screenshot(page: Page, name: str, **kwargs) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / name), **kwargs)


# --- files ------------------------------------------------------------------------------------


def png(width: int = 4, height: int = 3, rgb: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    """A real PNG (a browser decodes it: naturalWidth == width), made here so no binary is checked in."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def file_payload(name: str, mime: str, data: bytes) -> dict:
    """What Playwright's ``set_input_files`` takes for a file chosen in the file dialog."""
    return {"name": name, "mimeType": mime, "buffer": data}


async def image_shown(locator) -> int:
    """Wait until the <img> at ``locator`` shows a decoded image from a blob: URL; its natural width."""
    await expect(locator).to_have_attribute("src", re.compile(r"^blob:"))
    handle = await locator.element_handle()
    await locator.page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=handle, timeout=10_000)
    return await locator.evaluate("img => img.naturalWidth")


class MediaRequests:
    """The page's requests for files: the URL must carry no credential, the header must."""

    def __init__(self, page: Page):
        self.seen: list[tuple[str, dict[str, str]]] = []
        page.on("request", self._record)

    def _record(self, request) -> None:
        if "/api/v1/media/" in request.url:
            self.seen.append((request.url, request.headers))

    def assert_header_only(self, header: str) -> None:
        assert self.seen, "no file was fetched from /api/v1/media/"
        for url, headers in self.seen:
            query = set(parse_qs(urlsplit(url).query))
            assert "token" not in url.lower() and query <= {"meta"}, f"a credential in a URL: {url}"
            assert headers.get(header.lower()), f"{url} fetched without {header}"


# --- email conversations, stored the way the gateway stores a parsed mail -----------------------

MARIA = ("maria.muster@example.de", "Maria Muster")  # (address, name)


def mail(*, subject: str, sender: tuple[str, str] = MARIA, to: tuple[str, ...] = ("support@demo.example",),
         cc: list[str] | tuple[str, ...] = (), quoted: str = "", auto: str = "") -> dict:
    """A stored mail's ``email`` extra: what the consoles read of a mail besides its new text."""
    address, name = sender
    return {"subject": subject, "from": f"{name} <{address}>", "to": list(to), "cc": list(cc),
            "quoted": quoted, "html_present": False, "auto": auto}


async def email_arrives(gw, sender: tuple[str, str], text: str, email: dict, *, message_id: str,
                        linked_to: str = "") -> str:
    """Store a customer's mail in their open conversation on the demo ``email`` channel (a new one
    is routed on the ``email`` work channel, ``linked_to`` set before); the conversation id."""
    from acd import replies
    from gateway.appkeys import SERVICES
    from gateway.conversations.inbound import Customer, customer_wrote
    from gateway.keys import TenantKeys
    from gateway.store.conversations import update_conversation

    svc, keys = gw.app[SERVICES], TenantKeys("demo")
    address, name = sender
    pointer = keys.platform_chat("email", address)

    async def customer() -> Customer:
        return Customer(pointer=pointer, name=name, channel="email", channel_type="email", work_channel="email",
                        topic="billing", language="de", identities=[("email", address)], external_id=address)

    async def link(conv) -> None:
        if linked_to:
            await update_conversation(svc.redis, keys, conv.id, linked_to=linked_to)

    wrote = await customer_wrote(
        svc, keys, text, author=(name, address), customer=customer, client_id=f"email:{message_id}",
        current=replies.maybe_text(await svc.redis.hget(pointer, "conversation_id")),
        extra={"email": email, "platform_message_id": message_id}, on_open=link,
    )
    return wrote.posted.message.conversation_id


async def bounce(gw, cid: str, text: str, reason: str) -> int:
    """An agent's mail in ``cid`` (stored and shown) that then bounced with ``reason``; its seq."""
    from gateway.appkeys import SERVICES
    from gateway.conversations.delivery import fan_out
    from gateway.conversations.outbound import tell_status
    from gateway.keys import TenantKeys
    from gateway.store.messages import post_message
    from gateway.store.statuses import set_status

    svc, keys = gw.app[SERVICES], TenantKeys("demo")
    posted = await post_message(svc.redis, keys, cid, author_kind="agent", author_name="Anna", text=text)
    await fan_out(svc, "demo", posted)
    seq = posted.message.seq
    await set_status(svc.redis, keys, cid, seq, "failed", reason)
    await tell_status(svc, "demo", cid, seq, "failed", reason)
    return seq

