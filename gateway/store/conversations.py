"""Conversations: one hash each, indexed per contact and in the tenant's open set."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, fields
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from acd import replies
from acd.lua_runner import runner
from gateway.history.reader import reader_for
from gateway.keys import TenantKeys
from gateway.store.ids import new_id
from gateway.store.scripts import store_script

STATES = ("queued", "offered", "assigned", "closed")
CLOSE_CONVERSATION = store_script("close_conversation")
UPDATE_CONVERSATION = store_script("update_conversation")


@dataclass(slots=True)
class Conversation:
    id: str
    tenant: str
    channel: str  # channel id from the config ("web", "telegram", …)
    channel_type: str  # widget | telegram | whatsapp | messenger | slack | email
    work_channel: str  # chat | messaging | email | voice (what the ACD routes it as)
    contact_id: str
    state: str = "queued"
    topic: str = ""
    queue: str = ""
    language: str = ""
    agent_id: str = ""
    visitor_id: str = ""
    external_id: str = ""  # platform chat/thread id for bridged channels
    created_at: float = 0.0
    updated_at: float = 0.0
    assigned_at: float = 0.0
    closed_at: float = 0.0
    close_reason: str = ""
    seq: int = 0
    linked_to: str = ""  # email: the conversation this one answered (another sender, or a continuation)

    def to_wire(self) -> dict[str, Any]:
        return asdict(self)


_FLOATS = {"created_at", "updated_at", "assigned_at", "closed_at"}
_INTS = {"seq"}
_NAMES = {f.name for f in fields(Conversation)}


def _decode(raw: dict[str, str]) -> Conversation:
    values: dict[str, Any] = {}
    for k, v in raw.items():
        if k not in _NAMES:
            continue
        values[k] = float(v or 0) if k in _FLOATS else int(v or 0) if k in _INTS else v
    return Conversation(**values)


async def create_conversation(
    redis: Redis,
    keys: TenantKeys,
    *,
    channel: str,
    channel_type: str,
    work_channel: str,
    contact_id: str,
    topic: str,
    queue: str,
    language: str,
    visitor_id: str = "",
    external_id: str = "",
    pointer: str = "",
    now: float | None = None,
) -> Conversation:
    """Create an open conversation (state ``queued``) and index it; ``pointer`` names the hash whose
    ``conversation_id`` leads the customer back to it (the visitor's, a platform chat's)."""
    now = time.time() if now is None else now
    conv = Conversation(
        id=new_id("c"), tenant=keys.tenant, channel=channel, channel_type=channel_type,
        work_channel=work_channel, contact_id=contact_id, topic=topic, queue=queue, language=language,
        visitor_id=visitor_id, external_id=external_id, created_at=now, updated_at=now,
    )
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hset(keys.conv(conv.id), mapping={**{k: str(v) for k, v in asdict(conv).items()}, "ov": "1"})
        pipe.xadd(keys.archive(), {"k": "conv", "c": conv.id, "ov": "1"})  # to PostgreSQL (gateway/history)
        pipe.zadd(keys.convs_open(), {conv.id: now})
        pipe.zadd(keys.contact_convs(contact_id), {conv.id: now})
        if pointer:
            pipe.hset(pointer, "conversation_id", conv.id)
        await pipe.execute()
    return conv


async def get_conversation(redis: Redis, keys: TenantKeys, conversation_id: str) -> Conversation | None:
    """The conversation, or None (also when the id names a key of another type)."""
    try:
        raw = replies.fields(await redis.hgetall(keys.conv(conversation_id)))
    except ResponseError as err:
        if "WRONGTYPE" in str(err):
            return None
        raise
    if not raw and (history := reader_for(redis)) is not None:  # closed, archived and evicted from Redis
        raw = await history.conversation(keys.tenant, conversation_id) or {}
    return _decode(raw) if raw else None


async def update_conversation(redis: Redis, keys: TenantKeys, conversation_id: str, **changes: Any) -> None:
    """Set fields of an existing conversation (never creates one)."""
    changes.setdefault("updated_at", time.time())
    flat = [str(x) for k, v in changes.items() for x in (k, v)]
    await runner(redis).call(UPDATE_CONVERSATION, keys=[keys.conv(conversation_id), keys.archive()],
                             args=[conversation_id, *flat])


async def close_conversation(
    redis: Redis, keys: TenantKeys, conversation_id: str, reason: str, now: float | None = None
) -> bool:
    """Finish a conversation (closed, out of the open index); True only for the one caller that did."""
    now = time.time() if now is None else now
    done = await runner(redis).call(
        CLOSE_CONVERSATION,
        keys=[keys.conv(conversation_id), keys.convs_open(), keys.archive(), keys.archive_closed()],
        args=[conversation_id, repr(now), reason],
    )
    return bool(done)


async def conversations_of_contact(redis: Redis, keys: TenantKeys, contact_id: str, limit: int = 100) -> list[Conversation]:
    """The contact's conversations on every channel, newest first (the evicted ones from the history)."""
    ids = replies.texts(await redis.zrevrange(keys.contact_convs(contact_id), 0, limit - 1))
    async with redis.pipeline(transaction=False) as pipe:
        for cid in ids:
            pipe.hgetall(keys.conv(cid))
        rows = await pipe.execute()
    live = [_decode(r) for r in rows if r]
    if (history := reader_for(redis)) is None or len(live) >= limit:
        return live
    seen = {c.id for c in live}
    archived = [_decode(r) for r in await history.conversations_of_contact(keys.tenant, contact_id, limit)]
    merged = live + [c for c in archived if c.id not in seen]
    return sorted(merged, key=lambda c: c.created_at, reverse=True)[:limit]


async def open_conversations(redis: Redis, keys: TenantKeys, limit: int | None = None) -> list[Conversation]:
    """Every conversation not closed (the oldest ``limit`` of them), oldest first."""
    ids = replies.texts(await redis.zrange(keys.convs_open(), 0, -1 if limit is None else limit - 1))
    async with redis.pipeline(transaction=False) as pipe:
        for cid in ids:
            pipe.hgetall(keys.conv(cid))
        rows = await pipe.execute()
    return [_decode(r) for r in rows if r]
