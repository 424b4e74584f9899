"""Tenant data for the front ends: widget config (public), canned answers and directory (logged in)."""

from __future__ import annotations

import datetime as dt
import time

from aiohttp import web

from gateway.api.auth_helpers import json_error, principal
from gateway.appkeys import CONFIG, METRICS, ROUTER
from gateway.hours.schedule import hours_for, next_open
from gateway.sockets.origin import ANY, origin_allowed, tenant_origins

routes = web.RouteTableDef()
WRAPUP_CODES = ["resolved", "follow-up", "no-response", "spam", "other"]


@routes.get("/api/v1/widget/config")
async def widget_config(request: web.Request) -> web.Response:
    config = request.config_dict[CONFIG]
    tenant = config.tenants.get(request.query.get("tenant", ""))
    if tenant is None:
        return json_error(404, "unknown_tenant", "unknown tenant")
    origin = request.headers.get("Origin")
    if not origin_allowed(config, origin, request.host, tenant):  # widget.allowed_origins (gateway/sockets/origin.py)
        request.config_dict[METRICS].rejected.labels("origin_not_allowed").inc()
        refused = json_error(403, "origin_not_allowed", "this page's origin may not open this tenant's chat")
        refused.headers["Access-Control-Allow-Origin"] = "*"  # so the widget on that page can read why
        return refused
    online = await request.config_dict[ROUTER].engine(tenant.id).agents_online()  # public: no snapshot
    now = dt.datetime.now(dt.UTC)
    opens = next_open(hours_for(request.config_dict[CONFIG], tenant.id, None), now)
    return web.json_response({
        "tenant": tenant.id, "name": tenant.name, "languages": tenant.languages,
        "topics": [{"id": t.id, "label": t.label or {lang: t.id for lang in tenant.languages}} for t in tenant.topics.values()],
        "long_wait_s": tenant.widget.long_wait_s, "greeting": tenant.widget.greeting, "agents_online": online,
        # business hours: outside them the widget shows the offline form instead of the chat
        "open": opens == now, "next_open": None if opens is None or opens == now else opens.isoformat(),
        "message_chars": request.config_dict[CONFIG].limits.message_chars,
        "upload_bytes": request.config_dict[CONFIG].limits.upload_bytes,
        "upload_types": request.config_dict[CONFIG].limits.upload_types,
        "look": {"colour": tenant.widget.colour or None, "logo_url": tenant.widget.logo_url or None,
                 "position": tenant.widget.position, "launcher_text": tenant.widget.launcher_text,
                 "privacy_notice": tenant.widget.privacy_notice},
    }, headers={"Access-Control-Allow-Origin": "*" if tenant_origins(tenant) is ANY or not origin else origin,
                "Vary": "Origin"})


@routes.get("/api/v1/canned")
async def canned(request: web.Request) -> web.Response:
    who = await principal(request)
    tenant = request.config_dict[CONFIG].tenants[who.tenant]
    return web.json_response([{"id": c.id, "title": c.title, "text": c.text, "language": c.language, "topic": c.topic}
                              for c in tenant.canned])


@routes.get("/api/v1/directory")
async def directory(request: web.Request) -> web.Response:
    who = await principal(request)
    tenant = request.config_dict[CONFIG].tenants[who.tenant]
    snapshot = await request.config_dict[ROUTER].engine(who.tenant).snapshot(now=time.time())
    states = {a["id"]: a["state"] for a in snapshot["agents"]}
    return web.json_response({
        "queues": [{"id": q.id, "name": q.name or q.id} for q in tenant.queues.values()],
        # a disabled agent can take nothing: no transfer target
        "agents": [{"id": a.id, "name": a.name, "state": states.get(a.id, "offline")}
                   for a in tenant.agents.values() if not a.disabled],
        "wrapup_codes": WRAPUP_CODES,
    })
