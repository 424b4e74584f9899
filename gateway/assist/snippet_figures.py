"""Per canned answer: how often it was sent automatically, and how often the customer still wanted a person.

"Escalated" counts a customer who asked for a person or wrote again while the automatic answer stood, and
one who came back within a day after it (``returned``). Once ``escalation_min_samples`` sends are counted
and more than ``escalation_max_rate`` of them escalated, the answer is switched off for automatic use
(once, whichever process sees it first) and the tenant's supervisors get ``assist_snippet_disabled``.
The figures live in Redis (one hash per answer), so every gateway process counts into the same ones.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from acd import replies
from assist.autoanswer import escalation_verdict
from gateway.keys import TenantKeys
from gateway.rooms import supervisor_room
from gateway.services import Services

ESCALATION_RATE = "escalation_rate"  # disabled_reason of an answer switched off for its escalations
log = logging.getLogger(__name__)

ESCALATIONS = ("asked", "wrote_again", "returned")  # how a customer escalated after an automatic answer


async def count_sent(svc: Services, tenant: str, canned_id: str) -> None:
    await svc.redis.hincrby(TenantKeys(tenant).auto_snippet(canned_id), "sent", 1)
    await _judge(svc, tenant, canned_id)


async def count_escalated(svc: Services, tenant: str, canned_id: str, how: str) -> None:
    """One customer escalated after ``canned_id`` was sent to them (``how``: one of ESCALATIONS)."""
    if how not in ESCALATIONS:
        raise ValueError(f"unknown escalation {how!r}")
    key = TenantKeys(tenant).auto_snippet(canned_id)
    async with svc.redis.pipeline(transaction=True) as pipe:
        pipe.hincrby(key, "escalated", 1)
        pipe.hincrby(key, how, 1)
        await pipe.execute()
    await _judge(svc, tenant, canned_id)


async def _judge(svc: Services, tenant: str, canned_id: str) -> None:
    """Switch the answer off when its escalation rate is too high (the first process to see it tells)."""
    keys, rules = TenantKeys(tenant), svc.config.tenants[tenant].assist
    sent, escalated = (int(v or 0) for v in await svc.redis.hmget(keys.auto_snippet(canned_id), "sent", "escalated"))
    verdict = escalation_verdict(sent, min(escalated, sent), max_rate=rules.escalation_max_rate,
                                 min_samples=rules.escalation_min_samples)
    if not verdict.switch_off or not await svc.redis.hsetnx(keys.auto_snippet(canned_id), "disabled", "1"):
        return
    # the reason as a code (each console words it in its own language), the figures it was judged on
    await svc.redis.hset(keys.auto_snippet(canned_id), mapping={
        "disabled_reason": ESCALATION_RATE, "disabled_detail": verdict.reason, "disabled_at": repr(time.time())})
    log.warning("automatic answer switched off", extra={"tenant": tenant, "canned_id": canned_id, "why": verdict.reason})
    await svc.sio.emit("assist_snippet_disabled", {"canned_id": canned_id, "reason": ESCALATION_RATE,
                                                   "detail": verdict.reason, "sent": sent, "escalated": escalated},
                       room=supervisor_room(tenant), namespace="/supervisor")


async def enable(svc: Services, tenant: str, canned_id: str) -> bool:
    """A supervisor switches a switched-off answer on again: its figures start afresh (the old ones
    would switch it off at the next send); False when it was not switched off."""
    key = TenantKeys(tenant).auto_snippet(canned_id)
    async with svc.redis.pipeline(transaction=True) as pipe:
        pipe.hget(key, "disabled")
        pipe.delete(key)
        pipe.hset(key, "enabled_at", repr(time.time()))
        was, _, _ = await pipe.execute()
    return bool(was)


async def disabled(svc: Services, tenant: str, canned_ids: Iterable[str]) -> set[str]:
    """Which of these answers were switched off for automatic use."""
    ids = list(canned_ids)
    keys = TenantKeys(tenant)
    async with svc.redis.pipeline(transaction=False) as pipe:
        for cid in ids:
            pipe.hget(keys.auto_snippet(cid), "disabled")
        flags = await pipe.execute()
    return {cid for cid, flag in zip(ids, flags, strict=True) if flag}


async def figures(svc: Services, tenant: str, threshold: float | None) -> list[dict]:
    """Every canned answer with its automatic-use figures (``GET /api/v1/assist/snippets``)."""
    keys = TenantKeys(tenant)
    canned = svc.config.tenants[tenant].canned
    async with svc.redis.pipeline(transaction=False) as pipe:
        for c in canned:
            pipe.hgetall(keys.auto_snippet(c.id))
        rows = [replies.fields(r) for r in await pipe.execute()]
    out = []
    for c, row in zip(canned, rows, strict=True):
        sent, escalated = int(row.get("sent", 0)), int(row.get("escalated", 0))
        out.append({
            "canned_id": c.id, "title": c.title, "language": c.language, "topic": c.topic,
            "auto_queues": list(c.auto_queues), "threshold": threshold if c.auto_queues else None,
            "sent": sent, "escalated": escalated, "returned": int(row.get("returned", 0)),
            "asked": int(row.get("asked", 0)), "wrote_again": int(row.get("wrote_again", 0)),
            "escalation_rate": round(escalated / sent, 4) if sent else 0.0,
            "disabled": bool(row.get("disabled")), "disabled_reason": row.get("disabled_reason", ""),
            "disabled_detail": row.get("disabled_detail", ""),
        })
    return out
