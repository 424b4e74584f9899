"""Files between a widget visitor and an agent, in real browsers: the visitor's image shows inline in
the console (fetched with a header, never a token in the URL; a click opens it), the agent's PDF
downloads in the widget, and refusals (too large, a type the gateway does not take) are sentences."""

from __future__ import annotations

import pytest
from browser_helpers import (  # noqa: F401  (_browser is the `browser` fixture)
    PDF,
    MediaRequests,
    _browser,
    accept_offer,
    agent_available,
    agent_log,
    file_payload,
    gateway_with,
    image_shown,
    new_page,
    open_widget,
    png,
    start_chat,
    visitor_send,
)
from playwright.async_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.timeout(90)]

LIMIT = 64 * 1024  # the test's upload limit, so a "too large" file stays small


def small_uploads(config) -> None:
    config.limits.upload_bytes = LIMIT


async def test_a_visitor_sends_an_image_and_the_agent_a_pdf(redis, redis_url, browser):
    async with gateway_with(redis_url, small_uploads, browser) as gw:
        _, anna, anna_watch = await new_page(browser, "anna's console", width=1400, height=820)
        anna_media = MediaRequests(anna)
        await agent_available(anna, gw.url, "anna")
        _, vera, vera_watch = await new_page(browser, "widget of Vera")
        vera_media = MediaRequests(vera)
        await open_widget(vera, gw.url)
        await start_chat(vera, "Vera Visual", topic="billing", language="en")
        # files go into a conversation, and a conversation starts with words
        await expect(vera.locator(".composer .attach")).to_be_disabled()
        await visitor_send(vera, "The parcel arrived broken.")
        await accept_offer(anna, "Vera Visual")
        await expect(vera.locator(".composer .attach")).to_be_enabled()

        # The visitor sends a photo with the composer's text as its caption.
        await vera.fill("#or-input", "This is how it looks")
        await vera.locator("#or-file").set_input_files(file_payload("damage.png", "image/png", png(6, 4)))
        shown = agent_log(anna).locator(".msg[data-author=visitor]", has_text="This is how it looks")
        assert await image_shown(shown.locator(".att-image img")) == 6
        await expect(shown.locator(".att-image")).to_have_attribute("aria-label", "Open image damage.png")
        assert await image_shown(vera.locator(".msg.own .att-image img")) == 6
        await expect(vera.locator("#or-input")).to_have_value("")
        anna_media.assert_header_only("Authorization")
        vera_media.assert_header_only("X-Visitor-Token")

        # A click opens the picture on its own, still without a token anywhere in the address.
        async with anna.context.expect_page() as opened:
            await shown.locator(".att-image img").click()
        popup = await opened.value
        assert popup.url.startswith("blob:"), popup.url
        await popup.close()

        # Refused before a byte is sent (over the limit), or by the gateway (bytes that are no image).
        await vera.locator("#or-file").set_input_files(file_payload("video.png", "image/png", b"\x89PNG" + b"0" * LIMIT))
        await expect(vera.locator(".upload-note")).to_have_text("video.png is too large to send; files up to 64 KB are accepted.")
        await vera.locator("#or-file").set_input_files(file_payload("photo.png", "image/png", b"MZ\x90\x00 a program"))
        await expect(vera.locator(".upload-note")).to_have_text(
            "Files of this type cannot be sent (photo.png). Please send an image or a PDF."
        )
        await expect(agent_log(anna).locator(".attachment")).to_have_count(1)

        # The agent answers with a PDF: a link with name and size in the widget, downloaded on click.
        await anna.locator("#composer-file").set_input_files(file_payload("credit-note.pdf", "application/pdf", PDF))
        await expect(agent_log(anna).locator(".msg.own .att-file")).to_have_text(f"credit-note.pdf ({len(PDF)} B)")
        link = vera.locator(".msg[data-author=agent] .att-file")
        await expect(link).to_have_text(f"credit-note.pdf ({len(PDF)} B)")
        async with vera.expect_download() as download_info:
            await link.click()
        download = await download_info.value
        assert download.suggested_filename == "credit-note.pdf"
        with open(await download.path(), "rb") as f:
            assert f.read() == PDF

        anna_watch.assert_clean()
        vera_watch.assert_clean()


async def test_the_console_says_why_a_file_was_refused(redis, redis_url, browser):
    async with gateway_with(redis_url, small_uploads, browser) as gw:
        _, anna, watch = await new_page(browser, "anna's console", width=1400, height=820)
        await agent_available(anna, gw.url, "anna")
        _, vera, _ = await new_page(browser, "widget of Otto")
        await open_widget(vera, gw.url)
        await start_chat(vera, "Otto Other", topic="billing", language="en")
        await visitor_send(vera, "Hello")
        await accept_offer(anna, "Otto Other")
        await anna.fill("#composer-input", "see attached")
        await anna.locator("#composer-file").set_input_files(file_payload("notes.pdf", "application/pdf", b"\x00\x01binary"))
        note = anna.locator(".upload-note")
        await expect(note).to_have_text(
            "Files of this type cannot be sent (notes.pdf). Send an image, a PDF or another accepted type."
        )
        await expect(note).to_have_attribute("role", "alert")
        await expect(anna.locator("#composer-input")).to_have_value("see attached")  # the caption is kept
        watch.assert_clean()
