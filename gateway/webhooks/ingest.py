"""The consumer-group worker: verified deliveries from the stream → split → dedupe → parse → handler.

Any gateway process runs it (one consumer each, per tenant). A delivery is marked done only once
its events were handled; a failed one stays pending and comes back (XAUTOCLAIM, which also takes
over the entries of a consumer that died), so a crash or a handler error never loses a message and
a platform's retry never doubles one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from acd.lua_runner import runner
from bridges.base import Malformed
from bridges.events import Event, Unsupported
from gateway.keys import TenantKeys
from gateway.metrics import Metrics
from gateway.store.scripts import store_script
from gateway.webhooks.channels import BridgedChannel, BridgedChannels

log = logging.getLogger(__name__)

InboundHandler = Callable[[str, str, Event], Awaitable[None]]  # (tenant, channel id, event)

GROUP = "ingest"
RETRY_IDLE_S = 2.5  # a pending entry idle this long is retried (failed here, or its consumer died)
TOUCH_S = 1.0  # entries being handled are touched this often, so a slow live consumer keeps them (and their order)
LEASE_S = 2.0  # one consumer holds a delivery this long while handling it (after a crash, the
# next takes over then; a handler slower than this may run twice, and the message client id keeps it single)
DONE_TTL_S = 7 * 24 * 3600  # platforms retry for days at most (Meta: up to 36 hours)
MAX_ATTEMPTS = 40  # a delivery failing this often (about 100 s) is given up (logged), so it cannot block the stream
READ_BLOCK_MS = 1000  # below the client's socket timeout
BATCH = 64
LANES = 16  # chats handled at the same time per tenant and process


def _text(value: bytes | str | None) -> str:
    return value.decode() if isinstance(value, bytes) else (value or "")


WEBHOOK_APPEND = store_script("webhook_append")
DELIVERY_CLAIM = store_script("delivery_claim")


def _entry_order(entry_id: bytes | str) -> tuple[int, int]:
    """Stream ids sort by (milliseconds, sequence)."""
    ms, _, seq = _text(entry_id).partition("-")
    return int(ms), int(seq or 0)


async def append(redis: Redis, tenant: str, channel: str, body: bytes, delivery_ids: list[str]) -> bool:
    """Store one verified webhook body durably (the 200 is sent only after this); False when every
    delivery in it was handled already (a platform's retry: nothing to store)."""
    keys = TenantKeys(tenant)
    stored = await runner(redis).call(
        WEBHOOK_APPEND, keys=[keys.webhooks_in(), *[keys.delivery(channel, d) for d in delivery_ids]],
        args=[channel, body],
    )
    return bool(stored)


class Ingest:
    """Reads each tenant's stream as one consumer of the group and hands events to ``handle``."""

    def __init__(
        self, redis: Redis, channels: BridgedChannels, handle: InboundHandler, metrics: Metrics, consumer: str
    ) -> None:
        self.redis = redis  # decode_responses=False: bodies are bytes
        self.channels = channels
        self.handle = handle
        self.metrics = metrics
        self.consumer = consumer
        # a few chats at a time: enough to keep up with a busy channel, while accepting new
        # deliveries (the 200s) keeps most of the process during a flood
        self._lanes = asyncio.Semaphore(LANES)
        self._flood_lane = asyncio.Semaphore(1)  # while flooded (see Arrivals): one chat at a time

    async def run(self, tenant: str) -> None:
        """Consume ``tenant``'s stream until cancelled."""
        stream = TenantKeys(tenant).webhooks_in()
        try:
            await self.redis.xgroup_create(stream, GROUP, id="0", mkstream=True)
        except ResponseError as err:
            if "BUSYGROUP" not in str(err):
                raise
        while True:
            try:
                await self.step(tenant)
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis away for a moment: the entries wait in the stream
                log.exception("webhook ingest step failed", extra={"tenant": tenant})
                await asyncio.sleep(1.0)

    async def step(self, tenant: str) -> None:
        """Retry what is due, then wait (bounded) for new entries and handle them."""
        stream = TenantKeys(tenant).webhooks_in()
        claimed: list[Any] = await self.redis.xautoclaim(
            stream, GROUP, self.consumer, min_idle_time=int(RETRY_IDLE_S * 1000), start_id="0-0", count=BATCH
        )
        # Redis 6.2 lists an entry deleted while pending as nil
        await self._batch(tenant, stream, [(i, f) for i, f in claimed[1] if i is not None])
        read: Any = await self.redis.xreadgroup(GROUP, self.consumer, {stream: ">"}, count=BATCH, block=READ_BLOCK_MS)
        for _, entries in read or ():
            await self._batch(tenant, stream, list(entries))

    async def _batch(self, tenant: str, stream: str, entries: list[tuple[bytes, dict | None]]) -> None:
        """Handle a batch of stored bodies: bodies that share a customer's chat in order, one after
        the other; bodies of different chats at the same time (one slow chat holds up nobody else)."""
        lanes: list[list[tuple[bytes, dict | None]]] = []
        lane_of: dict[str, int] = {}
        for entry_id, fields in entries:
            threads = self._threads(tenant, fields)
            joined = sorted({lane_of[t] for t in threads if t in lane_of})
            if not joined:
                lanes.append([])
                joined = [len(lanes) - 1]
            target = joined[0]
            for other in joined[1:]:  # this body links two lanes: they become one, in arrival order
                lanes[target].extend(lanes[other])
                lanes[other] = []
                lane_of.update({t: target for t, i in lane_of.items() if i == other})
            lanes[target].append((entry_id, fields))
            lane_of.update(dict.fromkeys(threads, target))

        working = {entry_id for entry_id, _ in entries}

        async def run(lane: list[tuple[bytes, dict | None]]) -> None:
            async with self._lanes:
                ordered = sorted(lane, key=lambda e: _entry_order(e[0]))
                for n, (entry_id, fields) in enumerate(ordered):
                    if self.channels.arrivals.flooded:
                        async with self._flood_lane:
                            handled = await self._entry(tenant, stream, entry_id, fields)
                    else:
                        handled = await self._entry(tenant, stream, entry_id, fields)
                    working.discard(entry_id)
                    if not handled:
                        working.difference_update(e for e, _ in ordered[n + 1:])
                        break  # the rest of this chat stays pending and comes back after it, in order

        toucher = asyncio.create_task(self._touch(stream, working))
        try:
            await asyncio.gather(*(run(lane) for lane in lanes if lane))
        finally:
            toucher.cancel()
            await asyncio.gather(toucher, return_exceptions=True)

    async def _touch(self, stream: str, working: set[bytes]) -> None:
        """Reset the idle time of the entries still being handled, so that only the entries of a
        consumer that died (or that failed here) become idle enough to be claimed by another."""
        while True:
            await asyncio.sleep(TOUCH_S)
            if working:
                try:
                    await self.redis.xclaim(stream, GROUP, self.consumer, 0, list(working), justid=True)
                except Exception:  # Redis away for a moment: the step's own error handling follows
                    log.warning("touching webhook entries in progress failed", extra={"stream": stream})

    def _threads(self, tenant: str, fields: dict | None) -> set[str]:
        """The chats a stored body speaks of (its lane keys); one lane per channel when unreadable."""
        channel_id = _text((fields or {}).get(b"channel"))
        channel = self.channels.get(tenant, channel_id)
        if channel is None or channel.bridge is None:
            return {channel_id}
        try:
            out = set()
            for _, unit in channel.bridge.deliveries((fields or {}).get(b"body", b"")):
                for event in channel.bridge.parse(unit):
                    thread = getattr(event, "thread", "")
                    out.add(f"{channel_id}:{thread}" if thread else channel_id)
            return out or {channel_id}
        except Exception:  # parsed for real (and reported) when the entry is handled
            return {channel_id}

    async def _entry(self, tenant: str, stream: str, entry_id: bytes, fields: dict | None) -> bool:
        """Handle one stored body; False when it stays pending (retried after RETRY_IDLE_S)."""
        if fields and not await self._handled(tenant, fields):
            return False
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xack(stream, GROUP, entry_id)
            pipe.xdel(stream, entry_id)  # handled entries go: the stream holds only work in flight
            await pipe.execute()
        return True

    async def _handled(self, tenant: str, fields: dict) -> bool:
        """Handle every delivery of one stored body, in order; False when one must be retried."""
        channel_id = _text(fields.get(b"channel"))
        channel = self.channels.get(tenant, channel_id)
        if channel is None or channel.bridge is None:
            log.warning("webhook for a channel no longer configured dropped",
                        extra={"tenant": tenant, "channel": channel_id})
            return True
        try:
            deliveries = channel.bridge.deliveries(fields.get(b"body", b""))
        except Malformed:
            log.warning("stored webhook unreadable, dropped", extra={"tenant": tenant, "channel": channel_id})
            return True
        for delivery_id, unit in deliveries:
            if not await self._delivery(channel, delivery_id, unit):
                return False  # later deliveries wait too: the customer's order is kept
        return True

    async def _delivery(self, channel: BridgedChannel, delivery_id: str, unit: object) -> bool:
        key = TenantKeys(channel.tenant).delivery(channel.id, delivery_id)
        attempt = await self._claim(key)
        if attempt is None:
            return True  # handled before: a platform's retry
        if attempt < 0:
            return False  # another consumer is at it now
        assert channel.bridge is not None
        try:
            for event in channel.bridge.parse(unit):
                self.metrics.bridge_events.labels(channel.spec.type, type(event).__name__).inc()
                if isinstance(event, Unsupported) and event.customer is None:
                    log.info("unsupported payload acknowledged",
                             extra={"tenant": channel.tenant, "channel": channel.id, "kind": event.kind})
                    continue
                await self.handle(channel.tenant, channel.id, event)
        except Exception:
            given_up = attempt + 1 >= MAX_ATTEMPTS
            log.exception("webhook delivery failed" + (", given up" if given_up else ", will retry"),
                          extra={"tenant": channel.tenant, "channel": channel.id, "delivery": delivery_id})
            await self.redis.set(key, "failed" if given_up else f"retry:{attempt + 1}", ex=DONE_TTL_S)
            return given_up
        await self.redis.set(key, "done", ex=DONE_TTL_S)
        return True

    async def _claim(self, key: str) -> int | None:
        """Take a delivery: its attempt number (0 first); None when done before; -1 when someone holds it."""
        attempt = int(await runner(self.redis).call(DELIVERY_CLAIM, keys=[key], args=[self.consumer, int(LEASE_S * 1000)]))
        return None if attempt == -2 else attempt
