"""WhatsApp replies and media against a local stand-in for the Cloud API: what Meta receives, and
what each of its answers (success, 429, 5xx, the recorded error bodies) becomes for the gateway."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from wa_fixtures import BSUID, TOKEN, bridge, recorded
from wa_standin import MIB, FakeGraph

from bridges.base import AuthFailed, Fatal, Health, NotReady, Outbound, OutboundFile, Template, WindowClosed
from bridges.whatsapp import client as client_module

pytestmark = pytest.mark.timeout(20)


@pytest.fixture
async def graph():
    fake = FakeGraph()
    server = TestServer(fake.app, host="127.0.0.1", port=0)
    await server.start_server()
    fake.url = str(server.make_url("")).rstrip("/")
    yield fake
    await server.close()


@pytest.fixture
async def wa(graph):
    async with aiohttp.ClientSession() as http:
        yield bridge(http, api_base=graph.url)


def reply(text: str = "Hello", **kw: Any) -> Outbound:
    return Outbound(thread=BSUID, text=text, client_id="c1", **kw)


def graph_error(name: str) -> dict[str, Any]:
    return {"error": recorded(name)}


# --- sending -------------------------------------------------------------------------------------------


async def test_a_text_reaches_the_bsuid_through_recipient(wa, graph):
    assert wa.health is Health.CONNECTING
    sent = await wa.send(reply("Hello Ada", reply_to="wamid.1"))
    assert sent.message_id == "wamid.out1" and wa.health is Health.OK
    [request] = graph.requests
    assert request["auth"] == f"Bearer {TOKEN}"
    body = request["json"]
    assert body["recipient"] == BSUID and "to" not in body
    assert body["text"]["body"] == "Hello Ada" and body["context"] == {"message_id": "wamid.1"}
    # the shape Meta documents for a text reply (the recorded request), field for field
    documented = recorded("whatsapp_send_request_text_reply")
    for field in ("messaging_product", "recipient_type", "type"):
        assert body[field] == documented[field]


async def test_with_a_phone_number_the_reply_goes_to_it(wa, graph):
    await wa.send(reply(phone="4915112345"))
    assert graph.sent()[0]["to"] == "4915112345" and "recipient" not in graph.sent()[0]
    await wa.send(Outbound(thread="16505551234", text="hi", client_id="c2"))  # an older, phone-only thread
    assert graph.sent()[1]["to"] == "16505551234"


async def test_a_template_when_the_window_is_closed(wa, graph):
    sent = await wa.send(reply("ignored", template=Template(name="reopen_conversation", language="de")))
    assert sent.message_id == "wamid.out1"
    [body] = graph.sent()
    assert body["type"] == "template" and "text" not in body
    assert body["template"] == {"name": "reopen_conversation", "language": {"code": "de"}}


async def test_files_are_uploaded_as_multipart_then_sent_by_media_id(wa, graph):
    photo = OutboundFile(name="router.png", mime="image/png", data=b"\x89PNG-bytes")
    manual = OutboundFile(name="manual.pdf", mime="application/pdf", data=b"%PDF-1.7")
    sent = await wa.send(reply("See the pictures", files=(photo, manual)))
    uploads = [r for r in graph.requests if r["path"].endswith("/media")]
    assert [u["file"] for u in uploads] == [("router.png", "image/png", b"\x89PNG-bytes"),
                                            ("manual.pdf", "application/pdf", b"%PDF-1.7")]
    assert uploads[0]["content_type"] == "multipart/form-data" and uploads[0]["auth"] == f"Bearer {TOKEN}"
    assert uploads[0]["form"] == {"messaging_product": "whatsapp", "type": "image/png"}
    image, document = graph.sent()
    assert image["type"] == "image" and image["image"] == {"id": "media1", "caption": "See the pictures"}
    assert document["type"] == "document" and document["document"] == {"id": "media2", "filename": "manual.pdf"}
    assert sent.message_id == "wamid.out1"  # the message that carries the agent's text


async def test_a_voice_note_takes_no_caption_so_the_text_goes_first(wa, graph):
    note = OutboundFile(name="a.ogg", mime="audio/ogg", data=b"OggS")
    await wa.send(reply("Listen", files=(note,)))
    text, audio = graph.sent()
    assert text["text"]["body"] == "Listen" and audio == {**audio, "type": "audio", "audio": {"id": "media1"}}


async def test_a_big_image_goes_as_a_document_and_a_file_past_100_mib_not_at_all(wa, graph):
    big = OutboundFile(name="scan.jpg", mime="image/jpeg", data=b"x" * (6 * MIB))
    await wa.send(reply("", files=(big,)))
    assert graph.sent()[0]["type"] == "document"
    huge = OutboundFile(name="backup.zip", mime="application/zip", data=b"x" * (100 * MIB + 1))
    with pytest.raises(Fatal) as info:
        await wa.send(reply("", files=(huge,)))
    assert info.value.reason == f"too large: backup.zip, {100 * MIB + 1} bytes"
    assert len([r for r in graph.requests if r["path"].endswith("/media")]) == 1  # nothing uploaded for it


# --- the platform's refusals ---------------------------------------------------------------------------


async def test_429_with_retry_after_is_not_ready_for_that_long(wa, graph):
    throughput = {"error": {"message": "(#130429) Rate limit hit", "type": "OAuthException", "code": 130429}}
    graph.script["messages"].append((429, throughput, {"Retry-After": "7"}))
    with pytest.raises(NotReady) as info:
        await wa.send(reply())
    assert info.value.retry_after == 7.0 and "130429" in str(info.value)
    assert wa.health is Health.TRANSIENT_ERROR
    assert (await wa.send(reply())).message_id == "wamid.out2" and wa.health is Health.OK


async def test_the_pair_limit_waits_six_seconds(wa, graph):
    pair = {"error": {"code": 131056, "title": "(Business Account, Consumer Account) pair rate limit hit"}}
    graph.script["messages"].append((400, pair, {}))
    with pytest.raises(NotReady) as info:
        await wa.send(reply())
    assert info.value.retry_after == 6.0


@pytest.mark.parametrize("status, answer", [(500, "<html>oops</html>"), (503, {"error": {"code": 2, "message":
                                            "Service temporarily unavailable"}}), (502, "")])
async def test_5xx_is_not_ready(wa, graph, status, answer):
    graph.script["messages"].append((status, answer, {}))
    with pytest.raises(NotReady) as info:
        await wa.send(reply())
    assert info.value.retry_after is None


async def test_131047_is_a_closed_window_with_meta_words(wa, graph):
    graph.script["messages"].append((400, graph_error("whatsapp_error_131047_reengagement"), {}))
    with pytest.raises(WindowClosed) as info:
        await wa.send(reply())
    assert info.value.code == "131047"
    assert info.value.reason == ("Re-engagement message: Message failed to send because more than 24 hours have "
                                 "passed since the customer last replied to this number.")


async def test_an_expired_token_is_auth_failed_and_turns_health_red(wa, graph):
    graph.script["messages"].append((401, graph_error("whatsapp_error_190_expired_token"), {}))
    with pytest.raises(AuthFailed) as info:
        await wa.send(reply())
    assert "Session has expired" in str(info.value)
    assert wa.health is Health.AUTH_FAILED


async def test_another_refusal_is_fatal_with_title_and_code(wa, graph):
    invalid = {"error": {"message": "(#100) Invalid parameter", "type": "OAuthException", "code": 100,
                         "error_data": {"messaging_product": "whatsapp", "details": "Parameter 'recipient' invalid"}}}
    graph.script["messages"].append((400, invalid, {}))
    with pytest.raises(Fatal) as info:
        await wa.send(reply())
    assert (info.value.code, info.value.reason) == ("100", "(#100) Invalid parameter: Parameter 'recipient' invalid")
    assert not isinstance(info.value, WindowClosed)


async def test_an_upload_refused_sends_nothing(wa, graph):
    graph.script["media"].append((400, {"error": {"code": 131053, "title": "Media upload error"}}, {}))
    with pytest.raises(Fatal) as info:
        await wa.send(reply("x", files=(OutboundFile(name="a.png", mime="image/png", data=b"png"),)))
    assert info.value.code == "131053" and graph.sent() == []


async def test_unreachable_or_slow_is_not_ready(graph, monkeypatch):
    async with aiohttp.ClientSession() as http:
        with pytest.raises(NotReady):
            await bridge(http, api_base="http://127.0.0.1:9").send(reply())
        monkeypatch.setattr(client_module, "API_TIMEOUT", aiohttp.ClientTimeout(total=0.2))
        graph.delay = 1.0
        with pytest.raises(NotReady):
            await bridge(http, api_base=graph.url).send(reply())


# --- fetching a customer's media -----------------------------------------------------------------------------


async def test_fetch_resolves_the_media_url_and_downloads_with_the_token(wa, graph):
    media = await wa.fetch("65463453", max_bytes=MIB)
    assert (media.data, media.mime) == (b"\xff\xd8jpeg-bytes", "image/jpeg")
    assert [r["path"] for r in graph.requests] == ["/65463453", "/download/65463453"]
    assert all(r["auth"] == f"Bearer {TOKEN}" for r in graph.requests)


async def test_fetch_of_a_file_larger_than_allowed_is_fatal_with_its_size(wa, graph):
    graph.declared_size["65463453"] = 30 * MIB
    with pytest.raises(Fatal) as info:
        await wa.fetch("65463453", max_bytes=20 * MIB)
    assert info.value.reason == f"too large: 65463453, {30 * MIB} bytes"
    assert [r["path"] for r in graph.requests] == ["/65463453"]  # never downloaded
    # a size Meta understated: the download stops past the limit
    graph.declared_size["65463453"] = 1
    graph.files["65463453"] = b"y" * 5000
    with pytest.raises(Fatal) as info:
        await wa.fetch("65463453", max_bytes=4000)
    assert info.value.reason.startswith("too large: 65463453")


async def test_fetch_failures(wa, graph):
    with pytest.raises(Fatal) as info:
        await wa.fetch("404404", max_bytes=MIB)  # deleted at Meta
    assert "Unsupported get request" in info.value.reason
    graph.script["info"].append((500, "<html>down</html>", {}))
    with pytest.raises(NotReady):
        await wa.fetch("65463453", max_bytes=MIB)
    graph.script["download"].append((404, "", {}))  # the download URL expired between the two calls
    with pytest.raises(NotReady):
        await wa.fetch("65463453", max_bytes=MIB)
    graph.script["info"].append((401, graph_error("whatsapp_error_190_expired_token"), {}))
    with pytest.raises(AuthFailed):
        await wa.fetch("65463453", max_bytes=MIB)
    assert (await wa.fetch("65463453", max_bytes=MIB)).data == b"\xff\xd8jpeg-bytes"


