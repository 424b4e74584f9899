"""The alert loop in the app (after the bridges: alerts go out through the tenant's Slack app)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from bridges.slack.bridge import SlackBridge
from bridges.slack.client import SlackClient
from gateway import appkeys as K
from gateway.alerts.service import Alerts

LOOP_S = 1.0  # each tenant is checked every alerts.check_s; the loop only looks whether one is due


async def alerts_ctx(app: web.Application) -> AsyncIterator[None]:
    def client_for(tenant: str, app_id: str) -> SlackClient | None:
        channel = app[K.BRIDGED].get(tenant, app_id)
        bridge = channel.bridge if channel is not None else None
        return bridge.client if isinstance(bridge, SlackBridge) else None

    alerts = Alerts(app[K.CONFIG], app[K.ROUTER], client_for, app[K.NODE_ID], app[K.METRICS])
    app[K.ALERTS] = alerts
    if any(t.alerts.slack_channel for t in app[K.CONFIG].tenants.values()):
        app[K.BACKGROUND].every("supervisor-alerts", LOOP_S, alerts.check_all)
    yield
