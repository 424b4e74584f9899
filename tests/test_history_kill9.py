"""kill -9 of a gateway in the middle of archiving: after a restart every message is in PostgreSQL
exactly once (the entries the dead process held are taken over; upserts make a retried batch harmless)."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis
from lifecycle_helpers import DEMO_CONFIG, free_port, serve

from gateway.keys import TenantKeys
from gateway.store.conversations import create_conversation
from gateway.store.messages import append_message, read_messages

pytestmark = pytest.mark.slow
KEYS = TenantKeys("demo")
CONVERSATIONS, PER_CONVERSATION = 4, 150


async def test_kill9_mid_batch_loses_and_doubles_nothing(tmp_path, database_url, history_db):
    config = tmp_path / "config.yaml"
    config.write_text(DEMO_CONFIG.read_text() + "\nhistory:\n  batch_size: 40\n  claim_idle_s: 1\n")
    data, port = tmp_path / "var", free_port()
    env = {"DATABASE_URL": database_url}
    gw = serve(data, port, config=config, env=env)
    try:
        await gw.healthy()
        client = aioredis.Redis(unix_socket_path=str(data / "redis.sock"), decode_responses=True)
        cids = []
        try:
            for _ in range(CONVERSATIONS):
                conv = await create_conversation(client, KEYS, channel="web", channel_type="widget", work_channel="chat",
                                                 contact_id="k_0000000000000001", topic="billing", queue="billing",
                                                 language="en")
                cids.append(conv.id)
            written = dict.fromkeys(cids, 0)

            stop = asyncio.Event()

            async def keep_writing() -> None:
                """Messages keep arriving until just before the kill, so the archive is behind when it dies.
                (The writer stops first: commands cut off by the kill would leave pooled connections that
                are only closed by the garbage collector, during some later test.)"""
                while not stop.is_set():
                    await asyncio.gather(*(
                        append_message(client, KEYS, cid, author_kind="visitor", author_name="Kim",
                                       text=f"{cid} {written[cid] + n}")
                        for n in range(10) for cid in cids))
                    for cid in cids:
                        written[cid] += 10

            writer = asyncio.create_task(keep_writing())
            try:
                # wait until the archive is part-way through (and the writer ahead of it), then kill it
                for _ in range(500):
                    done = await history_db.fetchval("SELECT count(*) FROM messages")
                    if done > 0 and min(written.values()) >= PER_CONVERSATION:
                        break
                    await asyncio.sleep(0.01)
                stop.set()
                await writer
                gw.kill()
            finally:
                writer.cancel()
                await asyncio.gather(writer, return_exceptions=True)
        finally:
            await client.aclose()
        archived_at_kill = await history_db.fetchval("SELECT count(*) FROM messages")

        gw = serve(data, port, config=config, name="again", env=env)
        await gw.healthy()
        # what the (restarted) Redis holds is what was acknowledged: every one of those must be archived
        client = aioredis.Redis(unix_socket_path=str(data / "redis.sock"), decode_responses=True)
        try:
            per_conversation = {cid: int(await client.hget(KEYS.conv(cid), "seq") or 0) for cid in cids}
            in_redis = {(cid, m.seq, m.text) for cid in cids for m in await read_messages(client, KEYS, cid)}
        finally:
            await client.aclose()
        total = sum(per_conversation.values())
        assert min(per_conversation.values()) >= PER_CONVERSATION
        assert archived_at_kill < total  # it really was mid-way
        for _ in range(300):
            if await history_db.fetchval("SELECT count(*) FROM messages") >= total:
                break
            await asyncio.sleep(0.1)
        rows = await history_db.fetch("SELECT conversation_id, seq, text FROM messages")
        assert len(rows) == total
        assert {(r["conversation_id"], r["seq"]) for r in rows} == {
            (cid, seq) for cid in cids for seq in range(1, per_conversation[cid] + 1)}
        assert {(r["conversation_id"], r["seq"], r["text"]) for r in rows} == in_redis  # each message, as stored
        client = aioredis.Redis(unix_socket_path=str(data / "redis.sock"), decode_responses=True)
        try:
            for _ in range(100):  # everything acknowledged and trimmed from the outbox
                if await client.xlen(KEYS.archive()) == 0:
                    break
                await asyncio.sleep(0.1)
            assert await client.xlen(KEYS.archive()) == 0
        finally:
            await client.aclose()
    finally:
        gw.kill()
