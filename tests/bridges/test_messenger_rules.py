"""The gateway's rules for every messenger, through the echo test bridge: waiting customers hear
their position, replies are paced as the platform asks, and the reply window is kept (refused before
it is stored; the HUMAN_AGENT tag within 7 days when the page may use it; templates)."""

from __future__ import annotations

import dataclasses
import time

import aiohttp
import pytest
from echo import SPEC, echo_gateway, eventually, running_vendor
from media_helpers import png_bytes
from test_webhooks_inbound import post, text

from bridges.base import Rates
from bridges.registry import BRIDGES
from gateway.appkeys import SERVICES
from gateway.conversations.queue_notices import send_queue_notices
from gateway.keys import TenantKeys

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
async def vendor():
    async with running_vendor() as fake:
        yield fake


def spec(monkeypatch, **changes) -> None:
    monkeypatch.setitem(BRIDGES, "echo", dataclasses.replace(SPEC, **changes))


async def test_a_waiting_customer_hears_their_place_once_per_interval(monkeypatch, redis, redis_url, vendor):
    spec(monkeypatch)

    def quick(config):
        config.tenants["demo"].channels["echo"].queue_notice_after_s = 0.0

    async with echo_gateway(redis_url, vendor.url, configure=quick) as gw, aiohttp.ClientSession() as http:
        assert (await post(http, gw.url, [text("u1", "anyone there?")])).status == 200  # nobody is online
        svc = gw.app[SERVICES]
        await eventually(lambda: svc.redis.hget(TenantKeys("demo").platform_chat("echo", "c42"), "conversation_id"))
        await send_queue_notices(svc)
        await eventually(lambda: vendor.accepted() == ["You are number 1 in line."])
        await send_queue_notices(svc)  # within queue_notice_every_s: nothing more
        assert vendor.accepted() == ["You are number 1 in line."]


async def _assigned(gw, http) -> tuple[object, object, str]:
    ben, ben_in = await gw.agent("ben")
    await post(http, gw.url, [text("u1", "hello")])
    offer = await ben_in.next("offer", timeout=10)
    accepted = await ben.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent")
    return ben, ben_in, accepted["conversation"]["conversation_id"]


async def test_replies_to_one_chat_are_paced_as_the_platform_asks(monkeypatch, redis, redis_url, vendor):
    spec(monkeypatch, rates=Rates(per_chat_s=0.6))
    async with echo_gateway(redis_url, vendor.url) as gw, aiohttp.ClientSession() as http:
        ben, _, cid = await _assigned(gw, http)
        for n in range(3):
            ack = await ben.call("message", {"conversation_id": cid, "text": f"line {n}", "client_id": f"l{n}"},
                                 namespace="/agent")
            assert "seq" in ack
        await eventually(lambda: vendor.accepted() == ["line 0", "line 1", "line 2"], timeout=10)
        at = [s["at"] for s in vendor.sent if s["status"] == 200]
        assert all(b - a >= 0.55 for a, b in zip(at, at[1:], strict=False))  # never faster than the pace


async def test_the_reply_window_is_kept(monkeypatch, redis, redis_url, vendor):
    spec(monkeypatch, window_s=100.0, tag_window_s=1000.0)

    def tagged(config):
        config.tenants["demo"].channels["echo"].human_agent_tag = True

    async with echo_gateway(redis_url, vendor.url, configure=tagged) as gw, aiohttp.ClientSession() as http:
        ben, _, cid = await _assigned(gw, http)
        redis, keys = gw.app[SERVICES].redis, TenantKeys("demo")
        ok = await ben.call("message", {"conversation_id": cid, "text": "within", "client_id": "w1"}, namespace="/agent")
        assert "seq" in ok

        await redis.hset(keys.conv(cid), "last_customer_at", repr(time.time() - 200))  # past 100 s, within 1000 s
        tagged_ack = await ben.call("message", {"conversation_id": cid, "text": "tagged", "client_id": "w2"},
                                    namespace="/agent")
        assert "seq" in tagged_ack

        await redis.hset(keys.conv(cid), "last_customer_at", repr(time.time() - 2000))  # past both
        refused = await ben.call("message", {"conversation_id": cid, "text": "too late", "client_id": "w3"},
                                 namespace="/agent")
        assert refused["error"]["code"] == "window_closed"
        no_template = await ben.call("message", {"conversation_id": cid, "template": True, "client_id": "w4"},
                                     namespace="/agent")
        assert no_template["error"]["code"] == "no_template"

        await eventually(lambda: len(vendor.accepted()) == 2, timeout=10)
        assert [(s["text"], s["tag"]) for s in vendor.sent if s["status"] == 200] == [("within", ""), ("tagged", "HUMAN_AGENT")]
        history = await ben.call("history", {"conversation_id": cid, "after_seq": 0}, namespace="/agent")
        assert "too late" not in [m["text"] for m in history["messages"]]  # refused before it was stored


async def test_a_file_the_agent_uploads_leaves_as_an_upload_through_the_platform(monkeypatch, redis, redis_url, vendor):
    spec(monkeypatch)
    async with echo_gateway(redis_url, vendor.url) as gw, aiohttp.ClientSession() as http:
        _, _, cid = await _assigned(gw, http)
        token = (await gw.login("ben"))["token"]
        form = aiohttp.FormData()
        form.add_field("file", png_bytes(), filename="invoice.png", content_type="image/png")
        form.add_field("text", "Here is the picture.")
        form.add_field("client_id", "up1")
        async with http.post(f"{gw.url}/api/v1/conversations/{cid}/attachments", data=form,
                             headers={"Authorization": f"Bearer {token}"}) as r:
            assert r.status == 200, await r.text()
        sent = await eventually(lambda: [s for s in vendor.sent if s["status"] == 200 and s["files"]], timeout=10)
        assert sent[0]["text"] == "Here is the picture."
        assert sent[0]["files"] == [{"name": "invoice.png", "mime": "image/png", "size": len(png_bytes())}]
