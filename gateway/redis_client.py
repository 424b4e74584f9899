"""The Redis client every part of omnirelay uses: a bounded, blocking connection pool."""

from __future__ import annotations

import redis.asyncio as aioredis


def connect(url: str, *, max_connections: int = 64, decode_responses: bool = True) -> aioredis.Redis:
    """A client whose pool waits for a free connection (up to 10 s) instead of failing at a burst."""
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=10,
        decode_responses=decode_responses,
        health_check_interval=30,
        socket_connect_timeout=5,
    )
    return aioredis.Redis.from_pool(pool)  # the client owns the pool: aclose() closes it
