"""Visitors who leave while waiting: after a grace period with no open tab, the conversation is
abandoned (the ACD counts it, no agent is offered someone who has gone).

A reload, a second tab or a network loss shorter than ``widget.abandon_after_s`` changes nothing.
If a gateway process dies, its sockets are never removed from the set: such a visitor is simply
not abandoned (the safe side: an agent may still answer, and the visitor sees it on return).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from redis.asyncio import Redis

from acd import replies
from gateway.keys import TenantKeys
from gateway.store.conversations import get_conversation

if TYPE_CHECKING:
    from gateway.services import Services

log = logging.getLogger(__name__)

_SOCKETS_TTL_S = 24 * 3600


async def visitor_wrote(redis: Redis, keys: TenantKeys, visitor_id: str, ttl_s: int) -> None:
    """The visitor opened a conversation: remember them (and their tabs) for the full lifetime."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.expire(keys.visitor(visitor_id), ttl_s)
        pipe.expire(keys.visitor_sockets(visitor_id), _SOCKETS_TTL_S)
        await pipe.execute()


async def visitor_arrived(
    redis: Redis, keys: TenantKeys, visitor_id: str, sid: str, conversation_id: str | None, ttl_s: int = _SOCKETS_TTL_S
) -> int:
    """A tab opened: remember it (for ``ttl_s`` at most), and call off a pending abandonment.
    Returns how many tabs the visitor has open now (1: they came back)."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.sadd(keys.visitor_sockets(visitor_id), sid)
        pipe.scard(keys.visitor_sockets(visitor_id))
        pipe.expire(keys.visitor_sockets(visitor_id), ttl_s)
        if conversation_id:
            pipe.zrem(keys.abandon_due(), conversation_id)
        tabs = (await pipe.execute())[1]
    return int(tabs)


async def visitor_left(
    redis: Redis, keys: TenantKeys, visitor_id: str, sid: str, conversation_id: str | None, grace_s: float
) -> int:
    """A tab closed: when it was the last one and the conversation still waits, start the grace period.
    Returns how many tabs the visitor still has open (0: they left)."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.srem(keys.visitor_sockets(visitor_id), sid)
        pipe.scard(keys.visitor_sockets(visitor_id))
        pipe.hget(keys.conv(conversation_id), "state") if conversation_id else pipe.echo("")
        _, left, state = await pipe.execute()
    if conversation_id and left == 0 and state in ("queued", "offered"):
        await redis.zadd(keys.abandon_due(), {conversation_id: time.time() + grace_s})
    return int(left)


async def due_abandonments(redis: Redis, keys: TenantKeys, now: float) -> list[str]:
    """Conversations whose grace period is over, each handed to exactly one caller."""
    due = replies.texts(await redis.zrangebyscore(keys.abandon_due(), "-inf", now, start=0, num=100))
    mine = []
    for cid in due:
        if await redis.zrem(keys.abandon_due(), cid):  # whoever removes it, owns it
            mine.append(cid)
    return mine


async def close_abandoned(ctx: Services) -> None:
    """Close waiting conversations whose visitor has had no tab open for the grace period."""
    from gateway.conversations.closing import end_conversation

    now = time.time()
    for tenant in ctx.config.tenants:
        keys = TenantKeys(tenant)
        for cid in await due_abandonments(ctx.redis, keys, now):
            conv = await get_conversation(ctx.redis, keys, cid)
            if conv is None or conv.state not in ("queued", "offered"):
                continue
            if await ctx.redis.scard(keys.visitor_sockets(conv.visitor_id)):
                continue  # came back in the meantime
            log.info("visitor left while waiting", extra={"conversation": cid})
            await end_conversation(ctx, tenant, conv, reason="abandoned")
