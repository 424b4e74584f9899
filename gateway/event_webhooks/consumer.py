"""The webhooks' consumer group on a tenant's archive outbox and ACD event log, read together: any
gateway process reads entries of both (one XREADGROUP), merges them in time order (both streams take
their ids from the one Redis clock), derives their events, and in one Lua step queues one delivery
per matching subscription and acknowledges the entries (deleting the outbox entries no other group
still needs). So a conversation's deliveries are queued in the order its changes happened.

When a read is cut by its count, only the entries up to the cut stream's last id are handled; the
rest stay pending and come first next time. A process that dies leaves its entries pending; after
``claim_idle_s`` another takes them (XAUTOCLAIM). The group exists only while the tenant has
subscriptions; without it this loop only waits."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from acd import replies
from acd.keys import AcdKeys
from acd.lua_runner import runner
from gateway.event_webhooks.events import Deriver, Entries
from gateway.event_webhooks.scripts import FANOUT, GROUP
from gateway.keys import TenantKeys

log = logging.getLogger(__name__)

BATCH = 200
BLOCK_MS = 1000
RETRY_S = (0.2, 0.5, 1.0, 2.0, 5.0)
Tagged = list[tuple[tuple[int, int], str, str, dict[str, str]]]  # (sortable id, source, id, fields)


def _sortable(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


class Consumer:
    """One tenant's two streams turned into queued deliveries."""

    def __init__(self, redis: Redis, tenant: str, consumer: str, *, claim_idle_s: float, idle_s: float = 0.5,
                 woke: Callable[[], None] | None = None) -> None:
        self.redis, self.tenant, self.consumer = redis, tenant, consumer
        self.keys = TenantKeys(tenant)
        self.streams = {"archive": self.keys.archive(), "acd": AcdKeys(tenant).events()}
        self.claim_idle_ms, self.idle_s = int(claim_idle_s * 1000), idle_s
        self.deriver = Deriver(redis, tenant)
        self.woke = woke

    async def run(self) -> None:
        """Until cancelled."""
        failures, last_claim = 0, 0.0
        while True:
            try:
                if not await self.redis.scard(self.keys.hook_subs()):
                    await asyncio.sleep(self.idle_s)  # no group: nothing to do (a tenant as without webhooks)
                    continue
                handled = await self.step("0")  # our own pending first: older than anything new
                if not handled and time.monotonic() - last_claim > self.claim_idle_ms / 2000:
                    last_claim = time.monotonic()
                    handled = await self._claim()
                if not handled:
                    await self.step(">")
                failures = 0
            except asyncio.CancelledError:
                raise
            except ResponseError as err:
                if "NOGROUP" not in str(err):
                    log.exception("event webhook consumer failed", extra={"tenant": self.tenant})
                await asyncio.sleep(self.idle_s)  # the group went (last subscription deleted) or is being made
            except (RedisError, OSError) as err:
                if failures == 0:
                    log.error("event webhook consumer cannot reach Redis; retrying",
                              extra={"tenant": self.tenant, "error": str(err)})
                await asyncio.sleep(RETRY_S[min(failures, len(RETRY_S) - 1)])
                failures += 1

    async def step(self, start: str) -> int:
        """Read (``0``: own pending, ``>``: new) from both streams and handle them in time order."""
        reply: Any = await self.redis.xreadgroup(
            GROUP, self.consumer, {s: start for s in self.streams.values()}, count=BATCH,
            block=BLOCK_MS if start == ">" else None)
        got: dict[str, list[tuple[str, dict[str, str]]]] = {}
        for stream, entries in reply or []:
            name = replies.maybe_text(stream) or ""
            got[name] = [(i, dict(f or {})) for i, f in entries]
        tagged: Tagged = []
        cut: tuple[int, int] | None = None
        for source, stream in self.streams.items():
            entries = got.get(stream, [])
            if len(entries) >= BATCH:  # more may wait in this stream: nothing later than its last can go yet
                last = _sortable(entries[-1][0])
                cut = last if cut is None else min(cut, last)
            tagged += [(_sortable(i), source, i, f) for i, f in entries]
        tagged.sort(key=lambda t: t[0])
        if cut is not None:
            tagged = [t for t in tagged if t[0] <= cut]
        return await self.handle(tagged)

    async def _claim(self) -> int:
        tagged: Tagged = []
        for source, stream in self.streams.items():
            reply: Any = await self.redis.xautoclaim(stream, GROUP, self.consumer, self.claim_idle_ms, "0-0", count=BATCH)
            claimed = replies.entries(reply[1]) if reply and len(reply) > 1 else []
            tagged += [(_sortable(i), source, i, dict(f or {})) for i, f in claimed]
        tagged.sort(key=lambda t: t[0])
        return await self.handle(tagged)

    async def handle(self, tagged: Tagged) -> int:
        """Derive and queue the events of these entries and acknowledge them, in one step; entries handled."""
        if not tagged:
            return 0
        events = []
        # consecutive runs of one source keep the time order when derived together
        run: Entries = []
        source = tagged[0][1]
        for _, src, entry_id, fields in tagged:
            if src != source:
                events += await self.deriver.derive(source, run)
                run, source = [], src
            if fields:  # an entry deleted or trimmed while pending has no fields: acknowledged only
                run.append((entry_id, fields))
        events += await self.deriver.derive(source, run)
        archive = [i for _, s, i, _ in tagged if s == "archive"]
        acd = [i for _, s, i, _ in tagged if s == "acd"]
        args: list[str] = [GROUP, repr(time.time()), str(len(archive)), *archive, str(len(acd)), *acd]
        for ev in events:
            args += [ev.id, ev.type, ev.key, ev.body(self.tenant), repr(ev.created_at)]
        queued, _ = await runner(self.redis).call(
            FANOUT, keys=[self.keys.prefix, self.streams["archive"], self.keys.hook_subs(), self.keys.hook_due(),
                          self.streams["acd"], self.keys.hook_erased()], args=args)
        if queued and self.woke is not None:
            self.woke()
        return len(tagged)
