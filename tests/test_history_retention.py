"""Retention: messages and attachments (and their files) older than the tenant's ``retention_days``
go — in PostgreSQL and in Redis — and nothing newer; report figures (the ACD's event log) and the
conversation rows stay; one run per tenant and day across processes; a second run finds nothing;
the archive cannot bring an old message back afterwards."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import asyncpg
import pytest
import redis.asyncio as aioredis
from conftest import eventually
from history_helpers import history_gateway

from gateway.history import rows
from gateway.history.retention import DAY_S, run_retention
from gateway.keys import TenantKeys
from gateway.media.records import MediaRecord, save_record
from gateway.media.storage import write_file
from gateway.store.contacts import resolve_contact
from gateway.store.conversations import create_conversation
from gateway.store.ids import new_id
from gateway.store.messages import append_message

KEYS = TenantKeys("demo")
NOW = time.time()


@pytest.fixture
async def pool(database_url, history_db):
    """A pool on the history database, with no retention run recorded before or after the test."""
    await history_db.execute("DELETE FROM retention_runs")
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=4)
    try:
        yield pool
    finally:
        await history_db.execute("DELETE FROM retention_runs")
        await pool.close()


async def _file(redis: aioredis.Redis, media_dir: Path, cid: str) -> tuple[str, dict]:
    media_id = new_id("a")
    await write_file(media_dir, "demo", media_id, b"scan " + media_id.encode())
    await save_record(redis, MediaRecord(id=media_id, tenant="demo", conversation_id=cid, kind="file", state="ready",
                                         by="visitor", channel="web", name="scan.png", mime="image/png", size=9))
    return media_id, {"attachments": [{"id": media_id, "name": "scan.png", "mime": "image/png", "size": 9,
                                       "state": "ready"}]}


async def _history(redis: aioredis.Redis, media_dir: Path) -> dict:
    """One conversation with a message (and a file) of 40 days ago, one of 20 days ago and one of now."""
    kid = await resolve_contact(redis, KEYS, [("visitor", "v-retention")], name="Rita")
    conv = await create_conversation(redis, KEYS, channel="web", channel_type="widget", work_channel="chat",
                                     contact_id=kid, topic="billing", queue="billing", language="en", now=NOW - 41 * DAY_S)
    old_file, old_extra = await _file(redis, media_dir, conv.id)
    new_file, new_extra = await _file(redis, media_dir, conv.id)
    for n, (age_days, text, extra) in enumerate(((40, "forty days ago", old_extra), (20, "twenty days ago", None),
                                                 (0, "just now", new_extra))):
        await append_message(redis, KEYS, conv.id, author_kind="visitor", author_name="Rita", text=text,
                             client_id=f"m{n}", ts=NOW - age_days * DAY_S, extra=extra)
    return {"cid": conv.id, "old_file": old_file, "new_file": new_file}


async def _texts_in_db(db: asyncpg.Connection, cid: str) -> list[str]:
    return [r["text"] for r in await db.fetch("SELECT text FROM messages WHERE conversation_id = $1 ORDER BY seq", cid)]


async def test_retention_deletes_exactly_what_is_older_everywhere_and_once(
        redis, redis_url, demo_config, database_url, history_db, pool, tmp_path, caplog):
    demo_config.server.media_dir = str(tmp_path / "media")
    media_dir = tmp_path / "media"
    async with history_gateway(demo_config, redis_url, database_url):
        made = await _history(redis, media_dir)
        cid = made["cid"]
        await eventually(lambda: _texts_in_db(history_db, cid), timeout=10)
        assert len(await _texts_in_db(history_db, cid)) == 3
        assert await history_db.fetchval("SELECT count(*) FROM attachments WHERE conversation_id = $1", cid) == 2
        events = await history_db.fetchval("SELECT count(*) FROM acd_events WHERE tenant = 'demo'")

        with caplog.at_level(logging.INFO, logger="gateway.history.retention"):
            purged = await run_retention(redis, pool, "demo", 30, media_root=media_dir, now=NOW)
        assert purged is not None
        assert (purged.messages, purged.attachments, purged.files, purged.redis_messages) == (1, 1, 1, 1)
        logged = next(r for r in caplog.records if r.getMessage() == "retention run")
        assert logged.messages == 1 and logged.tenant == "demo"  # type: ignore[attr-defined]

        # PostgreSQL: the older message and its attachment are gone; newer ones and the conversation stay
        assert await _texts_in_db(history_db, cid) == ["twenty days ago", "just now"]
        assert [r["id"] for r in await history_db.fetch("SELECT id FROM attachments WHERE conversation_id = $1", cid)] \
            == [made["new_file"]]
        assert await history_db.fetchval("SELECT count(*) FROM conversations WHERE id = $1", cid) == 1
        assert await history_db.fetchval("SELECT count(*) FROM acd_events WHERE tenant = 'demo'") >= events
        # Redis: the live conversation lost the same message; the files and records likewise
        assert [f["text"] for _, f in await redis.xrange(KEYS.conv_messages(cid))] == ["twenty days ago", "just now"]
        assert not (media_dir / "demo" / made["old_file"]).exists() and not await redis.exists(KEYS.media(made["old_file"]))
        assert (media_dir / "demo" / made["new_file"]).exists() and await redis.exists(KEYS.media(made["new_file"]))

        # once a day: today's run is done; run again by hand, it finds nothing more
        assert await run_retention(redis, pool, "demo", 30, media_root=media_dir, now=NOW + 60) is None
        again = await run_retention(redis, pool, "demo", 30, media_root=media_dir, now=NOW + 60, force=True)
        assert again is not None and (again.messages, again.attachments, again.files, again.redis_messages) == (0, 0, 0, 0)
        assert await _texts_in_db(history_db, cid) == ["twenty days ago", "just now"]

        # an archive batch carrying an old message (a lagging archive) cannot bring it back
        late = rows.message_row("demo", cid, 1, {"id": f"{cid}:1", "kind": "visitor", "text": "forty days ago",
                                                  "ts": repr(NOW - 40 * DAY_S)}, "en")
        await history_db.execute(rows.UPSERT_MESSAGE, *late)
        assert await _texts_in_db(history_db, cid) == ["twenty days ago", "just now"]


async def test_one_run_per_day_across_processes_and_none_without_retention(redis, pool, tmp_path):
    # nothing to delete, but the claim still decides who runs: two processes at once, one runs
    results = await asyncio.gather(*(run_retention(redis, pool, "demo", 7, media_root=tmp_path, now=NOW)
                                     for _ in range(4)))
    assert sum(r is not None for r in results) == 1
    assert await pool.fetchval("SELECT count(*) FROM retention_runs WHERE tenant = 'demo'") == 1
    assert await pool.fetchval("SELECT finished_at IS NOT NULL FROM retention_runs WHERE tenant = 'demo'")
    # the next day runs again
    assert await run_retention(redis, pool, "demo", 7, media_root=tmp_path, now=NOW + DAY_S) is not None
    # 0 days: keep everything, record nothing
    assert await run_retention(redis, pool, "other", 0, media_root=tmp_path, now=NOW) is None
    assert await pool.fetchval("SELECT count(*) FROM retention_runs WHERE tenant = 'other'") == 0


def test_a_negative_retention_is_a_config_error(tmp_path):
    from gateway.config import ConfigError, load_config

    path = tmp_path / "bad.yaml"
    text = (Path(__file__).parent.parent / "config" / "demo.yaml").read_text()
    path.write_text(text.replace("  demo:\n", "  demo:\n    retention_days: -3\n", 1))
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    assert any("retention_days" in line for line in err.value.lines())
