"""Files from the widget's visitors and from agents: bounded in size, typed by their bytes (a renamed
executable is refused), stored, posted as a message, and served back to both sides of the conversation."""

from __future__ import annotations

import pytest
from conftest import running_gateway
from media_helpers import AGENT_EVENTS, ELF, PDF, get, png_bytes, stored_files, upload

pytestmark = pytest.mark.timeout(40)


@pytest.fixture
async def gw(redis, redis_url, demo_config, tmp_path):
    demo_config.server.media_dir = str(tmp_path)
    demo_config.limits.upload_bytes = 4096
    async with running_gateway(demo_config, redis_url) as gw:
        yield gw


async def chat(gw) -> tuple:
    """A widget visitor writing about billing, and anna (billing 5) holding the conversation."""
    login = await gw.login("anna")
    anna, anna_in = await gw.socket("/agent", {"token": login["token"]}, AGENT_EVENTS)
    await anna.call("state", {"state": "available"}, namespace="/agent")
    vera, vera_in = await gw.visitor()
    token = (await vera_in.next("session"))["visitor_token"]
    ack = await vera.call("message", {"text": "my invoice is wrong", "client_id": "v1"}, namespace="/visitor")
    offer = await anna_in.next("offer")
    await anna.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent")
    return ack["conversation_id"], login["token"], anna_in, token, vera_in


async def test_a_visitor_sends_a_picture_and_both_sides_can_open_it(gw, tmp_path):
    cid, anna, anna_in, vera, _ = await chat(gw)
    photo = png_bytes()
    url = f"{gw.url}/api/v1/widget/attachments"
    status, answer = await upload(url, photo, filename="../../etc/screen shot.png", text="see here", client_id="f1",
                                  visitor=vera)
    assert status == 200, answer
    [media] = answer["media"]
    assert answer["conversation_id"] == cid and answer["seq"] == 2
    assert media == {"id": media["id"], "kind": "image", "name": "screen shot.png", "mime": "image/png",
                     "size": len(photo), "state": "ready"}
    message = await anna_in.next("message", lambda m: m["seq"] == 2)
    assert message["text"] == "see here" and message["attachments"] == [media]

    file_url = f"{gw.url}/api/v1/media/{media['id']}"
    for who in ({"token": anna}, {"visitor": vera}):
        status, headers, body = await get(file_url, **who)
        assert status == 200 and body == photo and headers["Content-Type"] == "image/png"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Content-Disposition"] == "inline; filename=\"screen shot.png\"; filename*=UTF-8''screen%20shot.png"

    # ben serves neither this customer nor this conversation; another visitor is a stranger
    assert (await get(file_url, token=(await gw.login("ben"))["token"]))[0] == 404
    _, other_in = await gw.visitor()
    assert (await get(file_url, visitor=(await other_in.next("session"))["visitor_token"]))[0] == 404

    # the widget resends on a weak connection: the same answer, nothing new stored
    assert await upload(url, photo, text="see here", client_id="f1", visitor=vera) == (200, answer)
    assert len(stored_files(tmp_path)) == 1


async def test_what_a_visitor_may_not_upload(gw, tmp_path):
    cid, _, _, vera, _ = await chat(gw)
    url = f"{gw.url}/api/v1/widget/attachments"
    status, answer = await upload(url, ELF, filename="holiday.png", content_type="image/png", client_id="x1",
                                  visitor=vera)
    assert status == 415 and answer["error"]["code"] == "unsupported_type"
    assert "application/x-executable" in answer["error"]["message"]
    status, answer = await upload(url, png_bytes() + b"\x00" * 5000, client_id="x2", visitor=vera)
    assert status == 413 and answer["error"]["code"] == "too_large"
    assert (await upload(url, png_bytes(), client_id="x3"))[0] == 401
    assert (await upload(url, png_bytes(), client_id="x4", visitor=vera[:-2] + "xx"))[0] == 401
    assert (await upload(url, png_bytes(), visitor=vera))[0] == 400  # the widget always names its upload
    assert (await upload(url, b"", client_id="x5", visitor=vera))[0] == 400
    assert stored_files(tmp_path) == []

    _, newcomer_in = await gw.visitor()  # has not written yet: a conversation starts with words
    newcomer = (await newcomer_in.next("session"))["visitor_token"]
    status, answer = await upload(url, png_bytes(), client_id="x6", visitor=newcomer)
    assert status == 409 and answer["error"]["code"] == "no_conversation"


async def test_an_agent_sends_a_document_the_visitor_receives(gw, tmp_path):
    cid, anna, _, vera, vera_in = await chat(gw)
    url = f"{gw.url}/api/v1/conversations/{cid}/attachments"
    status, answer = await upload(url, PDF, filename="Rechnung.pdf", content_type="application/pdf",
                                  text="your corrected invoice", client_id="a1", token=anna)
    assert status == 200, answer
    [media] = answer["media"]
    assert (media["kind"], media["mime"], media["state"]) == ("file", "application/pdf", "ready")
    message = await vera_in.next("message", lambda m: m.get("attachments"))
    assert message["seq"] == answer["seq"] and message["author"]["kind"] == "agent"
    assert message["attachments"] == [media]

    status, headers, body = await get(f"{gw.url}/api/v1/media/{media['id']}", visitor=vera)
    assert status == 200 and body == PDF
    assert headers["Content-Disposition"].startswith("attachment; filename=\"Rechnung.pdf\"")
    assert await upload(url, PDF, filename="Rechnung.pdf", text="your corrected invoice", client_id="a1",
                        token=anna) == (200, answer)

    # only the agent holding it; only allowed types
    ben = (await gw.login("ben"))["token"]
    assert (await upload(url, PDF, client_id="a2", token=ben))[0] == 403
    assert (await upload(url, ELF, filename="x.pdf", client_id="a3", token=anna))[0] == 415
    assert (await upload(f"{gw.url}/api/v1/conversations/c_0000000000000000/attachments", PDF, token=anna))[0] == 404
    assert len(stored_files(tmp_path)) == 1
