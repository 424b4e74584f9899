"""A messenger customer's files, through the real gateway: the message shows at once with a pending
attachment, the gateway downloads the file through the bridge (the stand-in platform serves it) and
the agent is told; the file is served by the gateway to those who may see the conversation only."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

sys.path.insert(0, str(Path(__file__).parent / "bridges"))  # the echo test bridge lives with the bridge tests

from echo import SPEC, FakeVendor, echo_gateway, eventually  # noqa: E402
from media_helpers import AGENT_EVENTS, PDF, get, png_bytes, stored_files  # noqa: E402
from test_webhooks_inbound import post, text  # noqa: E402

from bridges.registry import BRIDGES  # noqa: E402
from gateway.keys import TenantKeys  # noqa: E402
from gateway.media import fetcher  # noqa: E402

pytestmark = pytest.mark.timeout(40)


@pytest.fixture(autouse=True)
def echo_registered(monkeypatch):
    monkeypatch.setitem(BRIDGES, "echo", SPEC)
    monkeypatch.setattr(fetcher, "BACKOFF_S", (0.1, 0.4))  # retries come quickly in tests


@pytest.fixture
async def vendor():
    vendor = FakeVendor()
    server = TestServer(vendor.app, host="127.0.0.1", port=0)
    await server.start_server()
    vendor.url = str(server.make_url("")).rstrip("/")
    yield vendor
    await server.close()


def file_update(uid: str, ref: str, *, kind: str = "image", name: str = "", size: int = 0, caption: str = "") -> dict:
    return {"id": uid, "type": "file", "from": {"id": "42", "name": "Ada"}, "chat": "c42", "text": caption,
            "file": {"id": ref, "kind": kind, "name": name, "size": size}}


class Served:
    """A customer of the echo channel whose conversation ben holds."""

    def __init__(self, gw, http, inbox, cid: str, token: str) -> None:
        self.gw, self.http, self.inbox, self.cid, self.token = gw, http, inbox, cid, token

    async def send(self, update: dict) -> dict:
        """The customer sends a file: the message ben sees (with its attachments)."""
        assert (await post(self.http, self.gw.url, [update])).status == 200
        return await self.inbox.next("message", lambda m: m.get("platform_message_id") == update["id"])

    async def settled(self, media_id: str) -> dict:
        """The ``attachment`` event that tells ben what became of the file."""
        event = await self.inbox.next("attachment", lambda e: e["media"]["id"] == media_id, timeout=10)
        assert event["conversation_id"] == self.cid
        return event


async def served(gw, http) -> Served:
    login = await gw.login("ben")
    ben, inbox = await gw.socket("/agent", {"token": login["token"]}, AGENT_EVENTS)
    assert (await ben.call("state", {"state": "available"}, namespace="/agent"))["state"] == "available"
    assert (await post(http, gw.url, [text("u1", "hello", user="42")])).status == 200
    offer = await inbox.next("offer")
    accepted = await ben.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent")
    return Served(gw, http, inbox, accepted["conversation"]["conversation_id"], login["token"])


def with_media_dir(root: Path, **limits):
    def configure(config) -> None:
        config.server.media_dir = str(root)
        for name, value in limits.items():
            setattr(config.limits, name, value)

    return configure


async def test_a_photo_is_pending_then_fetched_and_served_to_its_agent_only(redis, redis_url, vendor, tmp_path):
    photo = png_bytes()
    vendor.files["ph1"] = (photo, "image/png", "")
    async with echo_gateway(redis_url, vendor.url, configure=with_media_dir(tmp_path)) as gw, \
            aiohttp.ClientSession() as http:
        customer = await served(gw, http)
        message = await customer.send(file_update("u2", "ph1", caption="my router"))
        assert message["text"] == "my router" and message["conversation_id"] == customer.cid
        [pending] = message["attachments"]
        assert pending["state"] == "pending" and pending["kind"] == "image"

        event = await customer.settled(pending["id"])
        assert event["seq"] == message["seq"]
        assert event["media"] == {**pending, "state": "ready", "mime": "image/png", "size": len(photo),
                                  "name": "image.png", "reason": ""}
        url = f"{gw.url}/api/v1/media/{pending['id']}"
        status, headers, body = await get(url, token=customer.token)
        assert status == 200 and body == photo
        assert headers["Content-Type"] == "image/png"
        assert headers["Content-Disposition"].startswith("inline; ")
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Cache-Control"] == "private, max-age=300"
        assert (await get(url + "?meta=1", token=customer.token))[0] == 200

        # the file is the gateway's: 0600 under <media dir>/<tenant>/<id>; the platform's ref never leaves
        [kept] = stored_files(tmp_path)
        assert kept == tmp_path / "demo" / pending["id"] and stat.S_IMODE(kept.stat().st_mode) == 0o600
        assert "ph1" not in str(message) and "ph1" not in str(event)

        # anna serves nobody here, a visitor of another conversation is a stranger, no credentials: 404 alike
        anna = (await gw.login("anna"))["token"]
        assert (await get(url, token=anna))[0] == 404
        assert (await get(url + "?meta=1", token=anna))[0] == 404
        _, stranger_in = await gw.visitor()
        stranger = (await stranger_in.next("session"))["visitor_token"]
        assert (await get(url, visitor=stranger))[0] == 404
        assert (await get(url))[0] == 404
        assert (await get(f"{gw.url}/api/v1/media/a_0000000000000000", token=customer.token))[0] == 404
        assert (await get(url, token="not-a-token"))[0] == 401
        assert vendor.fetched == [("ph1", 200)]


async def test_a_failed_download_is_retried_until_the_file_arrives(redis, redis_url, vendor, tmp_path):
    vendor.files["doc1"] = (PDF, "application/pdf", "Rechnung März.pdf")
    vendor.file_script = [(500, {"description": "internal error"}), (429, {"description": "slow down", "retry_after": 0.2})]
    async with echo_gateway(redis_url, vendor.url, configure=with_media_dir(tmp_path)) as gw, \
            aiohttp.ClientSession() as http:
        customer = await served(gw, http)
        message = await customer.send(file_update("u2", "doc1", kind="file", name="Rechnung März.pdf"))
        [pending] = message["attachments"]
        # the message did not wait for the file
        assert pending["state"] == "pending" and pending["name"] == "Rechnung März.pdf"

        event = await customer.settled(pending["id"])
        assert event["media"]["state"] == "ready" and event["media"]["mime"] == "application/pdf"
        assert [status for _, status in vendor.fetched] == [500, 429, 200]
        status, headers, body = await get(f"{gw.url}/api/v1/media/{pending['id']}", token=customer.token)
        assert status == 200 and body == PDF and headers["Content-Type"] == "application/pdf"
        assert headers["Content-Disposition"] == (
            "attachment; filename=\"Rechnung M_rz.pdf\"; filename*=UTF-8''Rechnung%20M%C3%A4rz.pdf")

        # the platform delivers the same webhook again: no second record, no second download
        assert (await post(http, gw.url, [file_update("u2", "doc1", kind="file")])).status == 200
        await eventually(lambda: _stream_empty(redis))
        assert len(vendor.fetched) == 3


async def _stream_empty(redis) -> bool:
    return await redis.xlen(TenantKeys("demo").webhooks_in()) == 0


async def test_too_large_and_gone_files_are_shown_with_their_reason_and_the_message_stays(
        redis, redis_url, vendor, tmp_path, monkeypatch):
    monkeypatch.setattr(fetcher, "MAX_ATTEMPTS", 3)
    vendor.files["big"] = (b"x" * 5000, "video/mp4", "")
    configure = with_media_dir(tmp_path, media_bytes=4096)
    async with echo_gateway(redis_url, vendor.url, configure=configure) as gw, aiohttp.ClientSession() as http:
        customer = await served(gw, http)

        # the platform says how big it is: too large at once, nothing downloaded
        said = await customer.send(file_update("u2", "huge", kind="video", name="holiday.mp4", size=50_000_000))
        assert said["attachments"][0]["state"] == "too_large" and said["attachments"][0]["size"] == 50_000_000

        # the platform did not say: the bridge finds out while downloading
        found = await customer.send(file_update("u3", "big", kind="video", caption="look"))
        event = await customer.settled(found["attachments"][0]["id"])
        assert event["media"]["state"] == "too_large" and "too large" in event["media"]["reason"]

        # gone at the platform (404): failed with the platform's words; 5xx forever: failed after the attempts
        gone = await customer.send(file_update("u4", "missing", kind="file"))
        event = await customer.settled(gone["attachments"][0]["id"])
        assert (event["media"]["state"], event["media"]["reason"]) == ("failed", "file not found")
        vendor.file_script = [(503, {"description": "down"})] * 3
        down = await customer.send(file_update("u5", "big", kind="file"))
        event = await customer.settled(down["attachments"][0]["id"])
        assert event["media"]["state"] == "failed" and event["media"]["reason"].startswith("Gave up after 3 attempts")

        for msg, state in ((said, "too_large"), (found, "too_large"), (gone, "failed")):
            status, _, body = await get(f"{gw.url}/api/v1/media/{msg['attachments'][0]['id']}", token=customer.token)
            assert status == 410 and f'"code": "{state}"' in body.decode()
        assert stored_files(tmp_path) == []
        async with http.get(f"{gw.url}/api/v1/conversations/{customer.cid}",
                            headers={"Authorization": f"Bearer {customer.token}"}) as r:
            history = await r.json()
        assert [m["text"] for m in history["messages"]] == ["hello", "", "look", "", ""]
        assert [m["attachments"][0]["id"] for m in history["messages"][1:]] == [
            m["attachments"][0]["id"] for m in (said, found, gone, down)]


async def test_a_pending_file_answers_409(redis, redis_url, vendor, tmp_path):
    vendor.file_script = [(503, {"description": "down", "retry_after": 30})]
    async with echo_gateway(redis_url, vendor.url, configure=with_media_dir(tmp_path)) as gw, \
            aiohttp.ClientSession() as http:
        customer = await served(gw, http)
        message = await customer.send(file_update("u2", "later", kind="file"))
        media_id = message["attachments"][0]["id"]
        await eventually(lambda: vendor.fetched)
        status, _, body = await get(f"{gw.url}/api/v1/media/{media_id}", token=customer.token)
        assert status == 409 and b'"pending"' in body
        status, _, body = await get(f"{gw.url}/api/v1/media/{media_id}?meta=1", token=customer.token)
        assert status == 200 and b'"state": "pending"' in body and b"down" in body
