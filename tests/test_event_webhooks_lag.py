"""The ACD event log trims itself to ``evmax`` entries, so the webhooks must not fall that far behind:
how far they are is a gauge and a line in /healthz, "lagging" from half the bound on, back to "ok"
once the consumer has caught up."""

from __future__ import annotations

import aiohttp
import pytest
from conftest import running_gateway
from event_webhook_helpers import Admin, fast_config

from acd.keys import AcdKeys
from gateway import appkeys as K
from gateway.event_webhooks.consumer import Consumer

pytestmark = pytest.mark.timeout(60)
ACD = AcdKeys("demo")


async def _get(url: str) -> tuple[dict, str]:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{url}/healthz") as r:
            health = await r.json()
        async with http.get(f"{url}/metrics") as r:
            return health, await r.text()


async def test_a_consumer_near_the_acd_logs_bound_shows_as_lagging_and_recovers(redis, redis_url):
    async with running_gateway(fast_config(), redis_url) as gw:
        service = gw.app[K.EVENT_WEBHOOKS]
        health, _ = await _get(gw.url)
        assert "event_webhooks" not in health  # no subscription: nothing to watch
        await service.stop()  # no process of ours reads: the group falls behind
        admin = await Admin.login(gw.url)
        await admin.subscribe("https://example.com/hook", events=["rating.given"])
        await redis.hset(ACD.cfg(), "evmax", 10)
        for _ in range(6):
            await redis.xadd(ACD.events(), {"ev": "noop"})

        await service.lag.measure()
        health, metrics = await _get(gw.url)
        assert health["status"] == "ok"  # routing goes on: said, not an outage
        assert health["event_webhooks"]["demo"] == {"state": "lagging", "acd_lag": 6, "acd_log_max": 10}
        assert 'omnirelay_event_webhook_acd_lag{tenant="demo"} 6.0' in metrics

        consumer = Consumer(redis, "demo", "by-hand", claim_idle_s=30)
        while await consumer.step(">"):
            pass
        await service.lag.measure()
        health, metrics = await _get(gw.url)
        assert health["event_webhooks"]["demo"] == {"state": "ok", "acd_lag": 0, "acd_log_max": 10}
        assert 'omnirelay_event_webhook_acd_lag{tenant="demo"} 0.0' in metrics
