"""The CRM lookup's health as an explicit state, in /healthz next to the channels: kept in Redis so
every gateway process reports the same."""

from __future__ import annotations

import time

from redis.asyncio import Redis
from redis.exceptions import RedisError

from acd import replies
from gateway.config.schema import Config
from gateway.crm.answer import REASONS, UNAVAILABLE, Answer
from gateway.keys import TenantKeys


async def record(redis: Redis, tenant: str, answer: Answer) -> None:
    """The last lookup's outcome: ok (a 404 is an answer too) or unavailable with its reason."""
    failed = answer.status == UNAVAILABLE
    await redis.hset(TenantKeys(tenant).crm_health(), mapping={
        "state": "unavailable" if failed else "ok", "reason": answer.reason if failed else "", "at": repr(time.time()),
    })


async def states(redis: Redis, config: Config) -> dict[str, dict]:
    """Per tenant with a CRM: ``{"health": ok | unavailable: … | disabled: … | unknown, "at": epoch s | None}``
    (unknown until the first lookup; empty figures when Redis is unreachable)."""
    out: dict[str, dict] = {}
    for tid, tenant in config.tenants.items():
        if not tenant.crm.url:
            continue
        if not tenant.crm.secret:
            out[tid] = {"health": "disabled: crm.secret not configured", "at": None}
            continue
        try:
            raw = replies.fields(await redis.hgetall(TenantKeys(tid).crm_health()))
        except (RedisError, OSError):
            raw = {}
        state = raw.get("state", "unknown")
        if state == "unavailable":
            state = f"unavailable: {REASONS.get(raw.get('reason', ''), raw.get('reason', ''))}"
        out[tid] = {"health": state, "at": float(raw["at"]) if raw.get("at") else None}
    return out
