"""A burst that needs more Redis connections than the pool holds waits for one instead of failing
("Too many connections"): bench/relay.py at 2,000 conversations refused messages and dropped emits."""

from __future__ import annotations

import asyncio

from gateway.redis_client import connect


async def test_a_burst_beyond_the_pool_waits_for_a_connection(redis, redis_url):
    client = connect(redis_url, max_connections=2)
    try:
        # eight commands that each hold a connection for 0.2 s, on a pool of two
        done = await asyncio.gather(*(client.blpop([f"nothing:{i}"], timeout=0.2) for i in range(8)),
                                    return_exceptions=True)
        assert done == [None] * 8
    finally:
        await client.aclose()
