"""One record per file (a customer's, fetched from a platform, or an upload): a Redis hash
``t:{tenant}:media:<id>`` that says what the file is and how far it got, and what people are shown."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from redis.asyncio import Redis

from acd import replies
from gateway.keys import TenantKeys
from gateway.rooms import agent_room
from gateway.services import Services

KINDS = ("image", "audio", "video", "file", "sticker")
STATES = ("pending", "ready", "failed", "too_large")
AUTHORS = ("visitor", "agent", "customer")


@dataclass(frozen=True, slots=True)
class MediaRecord:
    id: str  # a_<16 hex>
    tenant: str
    conversation_id: str
    kind: str  # image | audio | video | file | sticker
    state: str  # pending | ready | failed | too_large
    by: str  # visitor | agent | customer
    channel: str  # the configured channel it came through ("web" for the widget)
    name: str = ""
    mime: str = ""  # the sniffed type once ready; the platform's claim while pending
    size: int = 0  # bytes stored once ready; the platform's claim (0 = unknown) before
    reason: str = ""  # why it failed, or why it is still pending (the last fetch error)
    ref: str = ""  # the platform's file id or URL (never shown to browsers: it may carry a token)
    seq: int = 0  # the message carrying it (0 until that message is stored)
    created_at: float = 0.0
    attempts: int = 0  # fetches that came back "not ready"

    def wire(self) -> dict[str, Any]:
        """What front ends see of it (in a message's ``attachments``)."""
        return {"id": self.id, "kind": self.kind, "name": self.name, "mime": self.mime, "size": self.size,
                "state": self.state}

    def wire_with_reason(self) -> dict[str, Any]:
        return {**self.wire(), "reason": self.reason}


_INTS = {"seq", "size", "attempts"}
_FLOATS = {"created_at"}
_NAMES = {f.name for f in fields(MediaRecord)}


def _encode(values: dict[str, Any]) -> dict[str, str]:
    return {k: repr(v) if isinstance(v, float) else str(v) for k, v in values.items() if k != "tenant"}


def record_fields(record: MediaRecord) -> dict[str, str]:
    """The hash fields of a record (for writing it inside a caller's transaction)."""
    return _encode(asdict(record))


async def save_record(redis: Redis, record: MediaRecord) -> None:
    await redis.hset(TenantKeys(record.tenant).media(record.id), mapping=replies.mapping(record_fields(record)))


async def get_record(redis: Redis, tenant: str, media_id: str) -> MediaRecord | None:
    raw = replies.fields(await redis.hgetall(TenantKeys(tenant).media(media_id)))
    if not raw.get("id"):
        return None
    values: dict[str, Any] = {"tenant": tenant}
    for k, v in raw.items():
        if k in _NAMES and k != "tenant":
            values[k] = int(v or 0) if k in _INTS else float(v or 0) if k in _FLOATS else v
    return MediaRecord(**values)


async def update_record(redis: Redis, record: MediaRecord, **changes: Any) -> MediaRecord:
    """The record with ``changes`` stored (only those fields are written, so a concurrent
    ``set_message_seq`` is never undone)."""
    await redis.hset(TenantKeys(record.tenant).media(record.id), mapping=replies.mapping(_encode(changes)))
    return replace(record, **changes)


async def delete_record(redis: Redis, tenant: str, media_id: str) -> None:
    await redis.delete(TenantKeys(tenant).media(media_id))


async def set_message_seq(redis: Redis, tenant: str, media_ids: list[str], seq: int, *,
                          conversation_id: str = "") -> None:
    """Tie files to the message that carries them, once it is stored (and to its conversation, when
    that was not known at registration)."""
    keys = TenantKeys(tenant)
    changes = {"seq": str(seq), **({"conversation_id": conversation_id} if conversation_id else {})}
    async with redis.pipeline(transaction=False) as pipe:
        for media_id in media_ids:
            pipe.hset(keys.media(media_id), mapping=replies.mapping(changes))
        await pipe.execute()


async def announce(svc: Services, record: MediaRecord) -> None:
    """Tell the agent holding the conversation what became of a file:
    ``attachment {conversation_id, seq, media}`` on /agent."""
    record = await get_record(svc.redis, record.tenant, record.id) or record  # seq may have come since
    if not record.conversation_id:
        return
    keys = TenantKeys(record.tenant)
    agent_id = replies.maybe_text(await svc.redis.hget(keys.conv(record.conversation_id), "agent_id"))
    if agent_id:
        await svc.sio.emit("attachment", {
            "conversation_id": record.conversation_id, "seq": record.seq or None, "media": record.wire_with_reason(),
        }, room=agent_room(record.tenant, agent_id), namespace="/agent")
