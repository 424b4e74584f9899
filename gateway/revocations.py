"""Revoked logins, announced to every gateway process.

A login ends by deleting its session key (``TenantKeys.session``). Each process must then close its
own sockets of that login within a second (gateway/live_sessions.py), without looking up every open
socket's session each second: the revocation is also written, in the same transaction, to the
tenant's ``sessions:revoked`` sorted set (session id -> when), which each process's sweep reads
once per tenant. Entries older than ``REVOKED_KEEP_S`` are trimmed on the next write; by then every
sweep has seen them, and the sweep's slower round over all session keys catches anything else.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from redis.asyncio import Redis

from gateway.keys import TenantKeys

REVOKED_KEEP_S = 120.0  # far longer than a sweep's look-back (live_sessions.REVOKED_LOOKBACK_S)


async def revoke(redis: Redis, tenant: str, session_ids: Iterable[str]) -> int:
    """Delete these logins' session keys and announce them; returns how many keys existed."""
    ids = list(dict.fromkeys(session_ids))
    if not ids:
        return 0
    keys = TenantKeys(tenant)
    now = time.time()
    async with redis.pipeline(transaction=True) as pipe:  # one tenant, one hash slot
        pipe.delete(*(keys.session(sid) for sid in ids))
        pipe.zadd(keys.sessions_revoked(), dict.fromkeys(ids, now))
        pipe.zremrangebyscore(keys.sessions_revoked(), "-inf", now - REVOKED_KEEP_S)
        pipe.expire(keys.sessions_revoked(), int(REVOKED_KEEP_S) + 60)
        deleted, *_ = await pipe.execute()
    return int(deleted)


async def revoked_since(redis: Redis, tenants: list[str], since: float) -> set[tuple[str, str]]:
    """(tenant, session id) of every login revoked at or after ``since`` in these tenants."""
    if not tenants:
        return set()
    async with redis.pipeline(transaction=False) as pipe:
        for tenant in tenants:
            pipe.zrangebyscore(TenantKeys(tenant).sessions_revoked(), since, "+inf")
        replies = await pipe.execute()
    return {(tenant, sid) for tenant, ids in zip(tenants, replies, strict=True) for sid in ids}
