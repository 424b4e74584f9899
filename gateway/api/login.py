"""POST /api/v1/login, /logout; GET /api/v1/me."""

from __future__ import annotations

from aiohttp import web

from gateway.api.auth_helpers import json_body, json_error, principal
from gateway.api.client_address import client_address
from gateway.appkeys import CONFIG, REDIS, SESSIONS
from gateway.auth import AuthError
from gateway.keys import TenantKeys
from gateway.ratelimit import allow

routes = web.RouteTableDef()


@routes.post("/api/v1/login")
async def login(request: web.Request) -> web.Response:
    data = await json_body(request)
    username, password, tenant = data.get("username"), data.get("password"), data.get("tenant")
    if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
        return json_error(400, "bad_request", "'username' and 'password' are required")
    if tenant is not None and not isinstance(tenant, str):
        return json_error(400, "bad_request", "'tenant' must be a string")
    config = request.config_dict[CONFIG]
    limit_keys = TenantKeys(tenant or "_login")
    peer = client_address(request)
    if not await allow(request.config_dict[REDIS], limit_keys, f"login:{username}:{peer}", config.limits.login_attempts_per_min, 60):
        return json_error(429, "rate_limited", "too many login attempts; wait a minute")
    try:
        token, who = await request.config_dict[SESSIONS].login(username, password, tenant)
    except AuthError:
        return json_error(401, "unauthorized", "wrong username or password")
    return web.json_response({
        "token": token, "role": who.role, "agent_id": who.user_id if who.role == "agent" else None,
        "user_id": who.user_id, "tenant": who.tenant, "name": who.name, "expires_at": who.expires_at,
    })


@routes.post("/api/v1/logout")
async def logout(request: web.Request) -> web.Response:
    who = await principal(request)
    await request.config_dict[SESSIONS].logout(who)
    return web.json_response({"ok": True})


@routes.get("/api/v1/me")
async def me(request: web.Request) -> web.Response:
    who = await principal(request)
    return web.json_response({
        "user_id": who.user_id, "role": who.role, "tenant": who.tenant, "name": who.name, "expires_at": who.expires_at,
    })
