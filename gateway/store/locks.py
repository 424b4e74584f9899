"""A short Redis lock that only its holder can release (a token checked in one atomic step), so a
holder that overran its lease never deletes the next holder's lock."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator

from redis.asyncio import Redis

_RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"


@contextlib.asynccontextmanager
async def held_lock(redis: Redis, key: str, lease_ms: int = 5000) -> AsyncIterator[bool]:
    """Try once to take ``key``; yields whether this caller holds it, and releases only its own."""
    token = secrets.token_hex(8)
    held = bool(await redis.set(key, token, nx=True, px=lease_ms))
    try:
        yield held
    finally:
        if held:
            await redis.eval(_RELEASE, 1, key, token)
