"""The archive: what happens in Redis reaches PostgreSQL (once), survives a dead database, and a
closed conversation evicted from Redis still reads the same through the API."""

from __future__ import annotations

import aiohttp
import pytest
import redis.asyncio as aioredis
from conftest import eventually
from history_helpers import history_gateway

from gateway.history.embedded import EmbeddedPostgres
from gateway.history.migrate import upgrade
from gateway.keys import TenantKeys
from gateway.store.contacts import resolve_contact
from gateway.store.conversations import close_conversation, create_conversation
from gateway.store.messages import append_message

KEYS = TenantKeys("demo")


async def _conversation(redis: aioredis.Redis, texts: list[str], language: str = "de", close: bool = True) -> str:
    contact = await resolve_contact(redis, KEYS, [("visitor", "v-history")], name="Lena")
    conv = await create_conversation(redis, KEYS, channel="web", channel_type="widget", work_channel="chat",
                                     contact_id=contact, topic="billing", queue="billing", language=language)
    for n, text in enumerate(texts):
        await append_message(redis, KEYS, conv.id, author_kind="visitor", author_name="Lena", text=text,
                             client_id=f"c{n}")
    if close:
        await close_conversation(redis, KEYS, conv.id, "visitor")
    return conv.id


async def _archived(db, cid: str, messages: int) -> bool:
    state = await db.fetchval("SELECT state FROM conversations WHERE tenant = 'demo' AND id = $1", cid)
    count = await db.fetchval("SELECT count(*) FROM messages WHERE tenant = 'demo' AND conversation_id = $1", cid)
    return state == "closed" and count == messages


async def test_a_chat_in_the_gateway_arrives_in_postgresql(redis, redis_url, demo_config, database_url, history_db):
    async with history_gateway(demo_config, redis_url, database_url) as gw:
        visitor, vbox = await gw.visitor(language="de", name="Lena")
        agent, abox = await gw.agent("anna")
        ack = await visitor.call("message", {"text": "Meine Rechnungen sind falsch", "client_id": "m1"},
                                 namespace="/visitor", timeout=5)
        cid = ack["conversation_id"]
        offer = await abox.next("offer")
        assert (await agent.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent", timeout=5))["ok"]
        await agent.call("message", {"conversation_id": cid, "text": "Ich sehe nach", "client_id": "a1"},
                         namespace="/agent", timeout=5)
        await agent.call("close", {"conversation_id": cid}, namespace="/agent", timeout=5)

        await eventually(lambda: _archived(history_db, cid, 2), timeout=10)
        rows = await history_db.fetch(
            "SELECT seq, author_kind, text FROM messages WHERE conversation_id = $1 ORDER BY seq", cid)
        assert [(r["seq"], r["author_kind"], r["text"]) for r in rows] == [
            (1, "visitor", "Meine Rechnungen sind falsch"), (2, "agent", "Ich sehe nach")]
        # German stemming, ready for search: "Rechnung" finds "Rechnungen"
        found = await history_db.fetchval(
            "SELECT count(*) FROM messages WHERE search @@ to_tsquery('german', 'Rechnung') AND conversation_id = $1", cid)
        assert found == 1
        conv = await history_db.fetchrow("SELECT * FROM conversations WHERE id = $1", cid)
        assert conv["agent_id"] == "anna" and conv["language"] == "de" and conv["closed_at"] is not None
        contact = await history_db.fetchrow("SELECT * FROM contacts WHERE id = $1", conv["contact_id"])
        assert contact["name"] == "Lena"
        assert await history_db.fetchval("SELECT count(*) FROM identities WHERE contact_id = $1", contact["id"]) >= 1
        # the ACD's event log too (offered, answered, … of this conversation)
        await eventually(lambda: history_db.fetchval("SELECT count(*) FROM acd_events WHERE tenant = 'demo'"), timeout=10)
        # and what is archived leaves the outbox
        await eventually(lambda: _outbox_empty(redis), timeout=10)
        async with aiohttp.ClientSession() as http, http.get(f"{gw.url}/healthz") as r:
            health = await r.json()
        assert health["history"]["database"] == "ok" and health["history"]["archive_pending"] == 0


async def _outbox_empty(redis) -> bool:
    return await redis.xlen(KEYS.archive()) == 0


async def test_the_same_outbox_entry_twice_stores_one_row(redis, redis_url, demo_config, database_url, history_db):
    async with history_gateway(demo_config, redis_url, database_url):
        cid = await _conversation(redis, ["eins", "zwei"])
        await eventually(lambda: _archived(history_db, cid, 2), timeout=10)
        # a redelivery (another process' retry after a crash between commit and XACK) of every kind
        await redis.xadd(KEYS.archive(), {"k": "msg", "c": cid, "s": "1", "ov": "2"})
        await redis.xadd(KEYS.archive(), {"k": "conv", "c": cid, "ov": "4"})
        await eventually(lambda: _outbox_empty(redis), timeout=10)
        assert await history_db.fetchval("SELECT count(*) FROM messages WHERE conversation_id = $1", cid) == 2
        assert await history_db.fetchval("SELECT count(*) FROM conversations WHERE id = $1", cid) == 1


async def test_a_closed_conversation_evicted_from_redis_reads_the_same(redis, redis_url, demo_config, database_url,
                                                                       history_db):
    async with history_gateway(demo_config, redis_url, database_url, evict_closed_after_s=0.5, evict_every_s=0.2) as gw:
        login = await gw.login("sam")
        headers = {"Authorization": f"Bearer {login['token']}"}
        cid = await _conversation(redis, ["Hallo", "Wo ist meine Rechnung?"])
        contact = await redis.hget(KEYS.conv(cid), "contact_id")
        # as if it had been mirrored into Slack (gateway/slack): those records outlive the eviction for a while
        await redis.hset(KEYS.slack_thread(cid), mapping={"channel": "C0DEMOTECH", "ts": "1700000001.000001"})
        await redis.rpush(KEYS.slack_lines(cid), "1700000001.000001")
        async with aiohttp.ClientSession(headers=headers) as http:
            async with http.get(f"{gw.url}/api/v1/conversations/{cid}") as r:
                assert r.status == 200
                before = await r.json()
            async with http.get(f"{gw.url}/api/v1/contacts/{contact}/conversations") as r:
                history_before = await r.json()
            await eventually(lambda: _gone(redis, cid), timeout=10)
            for key in (KEYS.slack_thread(cid), KEYS.slack_lines(cid)):  # kept 30 days more, then gone
                assert 29 * 86400 < await redis.ttl(key) <= 30 * 86400
            async with http.get(f"{gw.url}/api/v1/conversations/{cid}") as r:
                assert r.status == 200
                after = await r.json()
            async with http.get(f"{gw.url}/api/v1/contacts/{contact}/conversations") as r:
                history_after = await r.json()
    assert [m["text"] for m in after["messages"]] == ["Hallo", "Wo ist meine Rechnung?"]
    # the same messages; times to the microsecond (PostgreSQL's timestamp precision)
    assert [{**m, "ts": pytest.approx(m["ts"], abs=1e-6)} for m in before["messages"]] == after["messages"]
    for name in ("id", "state", "contact_id", "language", "topic", "channel", "close_reason", "seq"):
        assert after[name] == before[name], name
    assert after["closed_at"] == pytest.approx(before["closed_at"], abs=1e-3)
    assert [c["id"] for c in history_after] == [c["id"] for c in history_before] == [cid]
    assert history_after[0]["last_message"]["text"] == "Wo ist meine Rechnung?"


async def _gone(redis, cid: str) -> bool:
    return not await redis.exists(KEYS.conv(cid), KEYS.conv_messages(cid))


async def test_an_open_or_unarchived_conversation_is_never_evicted(redis, redis_url, demo_config, database_url,
                                                                   history_db):
    open_cid = await _conversation(redis, ["noch offen"], close=False)
    async with history_gateway(demo_config, redis_url, database_url, evict_closed_after_s=0.2, evict_every_s=0.1):
        closed = await _conversation(redis, ["zu"])
        await eventually(lambda: _gone(redis, closed), timeout=10)
        assert await redis.exists(KEYS.conv(open_cid))
    # not archived (no gateway running now): closed, due, and still kept
    late = await _conversation(redis, ["spät"])
    from gateway.history.evict import evict_closed

    assert await evict_closed(redis, "demo", 0.0001, now=10**10) == 0
    assert await redis.exists(KEYS.conv(late))


async def test_postgresql_stopped_and_started_again_the_archive_catches_up(redis, redis_url, demo_config, tmp_path):
    server = EmbeddedPostgres(tmp_path / "pg")
    dsn = await server.start()
    await upgrade(dsn)
    try:
        async with history_gateway(demo_config, redis_url, dsn) as gw:
            first = await _conversation(redis, ["vorher"])
            conn = await __import__("asyncpg").connect(dsn)
            await eventually(lambda: _archived(conn, first, 1), timeout=10)
            await conn.close()
            await server.stop()

            cid = await _conversation(redis, ["während", "die", "Datenbank", "weg", "ist"])
            async with aiohttp.ClientSession() as http:
                async def says_unreachable():
                    async with http.get(f"{gw.url}/healthz") as r:
                        body = await r.json()
                        return r.status == 200 and body["history"]["database"] == "unreachable" \
                            and body["history"]["archive_pending"] > 0 and body["status"] == "degraded"
                await eventually(says_unreachable, timeout=10)
                assert await redis.xlen(KEYS.archive()) > 0  # waiting in Redis, not lost

                await server.start()
                conn = await __import__("asyncpg").connect(dsn)
                try:
                    await eventually(lambda: _archived(conn, cid, 5), timeout=15)
                    texts = await conn.fetch("SELECT text FROM messages WHERE conversation_id = $1 ORDER BY seq", cid)
                    assert [r["text"] for r in texts] == ["während", "die", "Datenbank", "weg", "ist"]
                finally:
                    await conn.close()

                async def says_ok():
                    async with http.get(f"{gw.url}/healthz") as r:
                        return (await r.json())["history"]["database"] == "ok"
                await eventually(says_ok, timeout=10)
    finally:
        await server.stop()


async def test_a_visitor_back_after_their_closed_conversation_was_evicted_is_told_it_is_closed(
        redis, redis_url, demo_config, database_url, history_db):
    auth = {"tenant": "demo", "topic": "billing", "language": "en", "name": "Rita"}
    async with history_gateway(demo_config, redis_url, database_url, evict_closed_after_s=0.5, evict_every_s=0.2) as gw:
        visitor, inbox = await gw.socket("/visitor", auth, ["session"])
        token = (await inbox.next("session"))["visitor_token"]
        ack = await visitor.call("message", {"text": "hello", "client_id": "r-1"}, namespace="/visitor", timeout=5)
        assert (await visitor.call("close", {}, namespace="/visitor", timeout=5))["ok"]
        await visitor.disconnect()
        await eventually(lambda: _gone(redis, ack["conversation_id"]), timeout=10)
        # back days later: the conversation is in the history database only
        again, events = await gw.socket("/visitor", {**auth, "visitor_token": token}, ["session", "closed"])
        assert (await events.next("session"))["conversation_id"] == ack["conversation_id"]
        closed = await events.next("closed")
        assert closed == {"conversation_id": ack["conversation_id"], "reason": "visitor"}
        await again.disconnect()
