"""The Telegram bridge's outbound side against a local Bot API stand-in: replies, uploads, file
downloads and setWebhook, with each platform answer mapped to what the gateway does next."""

from __future__ import annotations

import traceback
from collections.abc import AsyncIterator

import aiohttp
import pytest
from telegram_standin import TOKEN, StandIn, error_body, running

from bridges.base import AuthFailed, Fatal, Health, NotReady, Outbound, OutboundFile
from bridges.telegram import TelegramBridge, TelegramConfig

pytestmark = pytest.mark.timeout(15)

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture
async def api() -> AsyncIterator[StandIn]:
    async with running(StandIn()) as stand_in:
        yield stand_in


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        yield session


def make(http: aiohttp.ClientSession, base: str, token: str = TOKEN) -> TelegramBridge:
    return TelegramBridge(TelegramConfig(secret="s", token=token, api_base=base + "/"), http)


def reply(text: str = "Please restart it.", **kw) -> Outbound:
    return Outbound(thread="218485655", text=text, client_id="c1", **kw)


def leaks(err: BaseException, token: str = TOKEN) -> bool:
    """Whether the token shows in the error or in the traceback a log line would print."""
    return token in "".join(traceback.format_exception(err))


async def test_a_text_reply_is_sent_with_sendMessage(api, http):
    bridge = make(http, api.url)
    assert bridge.health is Health.CONNECTING
    sent = await bridge.send(reply(reply_to="6557"))
    assert sent.message_id == "101" and sent.raw["chat"]["id"] == 218485655
    call = api.calls[0]
    assert (call.method, call.json["chat_id"], call.json["text"]) == ("sendMessage", "218485655", "Please restart it.")
    assert call.json["reply_parameters"] == {"message_id": 6557, "allow_sending_without_reply": True}
    assert bridge.health is Health.OK


async def test_429_waits_as_long_as_telegram_says(api, http):
    bridge = make(http, api.url)
    api.answer("sendMessage", 429, error_body("429_retry_after"), {"Retry-After": "14"})
    with pytest.raises(NotReady) as info:
        await bridge.send(reply())
    assert info.value.retry_after == 14 and "retry after 14" in str(info.value)
    assert bridge.health is Health.TRANSIENT_ERROR
    # only the header (a proxy's answer): still honoured
    api.answer("sendMessage", 429, b"slow down", {"Retry-After": "3"})
    with pytest.raises(NotReady) as info:
        await bridge.send(reply())
    assert info.value.retry_after == 3
    await bridge.send(reply())
    assert bridge.health is Health.OK and api.sent_texts() == ["Please restart it."] * 3


@pytest.mark.parametrize("status, body", [
    (500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}),
    (502, b"<html>Bad Gateway</html>"),
    (200, b"not json"),
])
async def test_server_trouble_is_retried_later(api, http, status, body):
    api.answer("sendMessage", status, body)
    with pytest.raises(NotReady) as info:
        await make(http, api.url).send(reply())
    assert info.value.retry_after is None


@pytest.mark.parametrize("fixture, status, reason, code", [
    ("403_bot_blocked", 403, "Forbidden: bot was blocked by the user", "403"),
    ("403_user_deactivated", 403, "Forbidden: user is deactivated", "403"),
    ("400_message_too_long", 400, "Bad Request: message is too long", "400"),
])
async def test_permanent_refusals_fail_with_telegrams_words(api, http, fixture, status, reason, code):
    bridge = make(http, api.url)
    api.answer("sendMessage", status, error_body(fixture))
    with pytest.raises(Fatal) as info:
        await bridge.send(reply())
    assert (info.value.reason, info.value.code) == (reason, code)
    assert bridge.health is Health.OK  # the bot works; this one chat refuses


async def test_a_refused_token_fails_auth_and_never_shows_the_token(api, http):
    bridge = make(http, api.url, token="999:revoked-token")
    with pytest.raises(AuthFailed) as info:
        await bridge.send(reply())
    assert "Unauthorized" in str(info.value) and not leaks(info.value, "999:revoked-token")
    assert bridge.health is Health.AUTH_FAILED
    # a token that cannot be valid: the real server answers 404 Not Found
    api.answer("sendMessage", 404, {"ok": False, "error_code": 404, "description": "Not Found"})
    with pytest.raises(AuthFailed):
        await make(http, api.url).send(reply())


async def test_an_unreachable_api_is_retried_and_the_token_stays_out_of_errors(http):
    # refused; and an unusable URL, which aiohttp quotes whole (token included) in its error
    for base in ("http://127.0.0.1:9", "http://127.0.0.1:99999"):
        bridge = make(http, base)
        with pytest.raises(NotReady) as info:
            await bridge.send(reply())
        assert not leaks(info.value), base
        assert bridge.health is Health.TRANSIENT_ERROR


async def test_a_picture_is_uploaded_with_the_text_as_its_caption(api, http):
    sent = await make(http, api.url).send(reply("Here is the diagram", files=(OutboundFile("diagram.png", "image/png", PNG),)))
    assert [c.method for c in api.calls] == ["sendPhoto"] and sent.message_id == "101"
    form = api.calls[0].form
    assert form["chat_id"] == "218485655" and form["caption"] == "Here is the diagram"
    assert form["photo"] == ("diagram.png", "image/png", PNG)  # the bytes themselves, never a link


async def test_a_long_text_goes_first_then_each_file_as_a_document(api, http):
    files = (OutboundFile("invoice.pdf", "application/pdf", b"%PDF-1.4 one"),
             OutboundFile("anim.gif", "image/gif", b"GIF89a"))
    sent = await make(http, api.url).send(reply("x" * 2000, files=files, reply_to="7"))
    assert [c.method for c in api.calls] == ["sendMessage", "sendDocument", "sendDocument"]
    assert sent.message_id == "101"  # the text's id
    assert api.calls[1].form["document"] == ("invoice.pdf", "application/pdf", b"%PDF-1.4 one")
    assert "caption" not in api.calls[1].form and "reply_parameters" not in api.calls[1].form
    assert api.calls[2].form["document"][0] == "anim.gif"


async def test_a_file_over_the_bots_upload_limit_sends_nothing(api, http):
    big = OutboundFile("video.mp4", "video/mp4", b"\0" * (50 * 1024 * 1024 + 1))
    with pytest.raises(Fatal) as info:
        await make(http, api.url).send(reply(files=(OutboundFile("a.png", "image/png", PNG), big)))
    assert info.value.reason == f"too large: video.mp4, {50 * 1024 * 1024 + 1} bytes"
    assert api.calls == []


async def test_a_customer_file_is_fetched_through_getFile(api, http):
    api.file_info["DOC1"] = {"file_id": "DOC1", "file_unique_id": "u", "file_size": 11, "file_path": "documents/file_3.pdf"}
    api.files["documents/file_3.pdf"] = b"%PDF-1.4 hi"
    media = await make(http, api.url).fetch("DOC1?size=11&name=invoice.pdf&mime=application%2Fpdf", 1024)
    assert (media.data, media.mime, media.name) == (b"%PDF-1.4 hi", "application/pdf", "invoice.pdf")
    assert api.calls[0].json == {"file_id": "DOC1"} and api.downloads == ["documents/file_3.pdf"]
    # a bare file id works too: the name comes from Telegram's path
    media = await make(http, api.url).fetch("DOC1", 1024)
    assert media.name == "file_3.pdf"


async def test_a_file_over_20_mb_is_refused_with_its_name_and_size_without_a_call(api, http):
    with pytest.raises(Fatal) as info:
        await make(http, api.url).fetch("VID?size=31457280&name=holiday.mp4", 50 * 1024 * 1024)
    assert info.value.reason == "too large: holiday.mp4, 31457280 bytes"
    assert api.calls == [] and api.downloads == []


async def test_a_file_over_the_gateways_limit_is_refused(api, http):
    api.file_info["P"] = {"file_id": "P", "file_size": 5000, "file_path": "photos/file_1.jpg"}
    api.files["photos/file_1.jpg"] = b"\xff" * 5000
    with pytest.raises(Fatal) as info:
        await make(http, api.url).fetch("P", 4096)
    assert info.value.reason == "too large: file_1.jpg, 5000 bytes" and api.downloads == []
    # Telegram did not say the size: the download stops at the limit
    api.file_info["P"] = {"file_id": "P", "file_path": "photos/file_1.jpg"}
    with pytest.raises(Fatal) as info:
        await make(http, api.url).fetch("P", 4096)
    assert info.value.reason == "too large: file_1.jpg, more than 4096 bytes"
    api.answer("getFile", 400, {"ok": False, "error_code": 400, "description": "Bad Request: file is too big"})
    with pytest.raises(Fatal) as info:
        await make(http, api.url).fetch("P?name=film.mkv", 4096)
    assert info.value.reason == f"too large: film.mkv, more than {20 * 1024 * 1024} bytes"


async def test_a_failed_download_is_retried_later(api, http):
    api.file_info["P"] = {"file_id": "P", "file_size": 3, "file_path": "photos/p.jpg"}
    api.files["photos/p.jpg"] = b"abc"
    bridge = make(http, api.url)
    api.answer("download", 502, b"bad gateway")
    with pytest.raises(NotReady):
        await bridge.fetch("P", 1024)
    api.answer("getFile", 429, error_body("429_retry_after"))
    with pytest.raises(NotReady) as info:
        await bridge.fetch("P", 1024)
    assert info.value.retry_after == 14
    assert (await bridge.fetch("P", 1024)).data == b"abc"
    del api.files["photos/p.jpg"]  # gone from Telegram's side
    with pytest.raises(Fatal):
        await bridge.fetch("P", 1024)


async def test_register_webhook_sets_the_secret_and_the_update_kinds(api, http):
    bridge = make(http, api.url)
    answer = await bridge.register_webhook("https://gw.example/webhooks/telegram/telegram", "s3cret_-X")
    assert answer == {"ok": True, "result": True}
    assert api.calls[0].method == "setWebhook" and api.calls[0].json == {
        "url": "https://gw.example/webhooks/telegram/telegram", "secret_token": "s3cret_-X",
        "allowed_updates": ["message", "edited_message", "callback_query"],
    }
    with pytest.raises(Fatal):  # Telegram takes only A-Z, a-z, 0-9, _ and -
        await bridge.register_webhook("https://gw.example/x", "has space")
    api.answer("setWebhook", 400, {"ok": False, "error_code": 400,
                                   "description": "Bad Request: bad webhook: HTTPS url must be provided for webhook"})
    with pytest.raises(Fatal) as info:
        await bridge.register_webhook("http://gw.example/x", "ok")
    assert "HTTPS url must be provided" in info.value.reason and len(api.calls) == 2


async def test_webhook_info_reports_what_telegram_says(api, http):
    info = await make(http, api.url).webhook_info()
    assert info["pending_update_count"] == 3 and info["last_error_message"].startswith("Wrong response")
    with pytest.raises(AuthFailed):
        await make(http, api.url, token="1:wrong").webhook_info()


async def test_a_button_press_is_answered(api, http):
    await make(http, api.url).answer_callback("666728699048485871")
    assert (api.calls[0].method, api.calls[0].json) == ("answerCallbackQuery", {"callback_query_id": "666728699048485871"})
