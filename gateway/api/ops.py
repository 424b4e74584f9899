"""GET /healthz and GET /metrics."""

from __future__ import annotations

import ipaddress

from aiohttp import web
from redis.exceptions import RedisError

from gateway.api.client_address import client_address, is_trusted_proxy
from gateway.appkeys import CONFIG, EVENT_WEBHOOKS, HISTORY, METRICS, NODE_ID, REDIS
from gateway.channels_health import channel_health, live_states
from gateway.crm import health as crm_health

routes = web.RouteTableDef()


def _operator(request: web.Request) -> bool:
    """Loopback and the trusted load balancers (their own health checks) see channel details;
    anybody else only the overall state (channel ids name tenants and their setup)."""
    address = client_address(request)
    try:
        if ipaddress.ip_address(address).is_loopback:
            return True
    except ValueError:
        return False
    return is_trusted_proxy(request, address)


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    config = request.config_dict[CONFIG]
    live = await live_states(request.config_dict[REDIS], config) if _operator(request) else {}
    channels = {
        f"{tid}/{cid}" if len(config.tenants) > 1 else cid: {"type": ch.type, "health": channel_health(ch, live.get((tid, cid)))}
        for tid, t in config.tenants.items()
        for cid, ch in t.channels.items()
    } if _operator(request) else {}
    try:
        await request.config_dict[REDIS].ping()
        redis_ok = True
    except (RedisError, OSError):
        redis_ok = False
    body: dict[str, object] = {
        "status": "ok" if redis_ok else "unavailable",
        "redis": "ok" if redis_ok else "unreachable",
        "node": request.config_dict[NODE_ID],
        "channels": channels,
    }
    if _operator(request) and redis_ok:  # the tenants' CRM lookups (gateway/crm), like the channels
        body["crm"] = await crm_health.states(request.config_dict[REDIS], config)
    hooks = request.config_dict.get(EVENT_WEBHOOKS)
    if _operator(request) and hooks is not None and hooks.lag.health():  # measured in the background: no call here
        body["event_webhooks"] = hooks.lag.health()  # "lagging": near the ACD log's bound (docs/webhooks.md)
    history = request.config_dict.get(HISTORY)
    if history is not None and redis_ok:  # live service goes on without it: said, not a 503
        body["history"] = state = await history.status()
        if state["database"] != "ok":
            body["status"] = "degraded"

    return web.json_response(body, status=200 if redis_ok else 503)


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    return web.Response(body=request.config_dict[METRICS].render(), content_type="text/plain", charset="utf-8")
