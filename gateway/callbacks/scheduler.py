"""When a callback is due (inside business hours) it becomes a ``voice`` task in the ACD.

Any gateway process runs the loop: a callback is taken off the due list with a lease (its score
moves past the lease), so two processes never start the same attempt, and a process that dies
mid-way leaves it to be taken again once the lease is over. Each attempt is its own ACD task,
``cb_<callback id>_<n>``, so the chat conversation's own task is untouched.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from aiohttp import web
from redis.asyncio import Redis

from acd.lua_runner import runner
from gateway import appkeys as K
from gateway.callbacks.figures import tenant_zone
from gateway.callbacks.records import Callback, end_callback, get_callback, record_attempt
from gateway.callbacks.scripts import TAKE
from gateway.hours.schedule import hours_for, next_open, open_for
from gateway.keys import TenantKeys
from gateway.services import Services
from gateway.store.conversations import get_conversation

CHECK_S = 0.5  # how often due callbacks are looked for (a due time is honoured within this)
LEASE_S = 30.0  # a taken callback comes back to the list after this, should its process die
BATCH = 20  # callbacks started per tenant and check
CLOSED_RETRY_S = 3600.0  # hours that never open again: look once an hour (the config may change)


def attempt_task_id(callback_id: str, n: int) -> str:
    return f"cb_{callback_id}_{n}"


def callback_of_task(task_id: str) -> tuple[str, int] | None:
    """(callback id, attempt number) of a callback attempt's task id; None for any other task."""
    parts = task_id.split("_")
    if len(parts) != 3 or parts[0] != "cb" or not parts[2].isdigit():
        return None
    return parts[1], int(parts[2])


async def _take(redis: Redis, keys: TenantKeys, callback_id: str, now: float) -> bool:
    """Lease one due callback (its score moves to now + LEASE_S); False when another process has it."""
    return bool(await runner(redis).call(TAKE, keys=[keys.callbacks_due()], args=[callback_id, repr(now), repr(now + LEASE_S)]))


async def start_due(ctx: Services) -> None:
    """Start an attempt for every callback that is due now (one check of the loop)."""
    now = time.time()
    for tenant in ctx.config.tenants:
        keys = TenantKeys(tenant)
        for raw in await ctx.redis.zrangebyscore(keys.callbacks_due(), "-inf", now, start=0, num=BATCH):
            callback_id = raw.decode() if isinstance(raw, bytes) else str(raw)
            if await _take(ctx.redis, keys, callback_id, now):
                cb = await get_callback(ctx.redis, keys, callback_id)
                if cb is None or cb.state != "scheduled":
                    await ctx.redis.zrem(keys.callbacks_due(), callback_id)
                    continue
                await start_attempt(ctx, keys, cb, now)


async def start_attempt(ctx: Services, keys: TenantKeys, cb: Callback, now: float) -> None:
    """Queue the next attempt as a voice task, or put it off until the queue's hours open."""
    at = datetime.fromtimestamp(now, UTC)
    if not open_for(ctx.config, keys.tenant, cb.queue, at):
        opening = next_open(hours_for(ctx.config, keys.tenant, cb.queue), at)
        when = opening.timestamp() if opening else now + CLOSED_RETRY_S
        await ctx.redis.zadd(keys.callbacks_due(), {cb.id: when})
        await ctx.redis.hset(keys.callback(cb.id), "due", str(when))
        return
    conv = await get_conversation(ctx.redis, keys, cb.conversation_id)
    if conv is None:  # purged by retention: nobody to call back for
        await end_callback(ctx.redis, keys, cb, "failed", zone=tenant_zone(ctx.config.tenants[keys.tenant]))
        return
    # an attempt already under way (its process died before the submit) is resubmitted, not renumbered
    n = int(cb.task_id.rsplit("_", 1)[1]) if cb.in_attempt and cb.task_id else cb.attempts + 1
    task_id = attempt_task_id(cb.id, n)
    if not cb.in_attempt:
        await record_attempt(ctx.redis, keys, cb.id, n, task_id, now)
    await ctx.router.submit(conv, task_id=task_id, channel="voice", extra_meta={
        "conversation_id": conv.id, "callback": {"id": cb.id, "phone": cb.phone, "attempt": n},
    })
    await ctx.redis.zrem(keys.callbacks_due(), cb.id)


async def callbacks_ctx(app: web.Application) -> AsyncIterator[None]:
    """The due-callbacks loop of this process (cleanup_ctx: after the routing and timers)."""
    task = app[K.BACKGROUND].every("callbacks-due", CHECK_S, lambda: start_due(app[K.SERVICES]))
    yield
    task.cancel()
