"""Supervisors' Slack alerts (gateway/alerts): each incident posted once, however many checks and
gateway processes see it, and answered in its own thread when it has stayed resolved. Real gateways on a
real Redis, a local stand-in for Slack's Web API."""

from __future__ import annotations

import asyncio

import pytest
from conftest import DEMO_CONFIG, eventually, running_gateway
from slack_standin import SECRET, TOKEN, SlackStandIn, running

from bridges.base import Health
from gateway.alerts.conditions import FailedCallback, incidents
from gateway.channels_health import report
from gateway.config import load_config
from gateway.config.loader import ConfigError
from gateway.config.schema import AlertsConfig

pytestmark = pytest.mark.timeout(90)
ALERTS = "C0ALERTS"


def alerts_config(api: SlackStandIn, **alerts):
    config = load_config(DEMO_CONFIG, env={"SLACK_API_BASE": api.url, "SLACK_BOT_TOKEN": TOKEN,
                                           "SLACK_SIGNING_SECRET": SECRET})
    a = config.tenants["demo"].alerts
    a.slack_channel, a.check_s, a.resolve_after_s, a.service_level = ALERTS, 0.2, 0.6, False
    a.longest_wait_s, a.offline_with_work_s, a.language = 1.0, 3600.0, "en"
    for name, value in alerts.items():
        setattr(a, name, value)
    return config


def posted(api: SlackStandIn, needle: str) -> list:
    return [c for c in api.posts(ALERTS) if needle in c.body.get("text", "")]


async def test_a_long_wait_is_posted_once_by_two_gateways_and_resolved_in_its_thread(redis, redis_url):
    async with running(SlackStandIn()) as api:
        config = alerts_config(api)
        async with running_gateway(config, redis_url) as gw, running_gateway(alerts_config(api), redis_url):
            visitor, _ = await gw.visitor(topic="billing", language="en", name="Walter Waiting")
            ack = await visitor.call("message", {"text": "My bill is wrong", "client_id": "w1"}, namespace="/visitor",
                                     timeout=10)
            assert "error" not in ack
            # nobody is logged in: past 1 s the wait is an incident
            alert = (await eventually(lambda: posted(api, "has waited") or None, timeout=15))[0]
            assert "*Billing*" in alert.body["text"] and alert.body["metadata"]["event_type"] == "omnirelay_alert"
            await asyncio.sleep(1.5)  # several checks of both processes later: still one post
            assert len(posted(api, "has waited")) == 1
            assert not posted(api, "Resolved")

            # the customer leaves: nothing waits any more; after resolve_after_s the thread gets its answer
            await visitor.call("close", {"conversation_id": ack["conversation_id"]}, namespace="/visitor", timeout=10)
            resolved = (await eventually(lambda: posted(api, "Resolved after") or None, timeout=15))[0]
            assert resolved.body["thread_ts"] == alert.ts
            await asyncio.sleep(1.0)
            assert len(posted(api, "Resolved after")) == 1 and len(posted(api, "has waited")) == 1
            assert await redis.hlen("t:{demo}:alerts:open") == 0


async def test_a_channel_refused_by_its_platform_is_an_incident_until_it_works_again(redis, redis_url):
    async with running(SlackStandIn()) as api, running_gateway(alerts_config(api), redis_url):
        await report(redis, "demo", "telegram", Health.AUTH_FAILED)
        alert = (await eventually(lambda: posted(api, "Channel *telegram* is not working") or None, timeout=10))[0]
        assert "refuses our credentials" in alert.body["text"]
        await report(redis, "demo", "telegram", Health.OK)
        resolved = (await eventually(lambda: posted(api, "Resolved after") or None, timeout=10))[0]
        assert resolved.body["thread_ts"] == alert.ts


async def test_a_post_slack_refuses_is_tried_again_and_then_posted_once(redis, redis_url):
    async with running(SlackStandIn()) as api:
        api.answer("chat.postMessage", 200, {"ok": False, "error": "internal_error"})
        api.answer("chat.postMessage", 200, {"ok": False, "error": "internal_error"})
        async with running_gateway(alerts_config(api), redis_url):
            await report(redis, "demo", "telegram", Health.TRANSIENT_ERROR)
            await eventually(lambda: posted(api, "Channel *telegram*") and
                             [c for c in posted(api, "Channel *telegram*") if c.ts] or None, timeout=10)
            await asyncio.sleep(0.8)
            assert len([c for c in posted(api, "Channel *telegram*") if c.ts]) == 1  # one that Slack took
            assert len(posted(api, "Channel *telegram*")) == 3  # two refused, then the one


async def test_an_incident_back_before_it_counted_as_resolved_is_the_same_incident(redis, redis_url):
    async with running(SlackStandIn()) as api, running_gateway(alerts_config(api, resolve_after_s=2.0), redis_url):
        await report(redis, "demo", "telegram", Health.AUTH_FAILED)
        await eventually(lambda: posted(api, "Channel *telegram*") or None, timeout=10)
        await report(redis, "demo", "telegram", Health.OK)
        await asyncio.sleep(0.6)  # clear for less than resolve_after_s
        await report(redis, "demo", "telegram", Health.AUTH_FAILED)
        await asyncio.sleep(2.5)
        assert len(posted(api, "Channel *telegram*")) == 1 and not posted(api, "Resolved")


def test_the_conditions_name_each_incident_once() -> None:
    cfg = AlertsConfig(slack_channel=ALERTS, min_contacts=5, longest_wait_s=60, offline_with_work_s=30)
    snapshot = {"queues": [
        {"id": "billing", "name": "Billing", "service_level": 0.5, "sla_target": 0.8, "answered": 8, "abandoned": 2,
         "longest_wait_s": 90, "waiting": 3, "open": True},
        {"id": "sales", "name": "Sales", "service_level": 0.1, "sla_target": 0.8, "answered": 2, "abandoned": 1,
         "longest_wait_s": 900, "waiting": 1, "open": False},  # too few contacts; closed: waits for the opening
    ], "agents": [
        {"id": "anna", "name": "Anna", "state": "offline", "state_since": 0, "load": {"chat": 2}},
        {"id": "ben", "name": "Ben", "state": "offline", "state_since": 990, "load": {"chat": 1}},  # only 10 s
        {"id": "cleo", "name": "Cleo", "state": "available", "state_since": 0, "load": {"chat": 3}},
    ]}
    found = incidents(cfg, snapshot, {"telegram": "auth_failed", "whatsapp": ""},
                      [FailedCallback("cb1", "billing", "+4930123", 3, False),
                       FailedCallback("cb2", "billing", "+4930999", 3, True)], now=1000.0)
    assert sorted(found) == ["callback:cb1", "health:telegram", "offline:anna", "sla:billing", "wait:billing"]
    assert found["sla:billing"].figures == {"level": 0.5, "target": 0.8, "contacts": 10}


def test_an_alert_channel_that_also_mirrors_a_queue_is_refused() -> None:
    text = DEMO_CONFIG.read_text() if hasattr(DEMO_CONFIG, "read_text") else open(DEMO_CONFIG).read()
    config = load_config(DEMO_CONFIG, env={})
    mirrored = next(q.slack_channel for q in config.tenants["demo"].queues.values() if q.slack_channel)
    text = text.replace("    crm:\n", f"    alerts:\n      slack_channel: {mirrored}\n    crm:\n", 1)
    from gateway.config.loader import load_config_text
    with pytest.raises(ConfigError, match="alerts need a channel of their own"):
        load_config_text(text, env={})


def test_an_alert_is_written_in_the_tenants_language_and_shows_names_as_text() -> None:
    from gateway.alerts.conditions import Incident
    from gateway.alerts.texts import alert_text, resolved_text

    wait = Incident("wait:q", "wait", "<!channel> *VIP* & co", {"wait_s": 125, "threshold_s": 60, "waiting": 2})
    assert alert_text(wait, "en") == (":hourglass: A customer in queue *&lt;!channel&gt; VIP &amp; co* has waited "
                                      "2 min, longer than 1 min (2 waiting).")
    assert "wartet seit 2 min" in alert_text(wait, "de")
    assert resolved_text(3725, "de") == ":white_check_mark: Behoben nach 1 h 2 min."



async def test_a_reply_in_an_alert_thread_reaches_no_customer_and_is_told_so(redis, redis_url):
    """The alerts channel is for alerts only: a linked agent's reply (or note) in an alert's thread stores
    nothing, queues nothing for any customer, fails no delivery, and the agent is told why (ephemerally)."""
    import aiohttp
    from slack_standin import signed, thread_reply

    from gateway.appkeys import SLACK
    from gateway.keys import TenantKeys

    keys = TenantKeys("demo")
    async with running(SlackStandIn()) as api:
        api.add_user("U_BEN", "ben@demo.example", name="Ben B")
        config = alerts_config(api)
        config.tenants["demo"].agents["ben"].email = "ben@demo.example"
        async with running_gateway(config, redis_url) as gw, aiohttp.ClientSession() as http:
            await eventually(lambda: ("demo", "slack") in gw.app[SLACK].apps.identity, timeout=10)
            token = (await gw.login("ben"))["token"]
            async with http.post(f"{gw.url}/api/v1/slack/links", json={},
                                 headers={"Authorization": f"Bearer {token}"}) as r:
                assert r.status == 200, await r.text()
            # a customer is waiting (and their conversation is mirrored): the alert's thread is no way to them
            visitor, _ = await gw.visitor(topic="tech", language="en", name="Walter Waiting")
            ack = await visitor.call("message", {"text": "Hello?", "client_id": "w1"}, namespace="/visitor", timeout=10)
            cid = ack["conversation_id"]
            alert = (await eventually(lambda: posted(api, "has waited") or None, timeout=15))[0]

            async def state() -> tuple:
                outboxes = await redis.keys(keys.outbox("*"))
                return (await redis.xrange(keys.conv_messages(cid)), await redis.hgetall(keys.conv(cid)), outboxes,
                        await redis.hlen(keys.conv_client_ids(cid)))

            before = await state()
            for n, text in enumerate(("on it, I will call the customer", "note: checked the queue")):
                reply = thread_reply(ALERTS, alert.ts, f"1800000000.00010{n}", "U_BEN", text, f"EvA{n}")
                async with http.post(f"{gw.url}/webhooks/slack/slack", data=reply, headers=signed(reply)) as r:
                    assert r.status == 200
            told = await eventually(lambda: len(api.of("chat.postEphemeral")) >= 2 and api.of("chat.postEphemeral"),
                                    timeout=10)
            assert {(c.body["user"], c.body["channel"], c.body["thread_ts"]) for c in told} == {
                ("U_BEN", ALERTS, alert.ts)}
            assert "for supervisors' alerts only" in told[0].body["text"]
            # handled without an error (a failing delivery would stay in the stream for its retry)
            await eventually(lambda: _handled(redis, keys), timeout=10)
            await asyncio.sleep(0.5)
            assert await state() == before  # nothing stored, nothing queued for a customer
            assert len(api.of("chat.postEphemeral")) == 2
            assert not [c for c in api.posts() if c.body.get("thread_ts") == alert.ts]  # nothing posted in it either


async def _handled(redis, keys) -> bool:
    return await redis.xlen(keys.webhooks_in()) == 0
