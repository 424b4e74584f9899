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
from redis.exceptions import ResponseError, WatchError

from bridges.base import Malformed
from bridges.events import Event, Unsupported
from gateway.keys import TenantKeys
from gateway.metrics import Metrics
from gateway.webhooks.channels import BridgedChannel, BridgedChannels

log = logging.getLogger(__name__)

InboundHandler = Callable[[str, str, Event], Awaitable[None]]  # (tenant, channel id, event)

GROUP = "ingest"
RETRY_IDLE_S = 5.0  # a pending entry idle this long is retried (failed here, or its consumer died)
LEASE_S = 60.0  # one consumer holds a delivery this long while handling it
DONE_TTL_S = 7 * 24 * 3600  # platforms retry for days at most (Meta: up to 36 hours)
MAX_ATTEMPTS = 20  # a delivery failing this often is given up (logged), so it cannot block the stream
READ_BLOCK_MS = 1000  # below the client's socket timeout
BATCH = 16


def _text(value: bytes | str | None) -> str:
    return value.decode() if isinstance(value, bytes) else (value or "")


async def append(redis: Redis, tenant: str, channel: str, body: bytes) -> None:
    """Store one verified webhook body durably (the 200 is sent only after this)."""
    await redis.xadd(TenantKeys(tenant).webhooks_in(), {"channel": channel, "body": body})


async def all_done(redis: Redis, tenant: str, channel: str, delivery_ids: list[str]) -> bool:
    """True when every one of these deliveries was handled already (a platform's retry)."""
    keys = TenantKeys(tenant)
    values = await redis.mget([keys.delivery(channel, d) for d in delivery_ids])
    return bool(values) and all(_text(v) == "done" for v in values)


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
        for entry_id, fields in claimed[1]:
            if entry_id is not None:  # Redis 6.2 lists an entry deleted while pending as nil
                await self._entry(tenant, stream, entry_id, fields)
        read: Any = await self.redis.xreadgroup(GROUP, self.consumer, {stream: ">"}, count=BATCH, block=READ_BLOCK_MS)
        for _, entries in read or ():
            for entry_id, fields in entries:
                await self._entry(tenant, stream, entry_id, fields)

    async def _entry(self, tenant: str, stream: str, entry_id: bytes, fields: dict | None) -> None:
        if fields and not await self._handled(tenant, fields):
            return  # stays pending: retried after RETRY_IDLE_S
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xack(stream, GROUP, entry_id)
            pipe.xdel(stream, entry_id)  # handled entries go: the stream holds only work in flight
            await pipe.execute()

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
                if isinstance(event, Unsupported):
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
        async with self.redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(key)
                    state = _text(await pipe.get(key))
                    if state in ("done", "failed"):
                        return None
                    if state.startswith("working:"):
                        return -1
                    attempt = int(state.split(":")[1]) if state.startswith("retry:") else 0
                    pipe.multi()
                    pipe.set(key, f"working:{attempt}:{self.consumer}", px=int(LEASE_S * 1000))
                    await pipe.execute()
                    return attempt
                except WatchError:
                    continue
