"""Read-through to the history database for what has left Redis (an evicted closed conversation).

The store (gateway/store) asks ``reader_for(redis)`` — the reader attached to that Redis client by
the app, or None when the gateway runs without a history database — so the store's functions keep
their signatures. Rows come back as the Redis fields the store already decodes."""

from __future__ import annotations

import weakref

import asyncpg
from redis.asyncio import Redis

from gateway.history.rows import conversation_fields, message_fields


class HistoryReader:
    """Queries of archived conversations and messages, one tenant per call."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def conversation(self, tenant: str, cid: str) -> dict[str, str] | None:
        row = await self.pool.fetchrow("SELECT * FROM conversations WHERE tenant = $1 AND id = $2", tenant, cid)
        return conversation_fields(row) if row else None

    async def messages(self, tenant: str, cid: str, after_seq: int, limit: int, newest: bool = False
                       ) -> list[tuple[str, dict[str, str]]]:
        """(stream entry id, fields) of the messages after ``after_seq``, in order (``newest``: the last only)."""
        order = "DESC" if newest else "ASC"
        rows = await self.pool.fetch(
            f"SELECT * FROM messages WHERE tenant = $1 AND conversation_id = $2 AND seq > $3 ORDER BY seq {order} LIMIT $4",
            tenant, cid, after_seq, limit,
        )
        return [(f"{r['seq']}-0", message_fields(r)) for r in rows]

    async def conversations_of_contact(self, tenant: str, contact_id: str, limit: int) -> list[dict[str, str]]:
        """The contact's archived conversations (also under contacts merged into it), newest first."""
        rows = await self.pool.fetch(
            """
            WITH RECURSIVE ids(id) AS (
                SELECT $2::text
                UNION SELECT c.id FROM contacts c JOIN ids ON c.tenant = $1 AND c.merged_into = ids.id
            )
            SELECT * FROM conversations WHERE tenant = $1 AND contact_id IN (SELECT id FROM ids)
            ORDER BY created_at DESC LIMIT $3
            """,
            tenant, contact_id, limit,
        )
        return [conversation_fields(r) for r in rows]


_READERS: weakref.WeakKeyDictionary[Redis, HistoryReader] = weakref.WeakKeyDictionary()


def attach(redis: Redis, reader: HistoryReader) -> None:
    _READERS[redis] = reader


def detach(redis: Redis) -> None:
    _READERS.pop(redis, None)


def reader_for(redis: Redis) -> HistoryReader | None:
    """The history reader of this Redis client's gateway (None: no history database)."""
    return _READERS.get(redis)
