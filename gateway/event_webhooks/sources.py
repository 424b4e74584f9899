"""The two event types no stream carried before: channel health and SLA breaches. Each is appended to
the archive outbox as a ``k=event`` record in the same Lua step as its cause (and only while the
tenant has subscriptions, so a tenant without any writes exactly what it wrote before)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from acd import replies
from acd.keys import AcdKeys
from acd.lua_runner import LuaScript, runner
from gateway.config.schema import TenantConfig
from gateway.keys import TenantKeys

HEALTH = LuaScript.from_file(Path(__file__).parent / "lua" / "health.lua")
SLA = LuaScript.from_file(Path(__file__).parent / "lua" / "sla.lua")


async def set_health(redis: Redis, tenant: str, channel: str, state: str) -> bool:
    """Record a channel's run-time state ('' = ok); True when it changed."""
    keys = TenantKeys(tenant)
    return bool(await runner(redis).call(HEALTH, keys=[keys.channel_health(), keys.hook_subs(), keys.archive()],
                                         args=[channel, state]))


async def note_sla_breaches(redis: Redis, tenant: str, config: TenantConfig, now: float | None = None) -> int:
    """Record every waiting task of the tenant that has just passed its queue's threshold; how many."""
    keys, acd = TenantKeys(tenant), AcdKeys(tenant)
    if not await redis.scard(keys.hook_subs()):
        return 0
    now = time.time() if now is None else now
    recorded = 0
    for qid, queue in config.queues.items():
        late: list[Any] = await redis.zrangebyscore(acd.queue_enqueued(qid), "-inf", now - queue.sla_threshold_s,
                                                    withscores=True)
        for raw_tid, enq in late:
            tid = replies.maybe_text(raw_tid) or ""
            recorded += int(await runner(redis).call(
                SLA, keys=[acd.task(tid), keys.archive(), keys.hook_subs()],
                args=[tid, qid, repr(queue.sla_threshold_s), repr(round(now - float(enq), 3))]))
    return recorded
