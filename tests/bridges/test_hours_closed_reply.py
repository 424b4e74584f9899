"""Outside business hours a messenger customer gets the channel's auto-reply, once per conversation,
through the platform's API; inside hours nothing extra is sent."""

from __future__ import annotations

import aiohttp
import pytest
from echo import SPEC, echo_gateway, eventually, running_vendor
from test_webhooks_inbound import post, text

from bridges.registry import BRIDGES
from gateway.appkeys import SERVICES
from gateway.config.schema import HoursConfig
from gateway.keys import TenantKeys
from gateway.store.messages import read_messages

pytestmark = pytest.mark.timeout(30)
CLOSED_EN = "We are closed right now and will answer in the morning."


@pytest.fixture(autouse=True)
def echo_bridge(monkeypatch):
    monkeypatch.setitem(BRIDGES, "echo", SPEC)


@pytest.fixture
async def vendor():
    async with running_vendor() as fake:
        yield fake


def closed(config) -> None:
    config.tenants["demo"].hours = HoursConfig(timezone="Europe/Berlin", closed=True)
    config.tenants["demo"].channels["echo"].closed_reply = {"de": "Wir haben gerade geschlossen.", "en": CLOSED_EN}


async def _conversation(gw) -> str:
    pointer = TenantKeys("demo").platform_chat("echo", "c42")
    return str(await eventually(lambda: gw.app[SERVICES].redis.hget(pointer, "conversation_id")))


async def test_a_message_outside_hours_gets_the_auto_reply_once(redis, redis_url, vendor):
    async with echo_gateway(redis_url, vendor.url, configure=closed) as gw, aiohttp.ClientSession() as http:
        assert (await post(http, gw.url, [text("u1", "hello, anyone?")])).status == 200
        await eventually(lambda: vendor.accepted() == [CLOSED_EN])
        assert vendor.sent[0]["chat"] == "c42"
        for n in (2, 3):  # the customer keeps writing: still one auto-reply
            assert (await post(http, gw.url, [text(f"u{n}", f"message {n}")])).status == 200
        cid = await _conversation(gw)
        keys = TenantKeys("demo")
        await eventually(lambda: _has(gw, keys, cid, "visitor", 3))  # all three stored
        messages = await read_messages(gw.app[SERVICES].redis, keys, cid)
        assert [m.text for m in messages if m.author_kind == "system"] == [CLOSED_EN]  # the agent sees it too
        assert vendor.accepted() == [CLOSED_EN]


async def _count(gw, keys, cid, kind) -> int:
    return len([m for m in await read_messages(gw.app[SERVICES].redis, keys, cid) if m.author_kind == kind])


async def _has(gw, keys, cid, kind, n) -> bool:
    return await _count(gw, keys, cid, kind) == n


async def test_inside_hours_no_auto_reply(redis, redis_url, vendor):
    def open_(config) -> None:
        closed(config)
        config.tenants["demo"].hours = HoursConfig(timezone="Europe/Berlin")  # around the clock

    async with echo_gateway(redis_url, vendor.url, configure=open_) as gw, aiohttp.ClientSession() as http:
        ben, ben_in = await gw.agent("ben")
        assert (await post(http, gw.url, [text("u1", "hello")])).status == 200
        offer = await ben_in.next("offer", timeout=10)
        accepted = await ben.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent")
        cid = accepted["conversation"]["conversation_id"]
        await ben.call("message", {"conversation_id": cid, "text": "Hi, Ben here.", "client_id": "b1"},
                       namespace="/agent")
        # one outbox per conversation, in order: an auto-reply would have left before Ben's answer
        await eventually(lambda: vendor.accepted() == ["Hi, Ben here."], timeout=10)
        assert await _count(gw, TenantKeys("demo"), cid, "system") == 0
