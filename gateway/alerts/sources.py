"""What the alert checks cannot see in the live figures, recorded where it happens."""

from __future__ import annotations

import time

from redis.asyncio import Redis

from gateway.keys import TenantKeys


async def callback_ran_out(redis: Redis, keys: TenantKeys, callback_id: str) -> None:
    """A callback ended after its last attempt (and its conversation was told): a source of the
    ``callback`` incident. Called after the lines about it are written: what happens later is a follow-up."""
    await redis.zadd(keys.alerts_callbacks(), {callback_id: time.time()})
