"""Chaos: the platform's API (the Telegram stand-in) is down — first answering 502, then refusing
connections — while an agent keeps replying. Every reply is acknowledged at once, waits in the
conversation's outbox, and goes out afterwards: all of them, once each, in the agent's order.

The "minute" is shortened by the outbox's back-off (first retry after 0.2 s, doubling to a 1 s cap,
instead of 1 s doubling to 300 s): the outage lasts DOWN_S = 6 s, i.e. ten times the capped pause.
In production (BACKOFF_S = (1, 300)) a one-minute outage is retried after 1, 2, 4, 8, 16 and 32 s,
so the queued replies leave at most ~64 s after it began; MAX_ATTEMPTS = 12 keeps a reply queued
for about half an hour of outage before it is reported failed.
"""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from chaos_helpers import chaos_config
from conftest import eventually, running_gateway
from telegram_standin import TOKEN, StandIn

from gateway import appkeys as K
from gateway import outbound
from gateway.config import load_config

pytestmark = pytest.mark.timeout(60)
DOWN_S = 6.0
REPLIES = 6


class FlakyStandIn(StandIn):
    """The Bot API stand-in, answering 502 Bad Gateway to everything while ``failing``."""

    def __init__(self) -> None:
        super().__init__()
        self.failing = False
        self.attempts: list[tuple[float, str, int]] = []  # (when, text, status answered)
        self.app.middlewares.append(self._gate)

    @web.middleware
    async def _gate(self, request, handler):
        if self.failing:
            body = await request.json()
            self.attempts.append((time.time(), body.get("text", ""), 502))
            return web.Response(status=502, text="<html><body><h1>502 Bad Gateway</h1></body></html>")
        response = await handler(request)
        self.attempts.append((time.time(), self.calls[-1].json.get("text", ""), response.status))
        return response


async def test_replies_queue_while_the_platform_is_down_and_go_out_in_order_after(tmp_path, redis, redis_url,
                                                                                monkeypatch):
    monkeypatch.setattr(outbound, "BACKOFF_S", (0.2, 1.0))
    platform = FlakyStandIn()
    server = TestServer(platform.app, host="127.0.0.1", port=0)
    await server.start_server(access_log=None)
    port = server.port
    config = load_config(chaos_config(tmp_path, agents=1), env={
        "TELEGRAM_API_BASE": f"http://127.0.0.1:{port}", "TELEGRAM_TOKEN": TOKEN})
    try:
        async with running_gateway(config, redis_url) as gw:
            agent, inbox = await gw.socket("/agent", {"token": (await gw.login("c00", "anna-demo"))["token"]},
                                           ["offer", "message_status"])
            assert (await agent.call("state", {"state": "available"}, namespace="/agent", timeout=5))["state"] == "available"
            update = {"update_id": 777, "message": {
                "message_id": 1, "date": int(time.time()), "text": "my camera is offline",
                "chat": {"id": 8200, "type": "private", "first_name": "Pia"},
                "from": {"id": 8200, "is_bot": False, "first_name": "Pia", "language_code": "en"}}}
            async with aiohttp.ClientSession() as http:
                async with http.post(f"{gw.url}/webhooks/telegram/telegram", json=update,
                                     headers={"X-Telegram-Bot-Api-Secret-Token": "demo-telegram-secret"}) as r:
                    assert r.status == 200
            offer = await inbox.next("offer", timeout=10)
            cid = offer["conversation_id"]
            assert (await agent.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent", timeout=5))["ok"]

            # the platform goes down: first 502s, then nothing listening at all
            platform.failing = True
            down_at = time.time()
            texts = [f"reply {i}: we are on it" for i in range(REPLIES)]
            for i, text in enumerate(texts):
                ack = await agent.call("message", {"conversation_id": cid, "text": text, "client_id": f"r{i}"},
                                       namespace="/agent", timeout=5)
                assert "id" in ack, ack  # acknowledged although the platform is away: it is queued
                await asyncio.sleep(0.3)
            await asyncio.sleep(max(0.0, down_at + DOWN_S / 2 - time.time()))
            await server.close()  # connection refused from now on
            await asyncio.sleep(max(0.0, down_at + DOWN_S - time.time()))
            assert not [t for t in platform.attempts if t[2] == 200]  # nothing got through meanwhile
            assert {text for _, text, _ in platform.attempts} == {texts[0]}  # only the head was tried: order kept

            # back up, on the same address
            server = TestServer(platform.app, host="127.0.0.1", port=port)
            platform.failing = False
            await server.start_server(access_log=None)
            up_at = time.time()
            await eventually(lambda: len(platform.sent_texts()) >= REPLIES, timeout=15)
            await asyncio.sleep(1.0)  # nothing more comes
            assert platform.sent_texts() == texts  # every reply, once, in order
            out = [t for t, _, s in platform.attempts if s == 200]
            statuses = [s for s in inbox.all("message_status") if s.get("status") == "sent"]
            assert len(statuses) == REPLIES, inbox.all("message_status")
            tried_while_down = len([1 for t, _, s in platform.attempts if s != 200])
            print(f"\nchaos platform down: {tried_while_down} attempts refused over {DOWN_S:.0f} s; the first reply out "
                  f"{out[0] - up_at:.1f} s after the platform came back, the last {out[-1] - up_at:.1f} s after")
            assert out[0] - up_at < 1.0 + 1.0  # within the capped back-off (plus sending) …
            pace = gw.app[K.BRIDGED].get("demo", "telegram").spec.rates.per_chat_s
            assert out[-1] - out[0] < (REPLIES - 1) * pace + 2.0  # … and the rest at the platform's pace for one chat
    finally:
        await server.close()
