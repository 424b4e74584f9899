"""What became of agents' messages on a messenger (sent, delivered, read, failed with the platform's
reason, held while the channel's credentials are refused), applied monotonically; and the map from a
platform's message id back to our message, so a platform's status finds its message."""

from __future__ import annotations

import time
from dataclasses import dataclass

from redis.asyncio import Redis

from acd import replies
from acd.lua_runner import runner
from gateway.keys import TenantKeys
from gateway.store.scripts import store_script

SET_STATUS = store_script("set_status")
PLATFORM_ID_TTL_S = 30 * 24 * 3600  # statuses arrive within days; edits and reactions within weeks


@dataclass(frozen=True, slots=True)
class Status:
    status: str
    reason: str = ""


async def set_status(
    redis: Redis, keys: TenantKeys, conversation_id: str, seq: int | None, status: str,
    reason: str = "", ts: float | None = None,
) -> list[int]:
    """Apply a status to message ``seq`` (None: a read watermark at ``ts``); the seqs that changed."""
    ts = time.time() if ts is None else ts
    changed = await runner(redis).call(
        SET_STATUS, keys=[keys.conv_statuses(conversation_id)],
        args=["" if seq is None else str(seq), status, reason.replace("|", "/")[:500], repr(ts)],
    )
    return [int(s) for s in changed]


async def statuses(redis: Redis, keys: TenantKeys, conversation_id: str) -> dict[int, Status]:
    """Every status of the conversation's messages, by seq."""
    raw = replies.fields(await redis.hgetall(keys.conv_statuses(conversation_id)))
    out = {}
    for seq, value in raw.items():
        status, _, reason = value.split("|", 2)
        out[int(seq)] = Status(status, reason)
    return out


async def remember_platform_id(redis: Redis, keys: TenantKeys, channel: str, platform_id: str, message_id: str) -> None:
    """The platform's id of one of our messages (``message_id`` is ``<conversation>:<seq>``)."""
    await redis.set(keys.platform_message(channel, platform_id), message_id, ex=PLATFORM_ID_TTL_S)


async def our_message(redis: Redis, keys: TenantKeys, channel: str, platform_id: str) -> tuple[str, int] | None:
    """(conversation id, seq) of the message the platform knows as ``platform_id``."""
    found = replies.maybe_text(await redis.get(keys.platform_message(channel, platform_id))) if platform_id else None
    if not found or ":" not in found:
        return None
    cid, seq = found.rsplit(":", 1)
    return cid, int(seq)
