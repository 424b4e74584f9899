"""The audit trail: who did what to whose data, kept per tenant in a Redis stream until the history
database takes it over."""

from __future__ import annotations

import json
import time

from redis.asyncio import Redis

from acd import replies
from gateway.auth import Principal
from gateway.keys import TenantKeys

AUDIT_MAXLEN = 100_000


async def audit(redis: Redis, keys: TenantKeys, who: Principal, action: str, details: dict) -> None:
    """Append one entry: actor, role, action and its details."""
    await redis.xadd(keys.audit(), {
        "ts": repr(time.time()), "actor": who.user_id, "role": who.role, "action": action,
        "details": json.dumps(details),
    }, maxlen=AUDIT_MAXLEN, approximate=True)


async def audit_entries(redis: Redis, keys: TenantKeys, count: int = 100) -> list[dict]:
    """The newest entries first."""
    rows = replies.entries(await redis.xrevrange(keys.audit(), count=count))
    return [{**fields, "id": entry_id, "details": json.loads(fields.get("details") or "{}")} for entry_id, fields in rows]
