"""The callback record in Redis: one HASH per callback, one open callback per contact and queue,
and a ZSET of when each scheduled callback is next due (the scheduler's work list).

States: scheduled → dialling → reached | failed, and cancelled from scheduled (see ``STATES``).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, replace
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import WatchError

from acd import replies
from gateway.keys import TenantKeys

STATES = ("scheduled", "dialling", "reached", "failed", "cancelled")
OPEN_STATES = ("scheduled", "dialling")


@dataclass(frozen=True, slots=True)
class Callback:
    id: str
    tenant: str
    conversation_id: str
    contact_id: str
    queue: str
    language: str
    phone: str  # E.164
    at: str  # the time the customer asked for (ISO, UTC), "" = as soon as possible
    due: float  # when the next attempt may start (epoch s)
    state: str
    attempts: int = 0
    by: str = ""  # visitor | agent | queue
    created_at: float = 0.0
    task_id: str = ""  # the ACD task of the current (or last) attempt, cb_<id>_<n>
    in_attempt: bool = False  # an attempt is under way (its task queued, offered or dialling) until its outcome

    def to_wire(self) -> dict[str, Any]:
        return {"id": self.id, "conversation_id": self.conversation_id, "phone": self.phone, "at": self.at or None,
                "due": self.due, "state": self.state, "attempts": self.attempts}


def _from_hash(h: dict) -> Callback:
    d = replies.fields(h)
    return Callback(
        id=d["id"], tenant=d["tenant"], conversation_id=d["conversation_id"], contact_id=d["contact_id"],
        queue=d["queue"], language=d.get("language", ""), phone=d["phone"], at=d.get("at", ""),
        due=float(d["due"]), state=d["state"], attempts=int(d.get("attempts", 0)), by=d.get("by", ""),
        created_at=float(d.get("created_at", 0)), task_id=d.get("task_id", ""), in_attempt=d.get("in_attempt") == "1",
    )


async def get_callback(redis: Redis, keys: TenantKeys, callback_id: str) -> Callback | None:
    h = await redis.hgetall(keys.callback(callback_id))
    return _from_hash(h) if h else None


async def open_callback(redis: Redis, keys: TenantKeys, contact_id: str, queue: str) -> Callback | None:
    """The contact's callback on this queue that has not ended yet, if any."""
    cid = replies.maybe_text(await redis.get(keys.callback_open(contact_id, queue)))
    cb = await get_callback(redis, keys, cid) if cid else None
    return cb if cb and cb.state in OPEN_STATES else None


async def create_callback(redis: Redis, keys: TenantKeys, **fields: Any) -> Callback | None:
    """Store a new scheduled callback and put it on the due list; None when the contact already has
    an open one on this queue (claimed with SET NX, so two requests at once cannot both win)."""
    cb = Callback(id=secrets.token_hex(8), tenant=keys.tenant, state="scheduled", **fields)
    open_key = keys.callback_open(cb.contact_id, cb.queue)
    if not await redis.set(open_key, cb.id, nx=True):
        if await open_callback(redis, keys, cb.contact_id, cb.queue) is not None:
            return None
        # the pointer outlived its callback (a crash between the end and the DEL): take it over
        await redis.set(open_key, cb.id)
    record = {k: str(v) for k, v in {
        "id": cb.id, "tenant": cb.tenant, "conversation_id": cb.conversation_id, "contact_id": cb.contact_id,
        "queue": cb.queue, "language": cb.language, "phone": cb.phone, "at": cb.at, "due": cb.due,
        "state": cb.state, "attempts": cb.attempts, "by": cb.by, "created_at": cb.created_at,
    }.items()}
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hset(keys.callback(cb.id), mapping=replies.mapping(record))
        pipe.zadd(keys.callbacks_due(), {cb.id: cb.due})
        await pipe.execute()
    return cb


async def end_callback(redis: Redis, keys: TenantKeys, callback_id: str, state: str,
                       *, only_from: tuple[str, ...] = OPEN_STATES) -> Callback | None:
    """Move an open callback to a final state (reached, failed, cancelled), off the due list, and free
    the contact's slot; None when it was not in ``only_from`` (already ended, or being dialled)."""
    key = keys.callback(callback_id)
    async with redis.pipeline(transaction=True) as pipe:
        while True:
            try:
                await pipe.watch(key)
                current = replies.maybe_text(await pipe.hget(key, "state"))
                if current not in only_from:
                    await pipe.unwatch()
                    return None
                cb = _from_hash(await pipe.hgetall(key))
                pipe.multi()
                pipe.hset(key, "state", state)
                pipe.zrem(keys.callbacks_due(), callback_id)
                await pipe.execute()
                break
            except WatchError:
                continue
    open_key = keys.callback_open(cb.contact_id, cb.queue)
    if replies.maybe_text(await redis.get(open_key)) == callback_id:
        await redis.delete(open_key)  # a newer callback's pointer is never removed
    return replace(cb, state=state)


async def record_attempt(redis: Redis, keys: TenantKeys, callback_id: str, n: int, task_id: str, now: float) -> None:
    """Mark attempt ``n`` as under way (its ACD task ``task_id``) and keep it in the attempts list."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hset(keys.callback(callback_id), mapping={"attempts": str(n), "task_id": task_id, "in_attempt": "1"})
        pipe.rpush(keys.callback_attempts(callback_id), json.dumps({"n": n, "task_id": task_id, "started_at": now}))
        await pipe.execute()
