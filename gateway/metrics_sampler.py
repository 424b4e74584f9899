"""The gauges of every queue and loop, sampled in the background (nothing on the message path).

Per process (true of this process alone): whether it reaches Redis. Per tenant (the same figure
from any process): the webhook ingest stream's depth and the age of its oldest unhandled delivery,
the reply outbox (conversations due, the most overdue head), each queue's waiting line, agents by
state and each channel's health. A tenant's figures come from one process at a time, the one
holding the tenant's lease (``TenantKeys.leader("metrics")``), so a sum over processes counts
each once; a process that loses the lease withdraws its series. Its successor takes over once
the lease lapses (three periods).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator

from aiohttp import web
from prometheus_client import Gauge
from redis.asyncio import Redis
from redis.client import NEVER_DECODE
from redis.exceptions import RedisError

from acd import replies
from gateway import appkeys as K
from gateway.background import Background
from gateway.channels_health import channel_health, live_states
from gateway.config.schema import Config
from gateway.keys import TenantKeys
from gateway.metrics import Metrics
from gateway.routing import Router

log = logging.getLogger(__name__)

SAMPLE_S = 5.0  # Prometheus scrapes every 15-30 s as a rule: a fresh figure for each scrape
LEASE_PERIODS = 3


class MetricsSampler:
    """Sets the sampled gauges of one gateway process."""

    def __init__(self, redis: Redis, config: Config, router: Router, metrics: Metrics, node_id: str) -> None:
        self.redis, self.config, self.router, self.metrics, self.node_id = redis, config, router, metrics, node_id
        # the label sets this process has set per tenant, to withdraw them when another process leads
        self._series: dict[str, set[tuple[Gauge, tuple[str, ...]]]] = {}

    async def sample(self) -> None:
        """One round: Redis reachability, then every tenant this process leads."""
        try:
            await self.redis.ping()
        except (RedisError, OSError):
            self.metrics.redis_up.set(0)
            return
        self.metrics.redis_up.set(1)
        health = await live_states(self.redis, self.config)
        for tenant in self.config.tenants:
            if await self._lead(tenant):
                await self._tenant(tenant, health)
            else:
                self._withdraw(tenant)

    async def _lead(self, tenant: str) -> bool:
        key, lease_ms = TenantKeys(tenant).leader("metrics"), int(SAMPLE_S * LEASE_PERIODS * 1000)
        if await self.redis.set(key, self.node_id, nx=True, px=lease_ms):
            return True
        if replies.maybe_text(await self.redis.get(key)) == self.node_id:
            await self.redis.pexpire(key, lease_ms)
            return True
        return False

    def _set(self, gauge: Gauge, labels: tuple[str, ...], value: float) -> None:
        gauge.labels(*labels).set(value)
        self._series.setdefault(labels[0], set()).add((gauge, labels))

    def _withdraw(self, tenant: str) -> None:
        for gauge, labels in self._series.pop(tenant, set()):
            try:
                gauge.remove(*labels)
            except KeyError:
                pass

    async def release(self) -> None:
        """Give up the leases this process holds, so a successor takes over at once (on stop)."""
        try:
            for tenant in list(self._series):
                key = TenantKeys(tenant).leader("metrics")
                if replies.maybe_text(await self.redis.get(key)) == self.node_id:
                    await self.redis.delete(key)
        except (RedisError, OSError):
            pass  # then the lease lapses by itself

    async def _tenant(self, tenant: str, health: dict[tuple[str, str], str]) -> None:
        m, keys, now = self.metrics, TenantKeys(tenant), time.time()
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.xlen(keys.webhooks_in())
            # handled entries are deleted, so the first is the oldest unhandled; its body may be any bytes
            pipe.execute_command("XRANGE", keys.webhooks_in(), "-", "+", "COUNT", 1, **{NEVER_DECODE: True})
            pipe.zcard(keys.outbox_due())
            pipe.zrange(keys.outbox_due(), 0, 0, withscores=True)
            pending, first, outbox, head = await pipe.execute()
        oldest = [int(bytes(entry_id).split(b"-")[0]) for entry_id, _ in first or ()]
        self._set(m.ingest_pending, (tenant,), int(pending))
        self._set(m.ingest_lag, (tenant,), max(0.0, now - oldest[0] / 1000) if oldest else 0.0)
        self._set(m.outbox_conversations, (tenant,), int(outbox))
        self._set(m.outbox_oldest_due, (tenant,), max(0.0, now - float(head[0][1])) if head else 0.0)

        engine = self.router.engine(tenant)  # counters and one field per agent, not the dashboard's snapshot
        for qid, queue in (await engine.queue_stats(now)).items():
            self._set(m.queue_waiting, (tenant, qid), queue["waiting"])
            self._set(m.queue_longest_wait, (tenant, qid), queue["longest_wait_s"])
            if queue["service_level"] is not None:
                self._set(m.queue_service_level, (tenant, qid), queue["service_level"])
        states: dict[str, int] = dict.fromkeys(("available", "away", "offline"), 0)
        for state in (await engine.agent_states()).values():
            states[state] = states.get(state, 0) + 1
        for state, count in states.items():
            self._set(m.agents, (tenant, state), count)

        for cid, channel in self.config.tenants[tenant].channels.items():
            up = channel_health(channel, health.get((tenant, cid))) == "ok"
            self._set(m.channel_up, (tenant, cid, channel.type), 1 if up else 0)


async def metrics_sampler_ctx(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: sample every ``SAMPLE_S`` in this process (after routing exists)."""
    sampler = MetricsSampler(app[K.REDIS], app[K.CONFIG], app[K.ROUTER], app[K.METRICS], app[K.NODE_ID])
    tasks = Background()
    tasks.every("metrics-sampler", SAMPLE_S, sampler.sample)
    yield
    await tasks.stop()
    await sampler.release()
