"""A flood of webhook deliveries: the process answers the platforms first and handles the chats one
at a time meanwhile; nothing is lost, and once the flood eases the chats are handled side by side again."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from echo import SECRET, SIGNATURE, SPEC, echo_gateway, eventually, running_vendor, sign

from bridges.registry import BRIDGES
from gateway import appkeys as K


@pytest.fixture(autouse=True)
def echo_registered(monkeypatch):
    monkeypatch.setitem(BRIDGES, "echo", SPEC)


class SlowHandler:
    """Takes a while per message and remembers how many chats it was handling at once."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.now = 0
        self.most = 0

    async def __call__(self, tenant: str, channel: str, event) -> None:
        self.now += 1
        self.most = max(self.most, self.now)
        try:
            await asyncio.sleep(0.05)
            self.texts.append(event.text)
        finally:
            self.now -= 1


async def post_chats(http: aiohttp.ClientSession, url: str, prefix: str, chats: int) -> None:
    """One body holding one message from each of ``chats`` different customers."""
    updates = [{"id": f"{prefix}{n}", "type": "text", "from": {"id": f"{prefix}{n}", "name": "Ada"},
                "chat": f"{prefix}c{n}", "text": f"{prefix} {n}"} for n in range(chats)]
    body = json.dumps({"updates": updates}).encode()
    async with http.post(f"{url}/webhooks/echo/echo", data=body, headers={SIGNATURE: sign(SECRET, body)}) as r:
        assert r.status == 200


async def test_while_flooded_the_chats_are_handled_one_at_a_time_and_none_is_lost(redis, redis_url):
    handled = SlowHandler()
    async with running_vendor() as vendor, echo_gateway(redis_url, vendor.url, handler=handled) as gw, aiohttp.ClientSession() as http:
        arrivals = gw.app[K.BRIDGED].arrivals
        arrivals.in_flight += arrivals.FLOOD  # as if that many platform requests were being answered now
        try:
            await asyncio.gather(*(post_chats(http, gw.url, f"flood{n}-", 1) for n in range(12)))
            await eventually(lambda: len(handled.texts) == 12, timeout=15)
            assert handled.most == 1
        finally:
            arrivals.in_flight -= arrivals.FLOOD
        handled.most = 0
        await asyncio.gather(*(post_chats(http, gw.url, f"calm{n}-", 1) for n in range(12)))
        await eventually(lambda: len(handled.texts) == 24, timeout=15)
        assert handled.most > 1  # the flood is over: different chats side by side again
        assert sorted(handled.texts[:12]) == sorted(f"flood{n}- 0" for n in range(12))


async def test_the_count_of_requests_in_flight_returns_to_zero(redis, redis_url):
    async with running_vendor() as vendor, echo_gateway(redis_url, vendor.url, handler=SlowHandler()) as gw, aiohttp.ClientSession() as http:
        await asyncio.gather(*(post_chats(http, gw.url, f"p{n}-", 1) for n in range(20)))
        async with http.post(f"{gw.url}/webhooks/echo/echo", data=b"{", headers={SIGNATURE: "sha256=bad"}) as r:
            assert r.status == 401  # failures count down too
        assert gw.app[K.BRIDGED].arrivals.in_flight == 0
