"""Chaos: what a node killed with -9 was holding is taken over by the other node within 5 s.

Two `omnirelay serve` nodes on one Redis and one history database. At the moment node A dies it
holds, for real: an agent's Telegram replies (the outbox lease, its send hanging at the platform),
webhook deliveries it read from the ingest stream but had not finished, and archive entries whose
write to PostgreSQL it had begun (the tables locked by the test, so both nodes' writes wait). Node B
must send the replies (each once, in order), handle every acknowledged delivery and archive every
entry, each within 5 s of the kill.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time

import aiohttp
import pytest
from chaos_helpers import PASSWORD, Peer, chaos_config, login, node_consumer_prefix, start_node
from conftest import eventually
from telegram_standin import TOKEN, StandIn, running

from gateway.keys import TenantKeys

pytestmark = [pytest.mark.slow, pytest.mark.timeout(60)]
BOUND_S = 5.0
SECRET = "demo-telegram-secret"
KEYS = TenantKeys("demo")
CHATS, BURST = 3, 48


class HoldingStandIn(StandIn):
    """The Bot API, reachable as ``/<node>/bot…`` so it knows which node calls; node ``a``'s sends hang."""

    def __init__(self) -> None:
        super().__init__()
        self.app.router.add_post("/{node}/bot{token}/{method}", self._per_node)
        self.held: list[dict] = []  # sends node a began (never answered: the platform did not take them)
        self.answered: list[tuple[str, float, dict]] = []  # (node, when, body) of sends the platform took

    async def _per_node(self, request):
        if request.match_info["node"] == "a":
            self.held.append(await request.json())
            await asyncio.Event().wait()  # until the node's connection goes with it
        response = await self._method(request)
        if request.match_info["method"] == "sendMessage":
            self.answered.append((request.match_info["node"], time.time(), self.calls[-1].json))
        return response


def _update(n: int, chat: int, text: str) -> bytes:
    return json.dumps({"update_id": 9_000_000 + n, "message": {
        "message_id": n, "date": int(time.time()), "text": text,
        "chat": {"id": chat, "type": "private", "first_name": f"Tim {chat}"},
        "from": {"id": chat, "is_bot": False, "first_name": f"Tim {chat}", "language_code": "en"},
    }}).encode()


async def _deliver(http, url: str, n: int, chat: int, text: str) -> None:
    async with http.post(f"{url}/webhooks/telegram/telegram", data=_update(n, chat, text),
                         headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as r:
        assert r.status == 200, await r.text()


async def _pending_of(redis, stream: str, group: str, prefix: str) -> int:
    try:
        summary = await redis.xpending(stream, group)
    except Exception:  # noqa: BLE001 - no group yet
        return 0
    return sum(int(c["pending"]) for c in summary.get("consumers") or [] if c["name"].startswith(prefix))


async def _telegram_conversation(redis, chat: int) -> str:
    return await redis.hget(f"t:{{demo}}:chat:telegram:{chat}", "conversation_id") or ""


async def test_a_dead_nodes_leases_and_pending_entries_are_taken_over_within_5_s(
        tmp_path, redis, redis_url, database_url, history_db):
    config = chaos_config(tmp_path, agents=1)
    async with running(HoldingStandIn()) as platform:
        env = {"REDIS_URL": redis_url, "DATABASE_URL": database_url, "TELEGRAM_TOKEN": TOKEN}
        a = start_node(tmp_path, "a", config, {**env, "TELEGRAM_API_BASE": f"{platform.url}/a"})
        b = start_node(tmp_path, "b", config, {**env, "TELEGRAM_API_BASE": f"{platform.url}/b"})
        agent = None
        locked = None
        try:
            await asyncio.gather(a.healthy(40), b.healthy(40))
            # an agent on node a (a reply wakes the outbox of the node it was written on)
            token = await login([a.url], "c00", PASSWORD)
            offers: asyncio.Queue = asyncio.Queue()
            agent = Peer([a.url, b.url], "/agent", lambda: {"token": token}, {"offer": offers.put})
            await agent.connect()
            assert (await agent.call("state", {"state": "available"}))["state"] == "available"
            async with aiohttp.ClientSession() as http:
                for chat in range(CHATS):
                    await _deliver(http, b.url, chat, 8100 + chat, f"hello from {chat}")
                cids = []
                for _ in range(CHATS):
                    offer = await asyncio.wait_for(offers.get(), 10)
                    assert (await agent.call("accept", {"offer_id": offer["offer_id"]})).get("ok")
                    cids.append(offer["conversation_id"])
                # while node b is frozen (a second or two), node a alone picks up the work it will die holding
                os.kill(b.proc.pid, signal.SIGSTOP)
                try:
                    # 1. replies whose sends node a begins and never finishes
                    replies = {cid: [f"answer {i} in {cid}" for i in range(2)] for cid in cids}
                    for cid, texts in replies.items():
                        for i, text in enumerate(texts):
                            ack = await agent.call("message", {"conversation_id": cid, "text": text,
                                                               "client_id": f"{cid}-{i}"})
                            assert "id" in ack, ack
                    await eventually(lambda: platform.held, timeout=10)  # a holds a chat's outbox, sending
                    # 2. archive writes waiting in PostgreSQL, 3. webhook deliveries node a is handling
                    locked = history_db.transaction()
                    await locked.start()
                    await history_db.execute("LOCK TABLE conversations, messages IN ACCESS EXCLUSIVE MODE")
                    a_prefix = node_consumer_prefix(a)
                    first = BURST // 8  # its archive takes these and waits on the locked tables (it reads every 0.1 s)
                    await asyncio.gather(*(_deliver(http, a.url, 100 + n, 8100 + n % CHATS, f"burst {n}")
                                           for n in range(first)))
                    await eventually(lambda: _pending_of(redis, KEYS.archive(), "history", a_prefix),
                                     timeout=5, interval=0.01)
                    # and the rest arrive while it is killed
                    await asyncio.gather(*(_deliver(http, a.url, 100 + n, 8100 + n % CHATS, f"burst {n}")
                                           for n in range(first, BURST)))
                    await asyncio.sleep(0.05)
                    a.kill()
                    killed_at = time.time()
                finally:
                    os.kill(b.proc.pid, signal.SIGCONT)
            held_ingest = await _pending_of(redis, KEYS.webhooks_in(), "ingest", a_prefix)
            held_archive = await _pending_of(redis, KEYS.archive(), "history", a_prefix)
            held_texts = {body["text"] for body in platform.held}

            def all_sent():
                return len([1 for node, _, _ in platform.answered if node == "b"]) >= 2 * CHATS

            async def ingested():  # every acknowledged delivery became its message, none left with node a
                texts = []
                for c in range(8100, 8100 + CHATS):
                    cid = await _telegram_conversation(redis, c)
                    texts += [f["text"] for _, f in await redis.xrange(KEYS.conv_messages(cid))]
                done = sorted(t for t in texts if t.startswith("burst")) == sorted(f"burst {n}" for n in range(BURST))
                return done and not await _pending_of(redis, KEYS.webhooks_in(), "ingest", a_prefix)

            async def archived():  # every message in PostgreSQL, nothing left with node a
                in_redis = sum([await redis.xlen(KEYS.conv_messages(cid)) for cid in cids])
                rows = await history_db.fetchval("SELECT count(*) FROM messages")
                return rows == in_redis and not await _pending_of(redis, KEYS.archive(), "history", a_prefix)

            async def when(check) -> float:
                try:
                    await eventually(check, timeout=30, interval=0.05)
                except TimeoutError:
                    raise AssertionError(f"{check.__name__} not reached; b: {b.output()[-3000:]}") from None
                return time.time()

            # watched side by side, from the kill on (the database answers again half a second after it)
            watch = [asyncio.create_task(when(check)) for check in (all_sent, ingested)]
            await asyncio.sleep(max(0.0, killed_at + 0.5 - time.time()))
            await locked.commit()
            locked = None
            watch.append(asyncio.create_task(when(archived)))  # (its connection was busy holding the lock)
            sent_at, ingested_at, archived_at = await asyncio.gather(*watch)
            replies_at = max(at for _, at, body in platform.answered if body["text"] in held_texts)
            assert sent_at >= replies_at
            # the replies: each sent once, by node b, in the agent's order
            chat_of = {await _telegram_conversation(redis, c): c for c in range(8100, 8100 + CHATS)}
            for cid, texts in replies.items():
                assert [body["text"] for node, _, body in platform.answered if int(body["chat_id"]) == chat_of[cid]] == texts
            doubles = await history_db.fetchval(
                "SELECT count(*) FROM (SELECT 1 FROM messages GROUP BY conversation_id, seq HAVING count(*) > 1) d")
            assert doubles == 0

            took = {"outbox": replies_at - killed_at, "ingest": ingested_at - killed_at,
                    "archive": archived_at - killed_at}
            print(f"\nchaos takeover: held at the kill: {len(held_texts)} outbox lease(s), {held_ingest} ingest entries, "
                  f"{held_archive} archive entries; taken over after " + ", ".join(f"{k} {v:.1f} s" for k, v in took.items()))
            assert held_ingest > 0 and held_archive > 0, "node a held nothing to take over"
            assert all(v < BOUND_S for v in took.values()), took
        finally:
            if locked is not None:
                await locked.rollback()
            if agent is not None:
                await agent.close()
            a.kill()
            b.kill()
