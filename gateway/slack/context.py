"""The Slack agent surface in the app: two cleanup_ctx entries around the bridges' own.

``slack_hooks_ctx`` (before ``bridges_ctx``) puts itself in front of the conversation service's two
callables, so the ingest worker hands slack channels' events to the surface from its first delivery
on, and a reply written in Slack remembers the customer platform's id of it (for edits).
``slack_ctx`` (after it) proves each app's token and starts the mirror of every mirrored tenant.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from bridges.events import Event
from gateway import appkeys as K
from gateway.background import Background
from gateway.conversations.bridged import bridged_event
from gateway.conversations.outbound import report_delivery
from gateway.keys import TenantKeys
from gateway.outbound import DeliveryReport, Outcome
from gateway.slack.apps import SlackApps
from gateway.slack.mirror import Mirror, mirrored_tenants
from gateway.slack.pacing import shared_spacer
from gateway.slack.surface import SlackSurface

SENT_TTL_S = 30 * 24 * 3600


async def slack_hooks_ctx(app: web.Application) -> AsyncIterator[None]:
    svc = app[K.SERVICES]
    # `is None`, not `or`: a handler may be an object that is falsy (a test's recording list)
    inner_handle = app.get(K.INBOUND_HANDLER)
    if inner_handle is None:
        inner_handle = lambda t, c, e: bridged_event(svc, t, c, e)  # noqa: E731
    inner_report = app.get(K.DELIVERY_REPORTER)
    if inner_report is None:
        inner_report = lambda r: report_delivery(svc, r)  # noqa: E731

    async def handle(tenant: str, channel: str, event: Event) -> None:
        channel_config = svc.config.tenants[tenant].channels.get(channel)
        if channel_config is None or channel_config.type != "slack":
            await inner_handle(tenant, channel, event)
            return
        surface = app.get(K.SLACK)
        if surface is None:  # the surface starts right after the bridges: the delivery waits and is retried
            raise RuntimeError("the slack surface is not running yet")
        await surface.handle(tenant, channel, event)

    async def report(outcome: DeliveryReport) -> None:
        await inner_report(outcome)
        if outcome.outcome is Outcome.SENT and outcome.platform_id and outcome.client_id.startswith("slack:"):
            await svc.redis.set(TenantKeys(outcome.tenant).slack_sent(outcome.client_id), outcome.platform_id,
                                ex=SENT_TTL_S)

    app[K.INBOUND_HANDLER] = handle
    app[K.DELIVERY_REPORTER] = report
    yield


async def slack_ctx(app: web.Application) -> AsyncIterator[None]:
    svc = app[K.SERVICES]
    apps = SlackApps(app[K.REDIS], app[K.BRIDGED])
    mirror = Mirror(app[K.REDIS], app[K.CONFIG], apps, app[K.NODE_ID])
    apps.on_ready = mirror.start_group
    app[K.SLACK] = SlackSurface(svc, apps, mirror)
    tasks = Background()
    for tenant in app[K.CONFIG].tenants:
        for app_id in apps.of_tenant(tenant):
            bridge = apps.app(tenant, app_id)
            if bridge is not None:  # posts to a channel are paced across every process (alerts' too)
                bridge.client.spacer = shared_spacer(app[K.REDIS], tenant, app_id)
            tasks.start(f"slack-auth:{tenant}:{app_id}", apps.prove(tenant, app_id))
    for tenant in mirrored_tenants(app[K.CONFIG]):
        tasks.start(f"slack-mirror:{tenant}", mirror.run(tenant))
    yield
    await tasks.stop()
