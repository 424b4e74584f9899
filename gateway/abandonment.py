"""Visitors who leave while waiting: after a grace period with no open tab, the conversation is
abandoned (the ACD counts it, no agent is offered someone who has gone).

A reload, a second tab or a network loss shorter than ``widget.abandon_after_s`` changes nothing.
A tab that closes is recorded with the others closing about then (gateway/sockets/departures.py): the
last tab of a visitor whose conversation still waits starts the grace period.
Each tab is also kept in its gateway node's set: the tabs of a node that died (kill -9, a lost machine)
are recorded as closed by the other nodes once its ACD lease has run out (gateway/sockets/dead_node_tabs.py).
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

TABS_TTL_S = 24 * 3600  # a visitor's and a node's set of open tabs, renewed by each tab that opens


async def visitor_wrote(redis: Redis, keys: TenantKeys, visitor_id: str, ttl_s: int) -> None:
    """The visitor opened a conversation: remember them (and their tabs) for the full lifetime."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.expire(keys.visitor(visitor_id), ttl_s)
        pipe.expire(keys.visitor_sockets(visitor_id), TABS_TTL_S)
        await pipe.execute()


def tab_member(visitor_id: str, sid: str) -> str:
    """A tab in its node's set (``node_tabs``; gateway/store/lua/visitor_connect.lua writes it the same way)."""
    return f"{visitor_id}|{sid}"


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
