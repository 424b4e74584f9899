"""A rate limit in Redis, shared by every gateway process.

A sliding-window counter: the count of the current fixed window plus the previous window's count,
weighted by how much of it still lies within the last ``window_s`` seconds. A plain fixed window
lets a client spend its allowance twice around a window boundary (e.g. 20 logins in two seconds
under a limit of 10 a minute); this one does not, and still costs one counter per window.
"""

from __future__ import annotations

import time

from redis.asyncio import Redis

from gateway.keys import TenantKeys


async def allow(redis: Redis, keys: TenantKeys, subject: str, limit: int, window_s: int, now: float | None = None) -> bool:
    """True while ``subject`` stays within ``limit`` events per ``window_s`` seconds (this event counted)."""
    return await wait_s(redis, keys, subject, limit, window_s, now) == 0.0


async def wait_s(redis: Redis, keys: TenantKeys, subject: str, limit: int, window_s: int, now: float | None = None) -> float:
    """0.0 while ``subject`` stays within ``limit`` events per ``window_s`` seconds (this event counted);
    else how long until the next event would be allowed again (for ``Retry-After``)."""
    window, into = divmod(time.time() if now is None else now, window_s)
    window = int(window)
    key = keys.rate(subject, window)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, window_s * 2)
        pipe.get(keys.rate(subject, window - 1))
        count, _, previous = await pipe.execute()
    count, previous = int(count), int(previous or 0)
    weight = 1.0 - into / window_s
    if count + previous * weight <= limit:
        return 0.0
    if count > limit:  # this window alone is over: the next one starts with it as its previous
        left = window_s - into
        return left + window_s * max(0.0, 1.0 - limit / count)
    # the previous window's share shrinks as time passes: until count + previous * weight <= limit
    return max(window_s * (1.0 - (limit - count) / previous) - into, 0.001)
