"""The event webhooks as one service of a gateway process: per tenant the two consumers, the sender,
the SLA watcher and the queue metrics; and what the admin API asks of them (test events, replays,
deliveries)."""

from __future__ import annotations

import functools
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any, Literal

import orjson
from aiohttp import web
from redis.asyncio import Redis

from acd import replies
from acd.lua_runner import runner
from gateway.background import Background
from gateway.config.schema import Config
from gateway.event_webhooks.consumer import Consumer
from gateway.event_webhooks.events import TEST_EVENT, Event
from gateway.event_webhooks.lag import LagWatch
from gateway.event_webhooks.scripts import REPLAY
from gateway.event_webhooks.sender import Sender
from gateway.event_webhooks.sources import note_sla_breaches
from gateway.event_webhooks.subscriptions import Subscriptions
from gateway.keys import TenantKeys
from gateway.metrics import Metrics

SLA_EVERY_S = 1.0
METRICS_EVERY_S = 5.0
LAG_EVERY_S = 5.0
Replay = Literal["replayed", "erased", "none"]
DELIVERY_FIELDS = ("id", "event", "type", "key", "status", "attempts", "last_status", "last_error", "last_latency_ms",
                   "last_attempt_at", "next_at", "queued_at", "created_at", "delivered_at", "dead_at", "replayed_at")


class EventWebhooks:
    """Started by ``event_webhooks_ctx``; the app holds it under ``appkeys.EVENT_WEBHOOKS``."""

    def __init__(self, redis: Redis, config: Config, node_id: str, metrics: Metrics | None = None) -> None:
        self.redis, self.config, self.node_id, self.metrics = redis, config, node_id, metrics
        self.settings = config.event_webhooks
        self.sender = Sender(redis, self.settings, metrics)
        self.lag = LagWatch(redis, list(config.tenants), metrics)
        self._tasks = Background()

    async def start(self) -> None:
        for tenant, tenant_config in self.config.tenants.items():  # the config file's subscriptions, before any event
            await self.subscriptions(tenant).ensure_configured(tenant_config.event_webhooks.subscriptions,
                                                               self.settings.retry_window_s)
        await self.sender.start()
        for tenant in self.config.tenants:
            consumer = Consumer(self.redis, tenant, self.node_id, claim_idle_s=self.settings.claim_idle_s,
                                idle_s=self.settings.poll_s, woke=functools.partial(self.sender.wake, tenant))
            self._tasks.start(f"event-webhooks-consume-{tenant}", consumer.run())
            self._tasks.start(f"event-webhooks-send-{tenant}", self.sender.run(tenant))
            self._tasks.every(f"event-webhooks-sla-{tenant}", SLA_EVERY_S, functools.partial(self._sla, tenant))
        if self.metrics is not None:
            self._tasks.every("event-webhooks-metrics", METRICS_EVERY_S, self.report_depth)
        self._tasks.every("event-webhooks-lag", LAG_EVERY_S, self.lag.measure)

    async def _sla(self, tenant: str) -> None:
        await note_sla_breaches(self.redis, tenant, self.config.tenants[tenant])

    async def stop(self) -> None:
        await self._tasks.stop()
        await self.sender.stop()

    def subscriptions(self, tenant: str) -> Subscriptions:
        return Subscriptions(self.redis, tenant)

    # --- for the admin API --------------------------------------------------------------------
    async def send_test(self, tenant: str, sid: str) -> str:
        """Queue a ``webhook.test`` event for one subscription; its delivery id."""
        keys, now = TenantKeys(tenant), time.time()
        event = Event("evt_test_" + secrets.token_hex(8), TEST_EVENT, "test:" + secrets.token_hex(4),
                      {"subscription_id": sid, "message": "A test event sent from the admin screens."}, now)
        did = f"dlv_{sid}_{event.id}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(keys.hook_delivery(did), mapping={
                "id": did, "sub": sid, "event": event.id, "type": event.type, "key": event.key,
                "body": event.body(tenant), "created_at": repr(now), "queued_at": repr(now), "attempts": "0",
                "status": "pending"})
            pipe.rpush(keys.hook_queue(sid, event.key), did)
            pipe.zadd(keys.hook_due(), {f"{sid}|{event.key}": now}, nx=True)
            await pipe.execute()
        self.sender.wake(tenant)
        return did

    async def replay(self, tenant: str, sid: str, did: str) -> Replay:
        """Put one dead letter back in its queue: ``replayed``, ``erased`` (it went with its contact's
        erasure: never sent again) or ``none`` (no such dead letter, or replayed already)."""
        keys = TenantKeys(tenant)
        key = replies.maybe_text(await self.redis.hget(keys.hook_delivery(did), "key"))
        if key is None:
            if await self.redis.zscore(keys.hook_erased_deliveries(), did) is not None:
                return "erased"
            await self.redis.zrem(keys.hook_dead(sid), did)  # expired: forget the entry
            return "none"
        done = int(await runner(self.redis).call(
            REPLAY, keys=[keys.hook_dead(sid), keys.hook_delivery(did), keys.hook_queue(sid, key), keys.hook_due(),
                          keys.hook_erased(), keys.hook_erased_deliveries()],
            args=[did, repr(time.time()), f"{sid}|{key}", key]))
        if done == 1:
            self.sender.wake(tenant)
            return "replayed"
        return "erased" if done == -1 else "none"

    async def deliveries(self, tenant: str, sid: str) -> dict[str, Any]:
        """The subscription's recent attempts (newest first) and the deliveries waiting in its queues."""
        keys = TenantKeys(tenant)
        recent = [orjson.loads(r) for r in replies.texts(await self.redis.lrange(keys.hook_recent(sid), 0, -1))]
        members = [m for m in replies.texts(await self.redis.zrange(keys.hook_due(), 0, 199)) if m.startswith(sid + "|")]
        async with self.redis.pipeline(transaction=False) as pipe:
            for m in members:
                pipe.lrange(keys.hook_queue(sid, m.split("|", 1)[1]), 0, 19)
            queued = [d for ids in await pipe.execute() for d in replies.texts(ids)]
        return {"recent": recent, "pending": await self._records(keys, queued[:100])}

    async def dead_letters(self, tenant: str, sid: str, with_body: bool = True) -> list[dict[str, Any]]:
        keys = TenantKeys(tenant)
        dead = replies.texts(await self.redis.zrevrange(keys.hook_dead(sid), 0, 199))
        return await self._records(keys, dead, with_body=with_body)

    async def _records(self, keys: TenantKeys, ids: list[str], with_body: bool = False) -> list[dict[str, Any]]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for did in ids:
                pipe.hgetall(keys.hook_delivery(did))
            got = [replies.fields(r) for r in await pipe.execute()]
        out = []
        for raw in got:
            if not raw:
                continue
            item: dict[str, Any] = {k: raw.get(k) for k in DELIVERY_FIELDS}
            for k in ("attempts", "last_status"):
                item[k] = int(raw.get(k) or 0)
            if with_body:
                item["body"] = orjson.loads(raw["body"]) if raw.get("body") else None
            out.append(item)
        return out

    async def report_depth(self) -> None:
        assert self.metrics is not None
        for tenant in self.config.tenants:
            keys = TenantKeys(tenant)
            sids = replies.texts(list(await self.redis.smembers(keys.hook_subs())))
            members = replies.texts(await self.redis.zrange(keys.hook_due(), 0, 999))
            async with self.redis.pipeline(transaction=False) as pipe:
                for m in members:
                    sid, key = m.split("|", 1)
                    pipe.llen(keys.hook_queue(sid, key))
                for sid in sids:
                    pipe.zcard(keys.hook_dead(sid))
                got = await pipe.execute()
            self.metrics.event_webhook_queue.labels(tenant).set(sum(got[:len(members)]))
            self.metrics.event_webhook_dead.labels(tenant).set(sum(got[len(members):]))


async def event_webhooks_ctx(app: web.Application) -> AsyncIterator[None]:
    """The cleanup context (after the history's, so its consumer group exists before ours deletes anything)."""
    from gateway import appkeys as K  # imported here: appkeys names this module's class

    service = EventWebhooks(app[K.REDIS], app[K.CONFIG], app[K.NODE_ID], app[K.METRICS])
    await service.start()
    app[K.EVENT_WEBHOOKS] = service
    yield
    await service.stop()
