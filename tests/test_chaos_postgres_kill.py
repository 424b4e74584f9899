"""Chaos: kill -9 the embedded PostgreSQL under traffic. The gateway restarts it; meanwhile the
archive's entries wait in Redis; afterwards the archive catches up and every message acknowledged
in Redis is a row of the history database exactly once (tests/test_history_archive.py shows a clean
stop and start; tests/test_history_kill9.py a killed gateway)."""

from __future__ import annotations

import asyncio
import os
import signal

import asyncpg
import pytest
import redis.asyncio as aioredis
from chaos_helpers import PASSWORD, Agent, Visitor, agent_ids, chaos_config, login, start_node
from conftest import eventually

from gateway.keys import TenantKeys

pytestmark = [pytest.mark.slow, pytest.mark.timeout(60)]
CONVERSATIONS, AGENTS = 8, 3
KEYS = TenantKeys("demo")


async def test_the_archive_catches_up_after_a_postgres_kill9_and_doubles_nothing(tmp_path):
    node = start_node(tmp_path, "gw", chaos_config(tmp_path, agents=AGENTS), {})
    data = tmp_path / "gw" / "var"
    visitors: list[Visitor] = []
    agents: list[Agent] = []
    try:
        await node.healthy(60)
        dsn = f"postgresql://omnirelay@/omnirelay?host={data / 'postgres'}&port=5432"
        tokens = await asyncio.gather(*(login([node.url], aid, PASSWORD) for aid in agent_ids(AGENTS)))
        agents = [Agent(aid, tok, [node.url], replies=3) for aid, tok in zip(agent_ids(AGENTS), tokens, strict=True)]
        await asyncio.gather(*(ag.start() for ag in agents))
        visitors = [Visitor(n, [node.url], messages=10) for n in range(CONVERSATIONS)]
        talking = asyncio.gather(*(v.run() for v in visitors))

        db = await asyncpg.connect(dsn)
        await eventually(lambda: db.fetchval("SELECT count(*) FROM messages"), timeout=15)  # archiving under way
        await db.close()
        postmaster = int((data / "postgres" / "postmaster.pid").read_text().split("\n", 1)[0])
        os.kill(postmaster, signal.SIGKILL)

        await asyncio.wait_for(talking, 45)  # the customers notice nothing
        await asyncio.wait_for(asyncio.gather(*(ag.settled() for ag in agents)), 30)

        client = aioredis.Redis(unix_socket_path=str(data / "redis.sock"), decode_responses=True)
        try:
            cids = [(await v.peer.call("history", {"after_seq": 0}))["conversation_id"] for v in visitors]
            in_redis = {cid: await client.xlen(KEYS.conv_messages(cid)) for cid in cids}

            async def caught_up():
                try:
                    conn = await asyncpg.connect(dsn, timeout=2)
                except (OSError, asyncpg.PostgresError, TimeoutError):
                    return False  # still restarting
                try:
                    rows = await conn.fetch("SELECT conversation_id, count(*) AS n, count(DISTINCT seq) AS seqs, "
                                            "max(seq) AS last FROM messages GROUP BY conversation_id")
                finally:
                    await conn.close()
                return {r["conversation_id"]: (r["n"], r["seqs"], r["last"]) for r in rows}

            got = await eventually(
                lambda: _same(caught_up(), in_redis), timeout=40, interval=0.25)
            assert got
            assert int((data / "postgres" / "postmaster.pid").read_text().split("\n", 1)[0]) != postmaster
            assert await client.xlen(KEYS.archive()) == 0 or await _nothing_pending(client)
        finally:
            await client.aclose()
        print(f"\nchaos postgres kill: {sum(in_redis.values())} messages in Redis, as many rows, none twice")
    finally:
        for peer in [*(v.peer for v in visitors), *(ag.peer for ag in agents)]:
            await peer.close()
        node.kill()


async def _same(rows_coro, in_redis: dict[str, int]) -> bool:
    """Each conversation's rows: as many as Redis holds, every seq once (1..n)."""
    rows = await rows_coro
    return bool(rows) and all(rows.get(cid) == (n, n, n) for cid, n in in_redis.items())


async def _nothing_pending(client) -> bool:
    summary = await client.xpending(KEYS.archive(), "history")
    return int(summary["pending"]) == 0


class _DiesMidCommit:
    """The history pool, except that its first connections fail as asyncpg does when the server is
    killed during a COMMIT (found by the test above: the archive task used to crash for good)."""

    def __init__(self, pool: asyncpg.Pool, failures: int) -> None:
        self.pool, self.failures = pool, failures

    def acquire(self, *args, **kwargs):
        if self.failures > 0:
            self.failures -= 1
            raise asyncpg.InternalClientError("cannot switch to state 15; another operation (2) is in progress")
        return self.pool.acquire(*args, **kwargs)


async def test_the_archive_survives_a_connection_broken_mid_commit(redis, database_url, history_db):
    from gateway.history.archive import Archiver
    from gateway.store.conversations import create_conversation
    from gateway.store.messages import append_message

    conv = await create_conversation(redis, KEYS, channel="web", channel_type="widget", work_channel="chat",
                                     contact_id="k_0000000000000001", topic="billing", queue="billing", language="en")
    for n in range(3):
        await append_message(redis, KEYS, conv.id, author_kind="visitor", author_name="Kim", text=f"m{n}")
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    archiver = Archiver(redis, _DiesMidCommit(pool, failures=2), ["demo"], "regression")  # type: ignore[arg-type]
    task = asyncio.create_task(archiver.run("demo"))
    try:
        await eventually(lambda: history_db.fetchval("SELECT count(*) = 3 FROM messages"), timeout=15)
        assert not task.done()  # still running: the next database error is retried as well
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await pool.close()
