"""Retention: per tenant, messages and attachments (their files too) older than
``retention_days`` are deleted — in PostgreSQL and whatever of them is still in Redis. Conversation
rows (who, when, which queue), contacts, the ACD's event log (report figures) and the audit trail
stay: they hold ids and times, not what people wrote.

A daily job: every gateway process tries every hour, and the day's row in ``retention_runs``
(inserted once per tenant and day) lets exactly one of them run. Each run deletes everything older
than its cutoff, so a missed day is caught up by the next, and a second run finds nothing. The
newest cutoff also makes the database drop archive writes of older messages (0004's trigger)."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from redis.asyncio import Redis

from acd import replies
from gateway.history.subject import media_ids
from gateway.keys import TenantKeys
from gateway.media.storage import delete_files

log = logging.getLogger(__name__)

DAY_S = 86400
CHECK_EVERY_S = 3600.0  # how often a process looks whether today's run is done
BATCH = 5000  # rows deleted per statement (short transactions, never one huge one)


@dataclass
class Purged:
    """What one run deleted."""

    messages: int = 0
    attachments: int = 0
    files: int = 0
    redis_messages: int = 0


async def run_retention(redis: Redis, pool: asyncpg.Pool, tenant: str, days: int, *, media_root: Path,
                        now: float | None = None, force: bool = False) -> Purged | None:
    """Delete the tenant's messages and attachments older than ``days``; None when ``days`` is 0 (keep
    everything) or today's run was already done (``force``: run anyway, e.g. from a test or by hand)."""
    if days <= 0:
        return None
    now = time.time() if now is None else now
    cutoff = datetime.fromtimestamp(now - days * DAY_S, UTC)
    day = datetime.fromtimestamp(now, UTC).date()
    claimed = await pool.fetchval(
        """INSERT INTO retention_runs (tenant, day, cutoff) VALUES ($1, $2, $3)
           ON CONFLICT (tenant, day) DO UPDATE SET cutoff = GREATEST(retention_runs.cutoff, EXCLUDED.cutoff)
             WHERE $4 RETURNING 1""", tenant, day, cutoff, force)
    if not claimed:
        return None
    purged = Purged()
    gone_files: set[str] = set()
    while True:  # PostgreSQL, in batches: the attachments of the old messages, then the messages
        async with pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                """DELETE FROM messages WHERE ctid = ANY(ARRAY(
                     SELECT ctid FROM messages WHERE tenant = $1 AND ts < $2 LIMIT $3))
                   RETURNING conversation_id, seq""", tenant, cutoff, BATCH)
            if rows:
                files = await conn.fetch(
                    """DELETE FROM attachments a USING unnest($2::text[], $3::int[]) AS m(cid, seq)
                       WHERE a.tenant = $1 AND a.conversation_id = m.cid AND a.seq = m.seq RETURNING a.id""",
                    tenant, [r["conversation_id"] for r in rows], [r["seq"] for r in rows])
                purged.attachments += len(files)
                gone_files |= {f["id"] for f in files}
        purged.messages += len(rows)
        if len(rows) < BATCH:
            break
    redis_count, redis_files = await _purge_redis(redis, TenantKeys(tenant), cutoff.timestamp())
    purged.redis_messages = redis_count
    gone_files |= redis_files
    purged.files = await _delete_files(redis, media_root, tenant, gone_files)
    await pool.execute("UPDATE retention_runs SET finished_at = now(), counts = $3 WHERE tenant = $1 AND day = $2",
                       tenant, day, json.dumps(asdict(purged)))
    log.info("retention run", extra={"tenant": tenant, "days": days, "cutoff": cutoff.isoformat(), **asdict(purged)})
    return purged


async def _purge_redis(redis: Redis, keys: TenantKeys, cutoff: float) -> tuple[int, set[str]]:
    """Old messages of the conversations still in Redis (open ones, closed ones not yet evicted)."""
    cids = set(replies.texts(await redis.zrange(keys.convs_open(), 0, -1)))
    cids |= set(replies.texts(await redis.zrange(keys.archive_closed(), 0, -1)))
    count, files = 0, set()
    for cid in sorted(cids):
        old = [(entry_id, f) for entry_id, f in replies.entries(await redis.xrange(keys.conv_messages(cid)))
               if float(f.get("ts") or 0) < cutoff]
        if old:
            count += await redis.xdel(keys.conv_messages(cid), *[entry_id for entry_id, _ in old])
            for _, f in old:
                files |= media_ids(f.get("extra", ""))
    return count, files


async def _delete_files(redis: Redis, root: Path, tenant: str, media: set[str]) -> int:
    """The files and their Redis records."""
    keys = TenantKeys(tenant)
    if media:
        await redis.delete(*[keys.media(m) for m in media])
    return await delete_files(root, tenant, media)


async def retention_step(redis: Redis, pool: asyncpg.Pool, tenants: dict[str, int], media_root: Path) -> None:
    """The periodic step: each tenant with a retention, at most once a day across every process."""
    for tenant, days in tenants.items():
        await run_retention(redis, pool, tenant, days, media_root=media_root)
