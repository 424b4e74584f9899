"""The archive: every gateway process runs a consumer of each tenant's outbox (``t:{T}:archive``,
appended in the same Lua script or MULTI as each change) and of the ACD's event log, writes a batch
to PostgreSQL in one transaction (upserts by id), and acknowledges only after the commit.

A process that dies leaves its entries pending; after ``history.claim_idle_s`` another one takes
them over (XAUTOCLAIM). A database that is down makes the consumer wait and retry the same entries:
nothing is lost (they stay in Redis) and nothing doubles (the writes are upserts)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from acd import replies
from acd.keys import AcdKeys
from acd.lua_runner import LuaScript, runner
from gateway.history import rows
from gateway.keys import TenantKeys
from gateway.store.scripts import STREAM_GROUPS_LIB

log = logging.getLogger(__name__)

GROUP = "history"
ARCHIVE_GATHER = LuaScript.from_file(Path(__file__).parent / "lua" / "archive_gather.lua")
ARCHIVE_ACK = LuaScript.from_file(Path(__file__).parent / "lua" / "archive_ack.lua", libs=[STREAM_GROUPS_LIB])
BLOCK_MS = 1000
RETRY_S = (0.5, 1.0, 2.0, 5.0)  # waits between attempts while PostgreSQL is unreachable
BUSY_BATCHES_PER_S = 10  # while a webhook flood is answered (still up to 10 x batch_size entries a second)
# after a batch smaller than batch_size, the next read waits this long, so that what arrives meanwhile goes
# in one transaction: at 400 messages a second, 40 batches a second instead of 400 (each is a read, a script,
# a PostgreSQL transaction and an acknowledgement); what is archived is at most this much later
LINGER_S = 0.1

Entries = list[tuple[str, dict[str, str]]]


@dataclass
class ArchiveHealth:
    """What /healthz and the metrics say about the database and the archive."""

    database: str = "ok"  # ok | unreachable
    error: str = ""
    archived: int = 0  # entries written by this process since start
    since: float = field(default_factory=time.time)


async def ensure_group(redis: Redis, stream: str) -> None:
    try:
        await redis.xgroup_create(stream, GROUP, id="0", mkstream=True)
    except ResponseError as err:
        if "BUSYGROUP" not in str(err):
            raise


class Archiver:
    """The consumers of one gateway process (one task per tenant and stream)."""

    def __init__(self, redis: Redis, pool: asyncpg.Pool, tenants: list[str], consumer: str, *,
                 batch_size: int = 500, claim_idle_s: float = 2.0,
                 on_batch: Callable[[int], Awaitable[None] | None] | None = None,
                 busy: Callable[[], bool] | None = None) -> None:
        self.redis, self.pool, self.tenants, self.consumer = redis, pool, tenants, consumer
        # True while the process answers a flood of webhooks: the archive then writes at most
        # BUSY_BATCHES_PER_S (bigger) batches a second, and catches up in full once it has passed
        self.busy = busy
        self.batch_size, self.claim_idle_ms = batch_size, int(claim_idle_s * 1000)
        self.health = ArchiveHealth()
        self.on_batch = on_batch  # tests: observe (or interrupt) between the commit and the acknowledgement

    # --- the loop ---------------------------------------------------------------------------
    async def run(self, tenant: str, acd_events: bool = False) -> None:
        """Consume one tenant's outbox (or its ACD event log) until cancelled."""
        stream = AcdKeys(tenant).events() if acd_events else TenantKeys(tenant).archive()
        await ensure_group(self.redis, stream)
        failures, last_claim = 0, 0.0
        while True:
            if self.busy is not None and self.busy():
                await asyncio.sleep(1 / BUSY_BATCHES_PER_S)
            try:
                entries = await self._own_pending(stream)
                if not entries and time.monotonic() - last_claim > min(self.claim_idle_ms / 2000, 1.0):
                    last_claim = time.monotonic()
                    entries = await self._claim(stream)
                if not entries:
                    entries = await self._read_new(stream)
                if entries:
                    await (self._write_events(tenant, stream, entries) if acd_events
                           else self._write_outbox(tenant, stream, entries))
                    if len(entries) < self.batch_size:
                        await asyncio.sleep(LINGER_S)
                if failures:
                    log.warning("history database reachable again: the archive catches up", extra={"tenant": tenant})
                failures = 0
                self.health.database, self.health.error = "ok", ""
            except asyncio.CancelledError:
                raise
            # InternalClientError: the server died in the middle of a commit (asyncpg's protocol state is
            # left inconsistent; the pool drops that connection) — a database error like the others
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError, TimeoutError,
                    RedisError) as err:
                if failures == 0:
                    log.error("archive write failed; retrying the same entries", extra={"tenant": tenant, "error": str(err)})
                if not isinstance(err, RedisError):
                    self.health.database, self.health.error = "unreachable", type(err).__name__
                await asyncio.sleep(RETRY_S[min(failures, len(RETRY_S) - 1)])
                failures += 1

    async def _own_pending(self, stream: str) -> Entries:
        reply = await self.redis.xreadgroup(GROUP, self.consumer, {stream: "0"}, count=self.batch_size)
        return [(i, f) for i, f in _entries(reply) if f]  # an entry deleted meanwhile comes back empty

    async def _claim(self, stream: str) -> Entries:
        reply = await self.redis.xautoclaim(stream, GROUP, self.consumer, self.claim_idle_ms, "0-0", count=self.batch_size)
        claimed = replies.entries(reply[1]) if reply and len(reply) > 1 else []
        return [(i, f) for i, f in claimed if f]

    async def _read_new(self, stream: str) -> Entries:
        reply = await self.redis.xreadgroup(GROUP, self.consumer, {stream: ">"}, count=self.batch_size, block=BLOCK_MS)
        return _entries(reply)

    # --- one batch ----------------------------------------------------------------------------
    async def _write_outbox(self, tenant: str, stream: str, entries: Entries) -> None:
        keys = TenantKeys(tenant)
        conv_ids = sorted({f["c"] for _, f in entries if f.get("k") in ("conv", "msg") and f.get("c")})
        msgs = sorted({(f["c"], int(f["s"])) for _, f in entries if f.get("k") == "msg" and f.get("s")})
        contact_ids = sorted({f["id"] for _, f in entries if f.get("k") == "contact" and f.get("id")}
                             | {m for _, f in entries if f.get("k") == "contact" for m in f.get("merged", "").split(",") if m})
        got = await runner(self.redis).call(
            ARCHIVE_GATHER,
            keys=[*(keys.conv(cid) for cid in conv_ids), *(keys.conv_messages(cid) for cid, _ in msgs),
                  *(keys.contact(c) for c in contact_ids), *(keys.contact_identities(c) for c in contact_ids)],
            args=[len(conv_ids), len(msgs), len(contact_ids), *(seq for _, seq in msgs)],
        )
        convs = {cid: replies.flat_fields(raw) for cid, raw in zip(conv_ids, got[:len(conv_ids)], strict=True)}
        found = got[len(conv_ids):len(conv_ids) + len(msgs)]
        contact_raw = got[len(conv_ids) + len(msgs):]

        conv_rows = [rows.conversation_row(tenant, cid, raw) for cid, raw in convs.items() if raw]
        msg_rows, file_rows = [], []
        for (cid, seq), entry in zip(msgs, found, strict=True):
            if not entry:  # gone (purged): nothing left to archive
                continue
            fields = replies.flat_fields(entry)
            msg_rows.append(rows.message_row(tenant, cid, seq, fields, convs.get(cid, {}).get("language", "")))
            file_rows += rows.attachment_rows(tenant, cid, seq, fields)
        contact_rows, ident_rows = [], []
        for i, contact_id in enumerate(contact_ids):
            raw, idents = replies.flat_fields(contact_raw[2 * i]), replies.texts(contact_raw[2 * i + 1])
            if raw:
                contact_rows.append(rows.contact_row(tenant, contact_id, raw))
                if not raw.get("merged_into"):
                    ident_rows += rows.identity_rows(tenant, contact_id, sorted(idents))
        audit_rows = [rows.audit_row(tenant, f) for _, f in entries if f.get("k") == "audit" and f.get("archive_id")]

        async with self.pool.acquire() as conn, conn.transaction():
            for sql, batch in ((rows.UPSERT_CONVERSATION, conv_rows), (rows.UPSERT_MESSAGE, msg_rows),
                               (rows.UPSERT_ATTACHMENT, file_rows), (rows.UPSERT_CONTACT, contact_rows),
                               (rows.UPSERT_IDENTITY, ident_rows), (rows.INSERT_AUDIT, audit_rows)):
                if batch:
                    await conn.executemany(sql, batch)
        await self._committed(len(entries))
        archived_ov: dict[str, int] = {}
        for _, f in entries:
            if f.get("c") and f.get("ov"):
                archived_ov[f["c"]] = max(archived_ov.get(f["c"], 0), int(f["ov"]))
        ids = [i for i, _ in entries]
        await runner(self.redis).call(
            ARCHIVE_ACK, keys=[stream, *(keys.conv(c) for c in archived_ov)],
            args=[GROUP, len(ids), *ids, *archived_ov.values()],
        )
        self.health.archived += len(entries)

    async def _write_events(self, tenant: str, stream: str, entries: Entries) -> None:
        batch = [rows.acd_event_row(tenant, i, f) for i, f in entries]
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.executemany(rows.INSERT_ACD_EVENT, batch)
        await self._committed(len(entries))
        # the ACD's log stays as it is (its statistics replay it; it trims itself): acknowledge only
        await self.redis.xack(stream, GROUP, *[i for i, _ in entries])
        self.health.archived += len(entries)

    async def _committed(self, count: int) -> None:
        if self.on_batch is not None:
            result = self.on_batch(count)
            if result is not None:
                await result


def _entries(reply: Any) -> Entries:
    """XREADGROUP's reply for one stream (RESP2: ``[[name, [(id, fields), …]]]``) as its entries;
    an entry deleted while pending comes back with no fields."""
    if not reply:
        return []
    return [(entry_id, dict(fields or {})) for entry_id, fields in reply[0][1]]


async def lag(redis: Redis, tenant: str) -> tuple[float, int]:
    """(age in seconds of the oldest entry not yet archived, how many there are) for one tenant."""
    outbox, events = TenantKeys(tenant).archive(), AcdKeys(tenant).events()
    now_ms = time.time() * 1000
    async with redis.pipeline(transaction=False) as pipe:
        pipe.xlen(outbox)
        pipe.xrange(outbox, count=1)
        pipe.xpending(events, GROUP)
        pipe.xinfo_groups(events)
        try:
            count, first, pending, groups = await pipe.execute()
        except ResponseError:  # no group yet (nothing archived yet on this Redis)
            return 0.0, 0
    oldest = [int(i.split("-")[0]) for i, _ in replies.entries(first)]
    waiting = int(count)
    if pending and pending.get("pending"):
        waiting += int(pending["pending"])
        oldest.append(int(str(pending["min"]).split("-")[0]))
    ours = next((g for g in groups if g.get("name") == GROUP), None)
    if ours is not None:
        undelivered = replies.entries(await redis.xrange(events, min=f"({ours['last-delivered-id']}", count=1000))
        waiting += len(undelivered)
        oldest += [int(i.split("-")[0]) for i, _ in undelivered[:1]]
    age = max(0.0, (now_ms - min(oldest)) / 1000) if oldest else 0.0
    return age, waiting

