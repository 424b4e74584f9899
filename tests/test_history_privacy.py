"""Export and erasure of one contact (real Redis, real PostgreSQL, real files): the export holds every
channel's conversations and the files; the erasure leaves nothing anywhere — checked by reading every
Redis key and every table — keeps one audit row without the data, survives the archive's race, and is
refused to agents, to other tenants and to a gateway without a history database."""

from __future__ import annotations

import asyncio
import copy
import io
import json
import time
import zipfile
from pathlib import Path

import aiohttp
import asyncpg
import pytest
import redis.asyncio as aioredis
from conftest import eventually
from history_helpers import history_gateway

from gateway.history import rows
from gateway.history.evict import evict_closed
from gateway.keys import TenantKeys
from gateway.media.records import MediaRecord, save_record
from gateway.media.storage import write_file
from gateway.store.contacts import resolve_contact
from gateway.store.conversations import close_conversation, create_conversation
from gateway.store.ids import new_id
from gateway.store.messages import append_message

KEYS = TenantKeys("demo")
NAME, EMAIL, PHONE = "Vera Quellenberg", "vera.quellenberg@example.org", "4917055501234"
TEXTS = ("Meine Kundennummer lautet Zebrafink-8841", "Bitte per Telegram: Kolibri-2290", "Mail: Pelikan-7313")
FILE_BYTES = b"%PDF-1.4 Rechnung Quellenberg Kranich-5501"


@pytest.fixture
def config(demo_config, tmp_path):
    demo_config.server.media_dir = str(tmp_path / "media")
    return demo_config


async def _token(gw, username: str, tenant: str = "demo") -> str:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{gw.url}/api/v1/login", json={"username": username, "password": f"{username}-demo",
                                                              "tenant": tenant}) as r:
            assert r.status == 200, await r.text()
            return (await r.json())["token"]


async def _person(redis: aioredis.Redis, media_dir: Path, visitor_id: str) -> tuple[str, dict[str, str], str]:
    """A contact with a widget chat (open, with a file), a Telegram chat (closed, evicted from Redis:
    only in PostgreSQL) and an email (closed) — the contact id, conversation ids by channel, the file id."""
    kid = await resolve_contact(redis, KEYS, [("visitor", visitor_id), ("telegram", "tg-77881"),
                                              ("email", EMAIL)], name=NAME, phone=PHONE)
    convs = {}
    for channel, kind, work, text in (("web", "widget", "chat", TEXTS[0]), ("telegram", "telegram", "messaging", TEXTS[1]),
                                      ("email", "email", "email", TEXTS[2])):
        conv = await create_conversation(redis, KEYS, channel=channel, channel_type=kind, work_channel=work,
                                         contact_id=kid, topic="billing", queue="billing", language="de",
                                         visitor_id=visitor_id if kind == "widget" else "",
                                         pointer=KEYS.visitor(visitor_id) if kind == "widget" else "")
        await append_message(redis, KEYS, conv.id, author_kind="visitor", author_name=NAME, text=text, client_id="c1")
        await append_message(redis, KEYS, conv.id, author_kind="note", author_name="Anna", text=f"Notiz zu {NAME}",
                             client_id="n1", allow_closed=True)
        convs[channel] = conv.id
    await redis.hset(KEYS.visitor(visitor_id), mapping={"contact_id": kid, "name": NAME})
    await redis.hset(KEYS.platform_chat("telegram", "tg-77881"), "conversation_id", convs["telegram"])
    media_id = new_id("a")
    await write_file(media_dir, "demo", media_id, FILE_BYTES)
    await save_record(redis, MediaRecord(id=media_id, tenant="demo", conversation_id=convs["web"], kind="file",
                                         state="ready", by="visitor", channel="web", name="rechnung.pdf",
                                         mime="application/pdf", size=len(FILE_BYTES), seq=3, created_at=time.time()))
    await append_message(redis, KEYS, convs["web"], author_kind="visitor", author_name=NAME, text="",
                         client_id="f1", extra={"attachments": [{"id": media_id, "kind": "file", "name": "rechnung.pdf",
                                                                 "mime": "application/pdf", "size": len(FILE_BYTES),
                                                                 "state": "ready"}]})
    for channel in ("telegram", "email"):
        await close_conversation(redis, KEYS, convs[channel], "agent")
    return kid, convs, media_id


async def _archived(db: asyncpg.Connection, convs: dict[str, str]) -> bool:
    count = await db.fetchval("SELECT count(*) FROM messages WHERE tenant = 'demo' AND conversation_id = ANY($1::text[])",
                              list(convs.values()))
    return count == 7


async def _evicted(redis: aioredis.Redis, cid: str) -> bool:
    await evict_closed(redis, "demo", 1, now=time.time() + 60)
    return not await redis.exists(KEYS.conv(cid))


async def _redis_dump(redis: aioredis.Redis) -> str:
    """Every key and value in Redis, as text (whatever the type)."""
    parts = []
    async for key in redis.scan_iter(count=1000):
        kind = await redis.type(key)
        value: object
        if kind == "string":
            value = await redis.get(key)
        elif kind == "hash":
            value = await redis.hgetall(key)
        elif kind == "list":
            value = await redis.lrange(key, 0, -1)
        elif kind == "set":
            value = await redis.smembers(key)
        elif kind == "zset":
            value = await redis.zrange(key, 0, -1, withscores=True)
        elif kind == "stream":
            value = await redis.xrange(key)
        else:
            value = kind
        parts.append(f"{key} {value!r}")
    return "\n".join(parts)


async def _db_dump(db: asyncpg.Connection) -> str:
    tables = [r["tablename"] for r in await db.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
    assert {"messages", "conversations", "contacts", "identities", "attachments", "audit"} <= set(tables)
    parts = []
    for table in tables:
        for row in await db.fetch(f'SELECT t::text AS t FROM "{table}" t'):
            parts.append(f"{table}: {row['t']}")
    return "\n".join(parts)


def _personal(text: str) -> list[str]:
    needles = [NAME, "Quellenberg", EMAIL, PHONE, "tg-77881", *TEXTS, "Kranich-5501"]
    return [n for n in needles if n in text]


async def test_export_holds_every_channel_and_the_files_and_is_audited(redis, redis_url, config, database_url, history_db):
    media_dir = Path(config.server.media_dir)
    async with history_gateway(config, redis_url, database_url) as gw:
        kid, convs, media_id = await _person(redis, media_dir, "v-export-1")
        await eventually(lambda: _archived(history_db, convs), timeout=10)
        await eventually(lambda: _evicted(redis, convs["telegram"]), timeout=10)  # only in PostgreSQL now
        sam = await _token(gw, "sam")
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {sam}"}) as http:
            async with http.get(f"{gw.url}/api/v1/contacts/{kid}/export") as r:
                assert r.status == 200, await r.text()
                assert r.headers["Content-Type"] == "application/zip"
                assert f"contact-{kid}" in r.headers["Content-Disposition"]
                data = await r.read()
        archive = zipfile.ZipFile(io.BytesIO(data))
        doc = json.loads(archive.read("contact.json"))
        assert doc["contacts"][0]["name"] == NAME and doc["contacts"][0]["phone"] == PHONE
        assert {"telegram:tg-77881", f"email:{EMAIL}", "visitor:v-export-1"} <= set(doc["contacts"][0]["identities"])
        by_channel = {c["channel_type"]: c for c in doc["conversations"]}
        assert set(by_channel) == {"widget", "telegram", "email"}
        assert [m["text"] for m in by_channel["telegram"]["messages"]] == [TEXTS[1], f"Notiz zu {NAME}"]
        assert by_channel["widget"]["messages"][1]["author"]["kind"] == "note"  # notes are the contact's data too
        member = next(n for n in archive.namelist() if n.startswith(f"files/{media_id}/"))
        assert archive.read(member) == FILE_BYTES and member.endswith("rechnung.pdf")
        assert doc["attachments"][0]["in_export"] is True

        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {sam}"}) as http:
            async with http.get(f"{gw.url}/api/v1/audit", params={"action": "contact.export"}) as r:
                entries = await r.json()
        assert entries[0]["actor"] == "sam" and entries[0]["details"]["contact_id"] == kid


async def test_erasure_leaves_nothing_in_redis_postgresql_or_files_but_the_audit_row(
        redis, redis_url, config, database_url, history_db):
    media_dir = Path(config.server.media_dir)
    async with history_gateway(config, redis_url, database_url) as gw:
        # the widget conversation is a real one, open and assigned: the erasure closes it first
        visitor, vbox = await gw.visitor(name=NAME, email=EMAIL, language="de")
        agent, abox = await gw.agent("anna")
        ack = await visitor.call("message", {"text": "Hallo, hier Zebrafink-8841", "client_id": "m1"},
                                 namespace="/visitor", timeout=5)
        offer = await abox.next("offer")
        await agent.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent", timeout=5)
        live_kid = await redis.hget(KEYS.conv(ack["conversation_id"]), "contact_id")
        vid = await redis.hget(KEYS.conv(ack["conversation_id"]), "visitor_id")
        kid, convs, media_id = await _person(redis, media_dir, vid)
        assert kid == live_kid  # the same person, now on three channels
        await eventually(lambda: _archived(history_db, convs), timeout=10)
        await eventually(lambda: _evicted(redis, convs["telegram"]), timeout=10)
        assert _personal(await _redis_dump(redis)) and _personal(await _db_dump(history_db))

        anna = await _token(gw, "anna")
        sam = await _token(gw, "sam")
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {anna}"}) as http:
            for method, path in (("POST", "erase"), ("GET", "export")):
                async with http.request(method, f"{gw.url}/api/v1/contacts/{kid}/{path}") as r:
                    assert r.status == 403  # agents may not
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {sam}"}) as http:
            async with http.post(f"{gw.url}/api/v1/contacts/{kid}/erase") as r:
                assert r.status == 200, await r.text()
                result = await r.json()
        assert result["erased"] is True and result["already_erased"] is False and result["files"] == 1
        assert result["conversations"] == 4
        # the open chat was closed through the close path: its customer and its agent were told
        await vbox.next("closed", lambda d: d["conversation_id"] == ack["conversation_id"], timeout=5)
        await abox.next("closed", lambda d: d["conversation_id"] == ack["conversation_id"], timeout=5)

        # let the archive run (and copy the close and the audit entry) before looking everywhere
        await eventually(lambda: history_db.fetchval(
            "SELECT count(*) FROM audit WHERE tenant = 'demo' AND action = 'contact.erase'"), timeout=10)
        await asyncio.sleep(1.5)
        assert _personal(await _redis_dump(redis)) == []
        assert _personal(await _db_dump(history_db)) == []
        assert not (media_dir / "demo" / media_id).exists()
        for cid in (*convs.values(), ack["conversation_id"]):
            assert not await history_db.fetchval("SELECT count(*) FROM messages WHERE conversation_id = $1", cid)
        row = await history_db.fetchrow("SELECT * FROM audit WHERE tenant = 'demo' AND action = 'contact.erase'")
        assert row["actor"] == "sam" and json.loads(row["details"])["contact_id"] == kid
        assert _personal(json.dumps(dict(row), default=str)) == []

        # erasing again is harmless; the contact is gone for the API
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {sam}"}) as http:
            async with http.post(f"{gw.url}/api/v1/contacts/{kid}/erase") as r:
                assert r.status == 200 and (await r.json())["already_erased"] is True
            async with http.get(f"{gw.url}/api/v1/contacts/{kid}") as r:
                assert r.status == 404
            async with http.get(f"{gw.url}/api/v1/contacts/{kid}/export") as r:
                assert r.status == 404


async def test_an_archive_batch_racing_the_erasure_never_brings_the_data_back(
        redis, redis_url, config, database_url, history_db):
    media_dir = Path(config.server.media_dir)
    async with history_gateway(config, redis_url, database_url) as gw:
        kid, convs, _ = await _person(redis, media_dir, "v-race-1")
        await eventually(lambda: _archived(history_db, convs), timeout=10)
        cid = convs["email"]
        stale = rows.message_row("demo", cid, 99, {"id": f"{cid}:99", "kind": "visitor", "name": NAME,
                                                    "text": TEXTS[2] + " (late)", "ts": repr(time.time())}, "de")
        # a batch that read Redis before the erasure and writes while it starts: the erasure waits for it
        writer = await asyncpg.connect(database_url)
        tx = writer.transaction()
        await tx.start()
        await writer.execute(rows.UPSERT_MESSAGE, *stale)
        sam = await _token(gw, "sam")
        http = aiohttp.ClientSession(headers={"Authorization": f"Bearer {sam}"})
        try:
            erasing = asyncio.create_task(http.post(f"{gw.url}/api/v1/contacts/{kid}/erase"))
            await asyncio.sleep(0.5)
            assert not erasing.done()  # waiting for the batch in flight
            await tx.commit()
            response = await asyncio.wait_for(erasing, 10)
            assert response.status == 200, await response.text()
            response.release()
        finally:
            await http.close()
        assert not await history_db.fetchval("SELECT count(*) FROM messages WHERE conversation_id = $1", cid)
        # a batch that read Redis before the erasure and writes after it: the database drops every row
        await writer.execute(rows.UPSERT_MESSAGE, *stale)
        await writer.execute(rows.UPSERT_CONVERSATION, *rows.conversation_row("demo", cid, {"contact_id": kid}))
        await writer.execute(rows.UPSERT_CONTACT, *rows.contact_row("demo", kid, {"name": NAME, "email": EMAIL}))
        await writer.execute(rows.UPSERT_IDENTITY, "demo", "email", EMAIL, kid)
        await writer.close()
        assert _personal(await _db_dump(history_db)) == []
        # and nothing about it waits in the outbox any more
        outbox = await redis.xrange(KEYS.archive())
        assert not [f for _, f in outbox if f.get("c") in convs.values() or f.get("id") == kid]


async def test_other_tenants_and_gateways_without_history_get_nothing(
        redis, redis_url, config, database_url, history_db, gateway):
    media_dir = Path(config.server.media_dir)
    config = copy.deepcopy(config)
    other = copy.deepcopy(config.tenants["demo"])
    other.id = "other"
    config.tenants["other"] = other
    async with history_gateway(config, redis_url, database_url) as gw:
        kid, convs, media_id = await _person(redis, media_dir, "v-tenant-1")
        other_sam = await _token(gw, "sam", tenant="other")
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {other_sam}"}) as http:
            async with http.get(f"{gw.url}/api/v1/contacts/{kid}/export") as r:
                assert r.status == 404
            async with http.post(f"{gw.url}/api/v1/contacts/{kid}/erase") as r:
                assert r.status == 404
            async with http.post(f"{gw.url}/api/v1/contacts/not-an-id/erase") as r:
                assert r.status == 404
        assert await redis.hget(KEYS.contact(kid), "name") == NAME  # untouched
        assert (media_dir / "demo" / media_id).exists()
    sam = (await gateway.login("sam"))["token"]  # the plain gateway fixture: no history database
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {sam}"}) as http:
        async with http.post(f"{gateway.url}/api/v1/contacts/{kid}/erase") as r:
            assert r.status == 503 and (await r.json())["error"]["code"] == "history_unavailable"
        async with http.get(f"{gateway.url}/api/v1/contacts/{kid}/export") as r:
            assert r.status == 503


async def _cli(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    import os
    import sys

    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway", "contacts", *args, env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_the_command_line_exports_and_erases(redis, redis_url, database_url, history_db, tmp_path):
    config_path = Path(__file__).parent.parent / "config" / "demo.yaml"
    env = {"REDIS_URL": redis_url, "DATABASE_URL": database_url, "OMNIRELAY_DATA_DIR": str(tmp_path),
           "OMNIRELAY_CONFIG": str(config_path)}
    kid, convs, media_id = await _person(redis, tmp_path / "media", "v-cli-1")
    code, out, err = await _cli("export", "--tenant", "demo", "--contact", kid, "--out", str(tmp_path / "out"), env=env)
    assert code == 0, err
    zipped = zipfile.ZipFile(out.strip())
    assert {c["channel_type"] for c in json.loads(zipped.read("contact.json"))["conversations"]} == {"widget", "telegram", "email"}
    assert any(n.startswith(f"files/{media_id}/") for n in zipped.namelist())

    code, out, err = await _cli("erase", "--tenant", "demo", "--contact", kid, env=env)
    assert code == 0, err
    assert f"erased contact {kid}: 3 conversations, 1 files" in out
    assert _personal(await _redis_dump(redis)) == []
    assert not (tmp_path / "media" / "demo" / media_id).exists()
    actions = [(f["action"], f["actor"]) for _, f in await redis.xrange(KEYS.audit())]
    assert ("contact.export", actions[0][1]) in actions and actions[-1][0] == "contact.erase"
    assert actions[-1][1].startswith("cli:")

    code, _, err = await _cli("erase", "--tenant", "demo", "--contact", "nobody", env=env)
    assert code == 2 and "not a contact id" in err
    code, _, err = await _cli("erase", "--tenant", "demo", "--contact", "k_0123456789abcdef", env=env)
    assert code == 1 and "no contact" in err
