"""Durable before acknowledged, for webhooks: kill -9 the gateway (and its embedded Redis) right
after a burst of Telegram deliveries answered 200, start it again, and every acknowledged delivery
becomes its message — once."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest
import redis.asyncio as aioredis
from lifecycle_helpers import free_port, serve

pytestmark = pytest.mark.slow
SECRET = "demo-telegram-secret"  # config/demo.yaml's default
CHATS = 5


def _update(n: int) -> bytes:
    chat = 7000 + n % CHATS
    return json.dumps({"update_id": 5_000_000 + n, "message": {
        "message_id": n, "date": int(time.time()), "text": f"burst {n}",
        "chat": {"id": chat, "type": "private", "first_name": f"Kim {chat}"},
        "from": {"id": chat, "is_bot": False, "first_name": f"Kim {chat}", "language_code": "en"},
    }}).encode()


async def test_every_acknowledged_delivery_is_handled_after_a_kill9(tmp_path):
    data = tmp_path / "var"
    port = free_port()
    gw = serve(data, port, env={"TELEGRAM_API_BASE": "http://127.0.0.1:9"})
    try:
        await gw.healthy()
        url = f"{gw.url}/webhooks/telegram/telegram"
        acked: list[int] = []
        async with aiohttp.ClientSession() as http:
            async def deliver(n: int) -> None:
                async with http.post(url, data=_update(n), headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as r:
                    if r.status == 200:
                        acked.append(n)
            await asyncio.gather(*(deliver(n) for n in range(60)))
        gw.kill()  # right after the 200s: most deliveries are still unhandled in the stream
        assert len(acked) == 60

        again = serve(data, port, name="again", env={"TELEGRAM_API_BASE": "http://127.0.0.1:9"})
        gw = again
        await again.healthy()
        client = aioredis.Redis(unix_socket_path=str(data / "redis.sock"), decode_responses=True)
        try:
            texts: list[str] = []
            for _ in range(300):  # the restarted worker drains the stream, leases of the dead one expired (30 s)
                texts = []
                for chat in range(7000, 7000 + CHATS):
                    cid = await client.hget(f"t:{{demo}}:chat:telegram:{chat}", "conversation_id")
                    if cid:
                        texts += [f["text"] for _, f in await client.xrange(f"t:{{demo}}:conv:{cid}:msgs")]
                if len(texts) >= 60:
                    break
                await asyncio.sleep(0.1)
            assert sorted(texts) == sorted(f"burst {n}" for n in acked)  # every one, once
        finally:
            await client.aclose()
    finally:
        gw.kill()
