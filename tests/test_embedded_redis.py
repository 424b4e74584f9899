"""The embedded redis-server: starts, persists with AOF, refuses a data dir already in use."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis

from gateway.embedded_redis import EmbeddedRedis, EmbeddedRedisError


async def test_data_survives_restart_with_aof(tmp_path):
    server = EmbeddedRedis(tmp_path)
    url = await server.start()
    client = aioredis.Redis.from_url(url)
    await client.set("k", "kept")
    await client.aclose()
    await server.stop()
    assert (tmp_path / "appendonlydir").exists() or (tmp_path / "appendonly.aof").exists()

    again = EmbeddedRedis(tmp_path)
    url = await again.start()
    client = aioredis.Redis.from_url(url)
    assert await client.get("k") == b"kept"
    await client.aclose()
    await again.stop()


async def test_second_server_on_same_data_dir_is_refused(tmp_path):
    server = EmbeddedRedis(tmp_path)
    await server.start()
    try:
        with pytest.raises(EmbeddedRedisError, match="already serves"):
            await EmbeddedRedis(tmp_path).start()
    finally:
        await server.stop()
