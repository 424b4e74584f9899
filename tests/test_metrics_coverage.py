"""/metrics covers every queue and loop: after real traffic through a running gateway the counters
and gauges an operator watches have moved (sockets per namespace, handler latency, routing
decisions, each offer outcome, requeues, queue and agent gauges, the webhook ingest stream, the
reply outbox, channel health), and a tenant's gauges come from exactly one of several processes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from conftest import DEMO_CONFIG, FIXTURES, Gateway, eventually, running_gateway
from prometheus_client.parser import text_string_to_metric_families

from bridges.telegram.inbound import SECRET_HEADER
from gateway import appkeys as K
from gateway import metrics_sampler
from gateway.app import create_app
from gateway.config import load_config

sys.path.insert(0, str(Path(__file__).resolve().parent / "bridges"))
from telegram_standin import TOKEN, StandIn, running  # noqa: E402

pytestmark = pytest.mark.timeout(60)

SECRET = "metrics-telegram-secret"


@pytest.fixture(autouse=True)
def fast_sampling(monkeypatch):
    monkeypatch.setattr(metrics_sampler, "SAMPLE_S", 0.1)


async def scrape(gw: Gateway) -> dict[tuple[str, frozenset], float]:
    """Every sample of /metrics by (name, labels)."""
    async with aiohttp.ClientSession() as http, http.get(f"{gw.url}/metrics") as r:
        assert r.status == 200
        text = await r.text()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text) for s in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    """The sample's value, 0 when it is not there (a counter never incremented)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


async def until(gw: Gateway, name: str, check, timeout: float = 10.0, **labels: str) -> float:
    """Wait until ``check(value)`` holds for that sample; returns the value."""
    async def ok():
        v = value(await scrape(gw), name, **labels)
        return (v,) if check(v) else None

    return (await eventually(ok, timeout=timeout))[0]


async def test_widget_traffic_moves_socket_routing_offer_and_queue_metrics(redis, redis_url):
    config = load_config(DEMO_CONFIG, env={})
    billing = config.tenants["demo"].queues["billing"]
    billing.decline_cooldown_s = 0  # a declined conversation comes straight back
    billing.offer_timeout_s["chat"] = 1.5  # and an unanswered offer expires quickly
    async with running_gateway(config, redis_url) as gw:
        before = await scrape(gw)
        assert value(before, "omnirelay_socket_connections", namespace="/visitor") == 0
        assert value(before, "omnirelay_redis_up") == 1 or await until(gw, "omnirelay_redis_up", lambda v: v == 1)

        anna, anna_in = await gw.agent("anna")
        await until(gw, "omnirelay_agents", lambda v: v >= 1, tenant="demo", state="available")
        visitor, _ = await gw.visitor()
        samples = await scrape(gw)
        assert value(samples, "omnirelay_socket_connections", namespace="/visitor") == 1
        assert value(samples, "omnirelay_socket_connections", namespace="/agent") == 1

        ack = await visitor.call("message", {"text": "My invoice is wrong", "client_id": "m1"}, namespace="/visitor")
        cid = ack["conversation_id"]
        first = await anna_in.next("offer")
        labels = {"tenant": "demo", "queue": "billing", "channel": "chat"}
        assert value(await scrape(gw), "omnirelay_offers_total", outcome="made", **labels) == 1
        await until(gw, "omnirelay_queue_waiting", lambda v: v == 1, tenant="demo", queue="billing")

        assert (await anna.call("decline", {"offer_id": first["offer_id"]}, namespace="/agent"))["ok"]
        second = await anna_in.next("offer", lambda o: o["offer_id"] != first["offer_id"])
        # not answered: it expires, and the conversation is offered a third time
        third = await anna_in.next("offer", lambda o: o["offer_id"] not in (first["offer_id"], second["offer_id"]))
        assert (await anna.call("accept", {"offer_id": third["offer_id"]}, namespace="/agent"))["ok"]
        samples = await scrape(gw)
        assert value(samples, "omnirelay_offers_total", outcome="made", **labels) == 3
        assert value(samples, "omnirelay_offers_total", outcome="declined", **labels) == 1
        assert value(samples, "omnirelay_offers_total", outcome="expired", **labels) == 1
        assert value(samples, "omnirelay_offers_total", outcome="accepted", **labels) == 1
        assert value(samples, "omnirelay_routing_decisions_total", tenant="demo", op="accept") == 1
        assert value(samples, "omnirelay_routing_decisions_total", tenant="demo", op="submit") == 1
        assert value(samples, "omnirelay_routing_decisions_total", tenant="demo", op="tick") > 0
        assert value(samples, "omnirelay_socket_handler_seconds_count", namespace="/visitor", event="message") == 1
        assert value(samples, "omnirelay_socket_handler_seconds_count", namespace="/agent", event="accept") == 1
        await until(gw, "omnirelay_queue_waiting", lambda v: v == 0, tenant="demo", queue="billing")

        await anna.call("message", {"conversation_id": cid, "text": "Let me look", "client_id": "a1"}, namespace="/agent")
        samples = await scrape(gw)
        assert value(samples, "omnirelay_messages_total", tenant="demo", author="visitor") == 1
        assert value(samples, "omnirelay_messages_total", tenant="demo", author="agent") == 1

        # the agent leaves: the conversation goes back in line
        assert (await anna.call("state", {"state": "offline"}, namespace="/agent"))["state"] == "offline"
        await until(gw, "omnirelay_requeued_total", lambda v: v == 1, tenant="demo", queue="billing",
                    reason="agent_offline")
        await until(gw, "omnirelay_queue_waiting", lambda v: v == 1, tenant="demo", queue="billing")
        await until(gw, "omnirelay_agents", lambda v: v == 0, tenant="demo", state="available")

        await visitor.disconnect()
        await until(gw, "omnirelay_socket_connections", lambda v: v == 0, namespace="/visitor")
        assert value(await scrape(gw), "omnirelay_socket_connections", namespace="/agent") == 1


@contextlib.asynccontextmanager
async def gateway_with(config, redis_url: str, **app_keys) -> AsyncIterator[Gateway]:
    """A gateway whose app has these keys set before it starts (a test's own inbound handler)."""
    app = create_app(config, redis_url=redis_url)
    for key, item in app_keys.items():
        app[getattr(K, key)] = item
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server(shutdown_timeout=config.server.shutdown_timeout_s)
    gw = Gateway(server)
    try:
        yield gw
    finally:
        await gw.close()
        await server.close()


def telegram_update(update_id: int) -> bytes:
    body = json.loads((FIXTURES / "telegram_text.json").read_text())["payload"]
    body["update_id"] = update_id
    return json.dumps(body).encode()


async def test_ingest_stream_depth_and_lag_show_a_stalled_worker_and_fall_once_it_is_done(redis, redis_url):
    config = load_config(DEMO_CONFIG, env={"TELEGRAM_SECRET": SECRET, "TELEGRAM_TOKEN": TOKEN})
    release, handled = asyncio.Event(), []

    async def stalled(tenant, channel, event):  # the conversation service, stuck (a slow database, say)
        await release.wait()
        handled.append(event)

    async with gateway_with(config, redis_url, INBOUND_HANDLER=stalled) as gw, aiohttp.ClientSession() as http:
        for update_id in (1001, 1002):
            async with http.post(f"{gw.url}/webhooks/telegram/telegram", data=telegram_update(update_id),
                                 headers={SECRET_HEADER: SECRET}) as r:
                assert r.status == 200
        await until(gw, "omnirelay_ingest_pending", lambda v: v == 2, tenant="demo")
        lag = await until(gw, "omnirelay_ingest_lag_seconds", lambda v: v >= 0.5, tenant="demo")
        assert lag < 30
        release.set()
        await eventually(lambda: len(handled) == 2)
        await until(gw, "omnirelay_ingest_pending", lambda v: v == 0, tenant="demo")
        assert value(await scrape(gw), "omnirelay_ingest_lag_seconds", tenant="demo") == 0


async def test_outbox_depth_while_the_platform_asks_to_wait_and_channel_health_when_it_refuses_the_token(redis, redis_url):
    async with running(StandIn()) as api:
        env = {"TELEGRAM_API_BASE": api.url, "TELEGRAM_SECRET": SECRET, "TELEGRAM_TOKEN": TOKEN}
        async with running_gateway(load_config(DEMO_CONFIG, env=env), redis_url) as gw, aiohttp.ClientSession() as http:
            await until(gw, "omnirelay_channel_up", lambda v: v == 1, tenant="demo", channel="telegram", type="telegram")
            ben, ben_in = await gw.agent("ben")
            async with http.post(f"{gw.url}/webhooks/telegram/telegram", data=telegram_update(2001),
                                 headers={SECRET_HEADER: SECRET}) as r:
                assert r.status == 200
            offer = await ben_in.next("offer", timeout=10)
            accepted = await ben.call("accept", {"offer_id": offer["offer_id"]}, namespace="/agent")
            cid = accepted["conversation"]["conversation_id"]

            # Telegram asks us to wait: the reply waits in the outbox, then goes out
            api.answer("sendMessage", 429, {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 2",
                                            "parameters": {"retry_after": 2}}, {"Retry-After": "2"})
            await ben.call("message", {"conversation_id": cid, "text": "One moment", "client_id": "r1"}, namespace="/agent")
            await until(gw, "omnirelay_outbox_conversations", lambda v: v == 1, tenant="demo")
            await eventually(lambda: api.sent_texts() == ["One moment"], timeout=10)
            await until(gw, "omnirelay_outbox_conversations", lambda v: v == 0, tenant="demo")
            samples = await scrape(gw)
            assert value(samples, "omnirelay_outbound_total", type="telegram", outcome="not_ready") == 1
            assert value(samples, "omnirelay_outbound_total", type="telegram", outcome="sent") == 1

            # the token is refused: the channel is down
            api.answer("sendMessage", 401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
            await ben.call("message", {"conversation_id": cid, "text": "Still there?", "client_id": "r2"}, namespace="/agent")
            await until(gw, "omnirelay_channel_up", lambda v: v == 0, tenant="demo", channel="telegram", type="telegram")


async def test_a_tenants_gauges_come_from_one_process_and_another_takes_over_when_it_stops(redis, redis_url):
    config = load_config(DEMO_CONFIG, env={})
    series = ("omnirelay_queue_waiting", frozenset({"tenant": "demo", "queue": "billing"}.items()))
    async with contextlib.AsyncExitStack() as first_stack, contextlib.AsyncExitStack() as second_stack:
        first = await first_stack.enter_async_context(running_gateway(config, redis_url))
        second = await second_stack.enter_async_context(running_gateway(config, redis_url))
        await until(first, "omnirelay_redis_up", lambda v: v == 1)
        await until(second, "omnirelay_redis_up", lambda v: v == 1)
        await asyncio.sleep(0.5)  # several rounds of both
        led = [series in await scrape(gw) for gw in (first, second)]
        assert sorted(led) == [False, True], led  # exactly one of the two exports the tenant's series
        pairs = [(first, first_stack), (second, second_stack)]
        leader_stack, other = pairs[led.index(True)][1], pairs[led.index(False)][0]
        await leader_stack.aclose()  # the leader stops: the other takes the tenant's gauges over

        async def took_over():
            return series in await scrape(other)

        await eventually(took_over, timeout=5)
