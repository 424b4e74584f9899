"""The callback record in Redis: one HASH per callback, one open callback per contact and queue,
and a ZSET of when each scheduled callback is next due (the scheduler's work list).

States: scheduled → dialling → reached | failed, and cancelled from scheduled (see ``STATES``).
Every change that a figure counts or a slot booking follows is one Lua script (gateway/callbacks/lua/).
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, replace
from typing import Any

from redis.asyncio import Redis

from acd import replies
from acd.lua_runner import runner
from gateway.callbacks.figures import DAY_TTL_S, MINUTE_TTL_S, WAITS_PER_DAY, day_bucket, minute_bucket
from gateway.callbacks.scripts import CREATE, DIALLING, END, RESCHEDULE, CallbackOpen
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
    slot: str = ""  # start (epoch s) of the booked slot holding a place for it; "" = as soon as possible, or given back

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
        slot=d.get("slot", ""),
    )


async def get_callback(redis: Redis, keys: TenantKeys, callback_id: str) -> Callback | None:
    h = await redis.hgetall(keys.callback(callback_id))
    return _from_hash(h) if h else None


async def open_callback(redis: Redis, keys: TenantKeys, contact_id: str, queue: str) -> Callback | None:
    """The contact's callback on this queue that has not ended yet, if any."""
    cid = replies.maybe_text(await redis.get(keys.callback_open(contact_id, queue)))
    cb = await get_callback(redis, keys, cid) if cid else None
    return cb if cb and cb.state in OPEN_STATES else None


async def create_callback(redis: Redis, keys: TenantKeys, *, slot: float | None = None, capacity: int = 0,
                          zone: str = "UTC", slot_days: int = 7, **fields: Any) -> Callback | None:
    """Store a new scheduled callback, book its ``slot`` (start, epoch s; None = as soon as possible)
    when it has room, put it on the due list and count the request, in one step; None when the
    contact already has an open callback on this queue; SlotFull when the slot has no place left."""
    cb = Callback(id=secrets.token_hex(8), tenant=keys.tenant, state="scheduled", **fields)
    stale = replies.maybe_text(await redis.get(keys.callback_open(cb.contact_id, cb.queue)))
    if stale and await open_callback(redis, keys, cb.contact_id, cb.queue) is not None:
        return None
    record = {k: str(v) for k, v in {
        "id": cb.id, "tenant": cb.tenant, "conversation_id": cb.conversation_id, "contact_id": cb.contact_id,
        "queue": cb.queue, "language": cb.language, "phone": cb.phone, "at": cb.at, "due": cb.due,
        "state": cb.state, "attempts": cb.attempts, "by": cb.by, "created_at": cb.created_at,
    }.items()}
    now = cb.created_at or time.time()
    try:
        await runner(redis).call(CREATE, keys=[
            keys.callback_open(cb.contact_id, cb.queue), keys.callback(cb.id), keys.callbacks_due(),
            keys.callback_slots(cb.queue, cb.language), keys.callback_stats(minute_bucket(now)),
            keys.callback_stats(day_bucket(zone, now)), keys.callbacks_open_count(),
        ], args=[
            # a pointer that outlived its callback (data from before these scripts) may be taken over
            cb.id, stale or "", _slot_field(slot), str(capacity), repr(cb.due), cb.queue,
            str((slot_days + 1) * 86400), str(MINUTE_TTL_S), str(DAY_TTL_S), str(int(now) - 86400),
            *[x for pair in record.items() for x in pair],
        ])
    except CallbackOpen:
        return None
    return replace(cb, slot=_slot_field(slot))


def _slot_field(slot: float | None) -> str:
    return "" if slot is None else str(int(slot))


async def end_callback(redis: Redis, keys: TenantKeys, cb: Callback | str, state: str, *, zone: str = "UTC",
                       only_from: tuple[str, ...] = OPEN_STATES, now: float | None = None) -> Callback | None:
    """Move an open callback to a final state (reached, failed, cancelled): off the due list, the
    contact's pointer freed, a cancelled one's slot place given back, counted, in one step; None when
    it was not in ``only_from`` (already ended, or being dialled). ``cb`` may be a record read before
    (its contact, queue and language never change) or an id."""
    if isinstance(cb, str):
        found = await get_callback(redis, keys, cb)
        if found is None:
            return None
        cb = found
    now = time.time() if now is None else now
    after = await runner(redis).call(END, keys=[
        keys.callback(cb.id), keys.callbacks_due(), keys.callback_open(cb.contact_id, cb.queue),
        keys.callback_slots(cb.queue, cb.language), keys.callback_stats(minute_bucket(now)),
        keys.callback_stats(day_bucket(zone, now)), keys.callbacks_open_count(),
    ], args=[cb.id, state, ",".join(only_from), cb.queue, str(MINUTE_TTL_S), str(DAY_TTL_S)])
    return _from_hash(replies.flat_fields(after)) if after else None


async def move_callback(redis: Redis, keys: TenantKeys, cb: Callback, *, slot: float | None, capacity: int,
                        due: float, at: str, slot_days: int = 7) -> None:
    """The customer moves their waiting callback: the new slot's place is taken (when it has room)
    and the old one's given back, with the new due time, in one step; Late (not waiting any more, or
    an attempt is under way) or SlotFull otherwise."""
    await runner(redis).call(RESCHEDULE, keys=[
        keys.callback(cb.id), keys.callbacks_due(), keys.callback_slots(cb.queue, cb.language),
    ], args=[cb.id, _slot_field(slot), str(capacity), repr(due), at, str((slot_days + 1) * 86400)])


async def mark_dialling(redis: Redis, keys: TenantKeys, cb: Callback, task_id: str, agent_id: str, *,
                        zone: str = "UTC", now: float | None = None, ttl_s: int = 7 * 24 * 3600) -> bool:
    """The accepted attempt ``task_id`` moves the callback to dialling, once (True: dial it now); the
    callback's first dial counts its wait since it was due."""
    now = time.time() if now is None else now
    moved = await runner(redis).call(DIALLING, keys=[
        keys.callback(cb.id), keys.callback_dialled(task_id),
        keys.callback_first_waits(minute_bucket(now)), keys.callback_first_waits(day_bucket(zone, now)),
    ], args=[task_id, agent_id, repr(now), cb.queue, str(ttl_s), str(MINUTE_TTL_S), str(DAY_TTL_S), str(WAITS_PER_DAY)])
    return bool(moved)


async def record_attempt(redis: Redis, keys: TenantKeys, callback_id: str, n: int, task_id: str, now: float) -> None:
    """Mark attempt ``n`` as under way (its ACD task ``task_id``) and keep it in the attempts list."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hset(keys.callback(callback_id), mapping={"attempts": str(n), "task_id": task_id, "in_attempt": "1"})
        pipe.rpush(keys.callback_attempts(callback_id), json.dumps({"n": n, "task_id": task_id, "started_at": now}))
        await pipe.execute()
