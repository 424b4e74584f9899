"""A fixed-window rate limit in Redis, shared by every gateway process."""

from __future__ import annotations

import time

from redis.asyncio import Redis

from gateway.keys import TenantKeys


async def allow(redis: Redis, keys: TenantKeys, subject: str, limit: int, window_s: int) -> bool:
    """True while ``subject`` stays within ``limit`` events per ``window_s`` seconds."""
    window = int(time.time() // window_s)
    key = keys.rate(subject, window)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, window_s * 2)
        count, _ = await pipe.execute()
    return int(count) <= limit
