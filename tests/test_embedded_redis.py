"""The embedded redis-server: persists with AOF, private files, a memory cap, restarted when it dies."""

from __future__ import annotations

import asyncio
import os
import signal
import stat

import pytest
import redis.asyncio as aioredis
from aiohttp.test_utils import TestServer
from lifecycle_helpers import DEMO_CONFIG

from gateway import embedded_redis
from gateway.app import create_app
from gateway.config import ConfigError
from gateway.config.loader import load_config_text
from gateway.embedded_redis import EmbeddedRedis, EmbeddedRedisError, check_maxmemory


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def _wait_until(predicate, timeout: float = 15.0) -> None:
    async with asyncio.timeout(timeout):
        while True:
            if await predicate():
                return
            await asyncio.sleep(0.1)


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


async def test_second_server_on_same_data_dir_is_refused_after_waiting(tmp_path):
    server = EmbeddedRedis(tmp_path)
    await server.start()
    try:
        with pytest.raises(EmbeddedRedisError, match="already serves"):
            await EmbeddedRedis(tmp_path, wait_for_other_s=0.5).start()
    finally:
        await server.stop()


async def test_second_server_starts_once_the_first_has_stopped(tmp_path):
    first = EmbeddedRedis(tmp_path)
    await first.start()
    second = EmbeddedRedis(tmp_path, wait_for_other_s=10)
    starting = asyncio.ensure_future(second.start())
    await asyncio.sleep(0.5)
    assert not starting.done()  # waiting, not failing
    await first.stop()
    assert await asyncio.wait_for(starting, 10) == second.url
    await second.stop()


async def test_data_dir_and_aof_are_private(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)  # as an older version left it
    os.chmod(data, 0o755)
    server = EmbeddedRedis(data)
    url = await server.start()
    client = aioredis.Redis.from_url(url)
    await client.set("k", "secret conversation")
    await client.aclose()
    await server.stop()
    assert _mode(data) == 0o700
    files = [p for p in data.rglob("*") if p.is_file()]
    assert any("aof" in p.name for p in files), files
    for path in files:
        assert _mode(path) & 0o077 == 0, f"{path.name} is readable by others: {oct(_mode(path))}"


async def test_maxmemory_reaches_the_server_with_noeviction(tmp_path):
    server = EmbeddedRedis(tmp_path, maxmemory="64mb")
    url = await server.start()
    client = aioredis.Redis.from_url(url, decode_responses=True)
    try:
        assert await client.config_get("maxmemory") == {"maxmemory": str(64 * 1024 * 1024)}
        assert await client.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
    finally:
        await client.aclose()
        await server.stop()


async def test_a_full_server_refuses_writes_and_keeps_what_it_has(tmp_path):
    server = EmbeddedRedis(tmp_path, maxmemory="2mb")
    url = await server.start()
    client = aioredis.Redis.from_url(url)
    try:
        await client.set("first", "kept")
        with pytest.raises(aioredis.ResponseError, match="maxmemory"):
            for i in range(1000):
                await client.set(f"filler:{i}", "x" * 10_000)
        assert await client.get("first") == b"kept"
    finally:
        await client.aclose()
        await server.stop()


@pytest.mark.parametrize("bad", ["lots", "1 gb", "-5", "1tb", ""])
def test_a_bad_maxmemory_is_a_clear_error(bad):
    with pytest.raises(ValueError, match="server.redis_maxmemory must be a size"):
        check_maxmemory(bad)


def test_good_maxmemory_values():
    assert [check_maxmemory(v) for v in ("1gb", "512MB", "0", "1048576")] == ["1gb", "512mb", "0", "1048576"]


async def test_killed_server_is_restarted_on_the_same_data(tmp_path):
    server = EmbeddedRedis(tmp_path)
    url = await server.start()
    client = aioredis.Redis.from_url(url)
    try:
        await client.set("k", "acknowledged")
        first_pid = server.process.pid
        os.kill(first_pid, signal.SIGKILL)

        async def back() -> bool:
            try:
                return server.process.pid != first_pid and await client.get("k") == b"acknowledged"
            except (OSError, aioredis.RedisError):
                return False

        await _wait_until(back)
    finally:
        await client.aclose()
        await server.stop()


async def test_supervisor_gives_up_after_bounded_restarts(tmp_path, monkeypatch):
    monkeypatch.setattr(embedded_redis, "RESTART_DELAYS_S", (0.05, 0.05, 0.05))
    gave_up = asyncio.Event()
    server = EmbeddedRedis(tmp_path, on_give_up=gave_up.set)
    await server.start()
    monkeypatch.setenv("OMNIRELAY_REDIS_SERVER", "/bin/false")  # every restart now fails
    os.kill(server.process.pid, signal.SIGKILL)
    await asyncio.wait_for(gave_up.wait(), 15)
    with pytest.raises(EmbeddedRedisError, match="3 restarts failed"):
        await server.stop()


def test_check_config_names_a_bad_maxmemory_with_its_line():
    text = DEMO_CONFIG.read_text().replace("server:\n", "server:\n  redis_maxmemory: lots\n", 1)
    with pytest.raises(ConfigError) as err:
        load_config_text(text, "omnirelay.yaml", env={})
    assert err.value.lines() == ["omnirelay.yaml:4: server.redis_maxmemory must be a size such as 1gb, 512mb or 0 (no limit), not 'lots'"]


async def test_server_redis_maxmemory_of_the_config_reaches_the_embedded_server(tmp_path, demo_config):
    demo_config.server.redis_maxmemory = "64mb"
    server = TestServer(create_app(demo_config, data_dir=tmp_path), host="127.0.0.1", port=0)
    await server.start_server()
    client = aioredis.Redis(unix_socket_path=str(tmp_path / "redis.sock"), decode_responses=True)
    try:
        assert await client.config_get("maxmemory") == {"maxmemory": str(64 * 1024 * 1024)}
        assert await client.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
    finally:
        await client.aclose()
        await server.close()
