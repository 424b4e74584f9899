"""Shared fixtures: a real Redis (embedded redis-server, or $REDIS_URL), flushed per test."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from gateway.embedded_redis import EmbeddedRedis
from gateway.redis_client import connect

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT.parent / "shared" / "fixtures" / "webhooks"
ARTIFACTS = ROOT / "tests" / "artifacts"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of the Redis the tests use: $REDIS_URL when set, else an embedded redis-server."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"), appendfsync="everysec")
    url = asyncio.run(server.start())
    try:
        yield url
    finally:
        asyncio.run(server.stop())


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    """A client on a flushed database."""
    client = connect(redis_url)
    await client.flushdb()
    try:
        yield client
    finally:
        await client.aclose()
