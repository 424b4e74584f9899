"""What the event webhooks hold of one contact, erased with it (gateway/history/privacy.py calls this
during a contact's erasure): every queued, delivered and dead-lettered delivery of its conversations,
of its own ``contact.*`` events and of its ACD tasks — bodies, queue entries, dead letters and the
subscriptions' recent attempts.

Three steps, each safe while senders and consumers of any process go on:
1. ``erase_queues.lua`` marks the ordering keys as erased — from then on ``fanout.lua`` queues nothing
   for them (an event derived just before, or read late from the ACD's log, is dropped) and
   ``replay.lua`` puts none of their dead letters back — and empties their queues, in one step;
2. a SCAN of the tenant's delivery hashes, started after that mark, finds every delivery of a marked
   key (a delivered one is in no index: it is only kept for inspection until its TTL) and
   ``erase_deliveries.lua`` deletes them, checking the mark again;
3. an attempt that read its body before step 1 is waited for (its lease bounds it): its settle finds
   the head gone and records nothing, so when the erasure returns nothing of the person is sent any more.
A ``contact.erased`` delivery stays: it carries ids only and must reach the receivers."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable

from redis.asyncio import Redis

from acd import replies
from acd.lua_runner import runner
from gateway.event_webhooks.scripts import ERASE_DELIVERIES, ERASE_QUEUES
from gateway.keys import TenantKeys

log = logging.getLogger(__name__)

ERASED_EVENT = "contact.erased"
ERASED_KEEP_S = 30 * 86400  # how long an erased key (and an erased delivery id) is remembered: the longest a dead letter is kept
KEYS_PER_CALL = 50  # ordering keys per erase_queues call (times the subscriptions: the queues it touches)
DELIVERIES_PER_CALL = 500
SCAN_COUNT = 1000
MAX_WAIT_S = 60.0  # an attempt in flight is waited for at most this long (its lease is timeout_s + 5 s)
POLL_S = 0.05


async def erase_deliveries(redis: Redis, tenant: str, *, conversations: Iterable[str], contacts: Iterable[str],
                           tasks: Iterable[str] = ()) -> int:
    """Erase every webhook delivery of these conversations, contacts and ACD task ids; how many deliveries went."""
    keys = TenantKeys(tenant)
    contacts = sorted(set(contacts))
    ordering = sorted(set(conversations) | {f"contact:{c}" for c in contacts} | set(tasks))
    if not ordering:
        return 0
    sids = sorted(replies.texts(list(await redis.smembers(keys.hook_subs()))))
    keep = await _erased_notices(redis, keys, sids, contacts)
    taken = 0
    for start in range(0, len(ordering), KEYS_PER_CALL):
        chunk = ordering[start:start + KEYS_PER_CALL]
        queued, _ = await runner(redis).call(
            ERASE_QUEUES,
            keys=[keys.hook_erased(), keys.hook_due(), keys.hook_leases(), *(keys.hook_inflight(s) for s in sids),
                  *(keys.hook_recent(s) for s in sids), *(keys.hook_queue(s, k) for s in sids for k in chunk)],
            args=[repr(time.time()), ERASED_KEEP_S, len(sids), len(chunk), *sids, *chunk, *keep])
        taken += int(queued)
    members = [f"{s}|{k}" for s in sids for k in ordering]  # the queues being sent just now, and by whom
    tokens = replies.texts(await redis.hmget(keys.hook_leases(), members)) if members else []
    held = {m: t for m, t in zip(members, tokens, strict=True) if t}
    deleted = await sweep(redis, tenant, sids)
    await _wait_for_attempts(redis, keys, held)
    log.info("event webhook deliveries erased", extra={"tenant": tenant, "deliveries": deleted, "unqueued": taken})
    return deleted


async def _erased_notices(redis: Redis, keys: TenantKeys, sids: list[str], contacts: list[str]) -> list[str]:
    """The queued contact.erased deliveries of these contacts (an earlier erasure's): they stay queued."""
    queues = [keys.hook_queue(s, f"contact:{c}") for s in sids for c in contacts]
    if not queues:
        return []
    async with redis.pipeline(transaction=False) as pipe:
        for q in queues:
            pipe.lrange(q, 0, -1)
        queued = [d for ids in await pipe.execute() for d in replies.texts(ids)]
    if not queued:
        return []
    async with redis.pipeline(transaction=False) as pipe:
        for did in queued:
            pipe.hget(keys.hook_delivery(did), "type")
        types = [replies.maybe_text(t) for t in await pipe.execute()]
    return [did for did, kind in zip(queued, types, strict=True) if kind == ERASED_EVENT]


async def sweep(redis: Redis, tenant: str, sids: list[str] | None = None) -> int:
    """Delete every delivery whose ordering key is marked erased (whatever erasure marked it); how many."""
    keys = TenantKeys(tenant)
    if sids is None:
        sids = sorted(replies.texts(list(await redis.smembers(keys.hook_subs()))))
    marked = set(replies.texts(await redis.zrange(keys.hook_erased(), 0, -1)))
    if not marked:
        return 0
    prefix = keys.hook_delivery("")
    deleted, batch = 0, []
    async for raw in redis.scan_iter(match=keys.hook_delivery("*"), count=SCAN_COUNT):
        batch.append(replies.maybe_text(raw) or "")
        if len(batch) >= DELIVERIES_PER_CALL:
            deleted += await _delete(redis, keys, sids, marked, prefix, batch)
            batch = []
    if batch:
        deleted += await _delete(redis, keys, sids, marked, prefix, batch)
    return deleted


async def _delete(redis: Redis, keys: TenantKeys, sids: list[str], marked: set[str], prefix: str,
                  names: list[str]) -> int:
    async with redis.pipeline(transaction=False) as pipe:
        for name in names:
            pipe.hmget(name, "key", "type")
        got = await pipe.execute(raise_on_error=False)
    doomed = [name for name, value in zip(names, got, strict=True) if isinstance(value, list | tuple)
              and replies.maybe_text(value[0]) in marked and replies.maybe_text(value[1]) != ERASED_EVENT]
    if not doomed:
        return 0
    return int(await runner(redis).call(
        ERASE_DELIVERIES,
        keys=[keys.hook_erased(), keys.hook_erased_deliveries(), *doomed, *(keys.hook_dead(s) for s in sids)],
        args=[repr(time.time()), ERASED_KEEP_S, len(doomed), *(n[len(prefix):] for n in doomed), *sids]))


async def _wait_for_attempts(redis: Redis, keys: TenantKeys, leases: dict[str, str]) -> None:
    """Until none of these leases (queue -> token, as held when the queues were emptied) is held any
    more and unexpired: the attempt under it has ended (its settle recorded nothing)."""
    deadline = time.monotonic() + MAX_WAIT_S
    while leases:
        members = list(leases)
        async with redis.pipeline(transaction=False) as pipe:
            pipe.hmget(keys.hook_leases(), members)
            for m in members:
                pipe.zscore(keys.hook_due(), m)
            got = await pipe.execute()
        tokens, ends = replies.texts(got[0]), got[1:]
        now = time.time()
        leases = {m: t for m, t, end in zip(members, tokens, ends, strict=True)
                  if t == leases[m] and end is not None and float(end) > now}
        if not leases:
            return
        if time.monotonic() > deadline:
            log.warning("event webhook attempts still in flight after an erasure; their outcome is not recorded",
                        extra={"tenant": keys.tenant, "queues": len(leases)})
            return
        await asyncio.sleep(POLL_S)
