"""POST /api/v1/login, /logout; GET /api/v1/me."""

from __future__ import annotations

import hashlib
import logging
import math
import re
import time

from aiohttp import web

from gateway.api.auth_helpers import json_body, json_error, principal
from gateway.api.client_address import address_subject, client_address
from gateway.appkeys import CONFIG, METRICS, REDIS, SERVICES, SESSIONS
from gateway.audit import audit
from gateway.auth import AuthError, LoginBusy, Principal, find_user
from gateway.keys import TenantKeys
from gateway.live_sessions import end_session
from gateway.ratelimit import wait_s

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

USERNAME_MAX = 64
PASSWORD_MAX = 1024
_TENANT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_LIMITS = TenantKeys("_login")  # login limits live outside every tenant: the tenant is not known yet


def _credentials(data: dict) -> tuple[str, str, str | None] | web.Response:
    """(username, password, tenant) when every field is bounded and well-formed, else the 400 to send."""
    username, password, tenant = data.get("username"), data.get("password"), data.get("tenant")
    if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
        return json_error(400, "bad_request", "'username' and 'password' are required strings")
    if len(username) > USERNAME_MAX:
        return json_error(400, "too_long", f"'username' has more than {USERNAME_MAX} characters")
    if len(password) > PASSWORD_MAX:
        return json_error(400, "too_long", f"'password' has more than {PASSWORD_MAX} characters")
    if tenant is not None and (not isinstance(tenant, str) or not _TENANT_ID.fullmatch(tenant)):
        return json_error(400, "bad_tenant", "'tenant' must be a tenant id: 1-64 of A-Z a-z 0-9 _ -")
    return username, password, tenant


def _account(found, username: str, tenant: str | None) -> str:
    """The rate-limit subject of a login: the resolved account ``found`` (the same with or without
    'tenant'), or a hash of what was typed when it names no account, so no raw input reaches a Redis key."""
    if found is not None:
        return f"acct:{found[0].id}:{username}"
    return "name:" + hashlib.sha256(f"{tenant or ''}\0{username}".encode("utf-8", "surrogatepass")).hexdigest()[:24]


@routes.post("/api/v1/login")
async def login(request: web.Request) -> web.Response:
    checked = _credentials(await json_body(request))
    if isinstance(checked, web.Response):
        return checked
    username, password, tenant = checked
    config, redis = request.config_dict[CONFIG], request.config_dict[REDIS]
    peer = address_subject(client_address(request))
    known = find_user(config, username, tenant)
    account = _account(known, username, tenant)
    limits = config.limits
    # one budget per address across all usernames (a spray), one per account across all addresses (a
    # guess spread over many), and one per account and address (a guess); the same for every name typed,
    # whether it names an account or not, so a 429 tells nothing about which accounts exist
    for scope, subject, limit in (("address", f"login:addr:{peer}", limits.login_attempts_per_address_per_min),
                                  ("account", f"login:{account}", limits.login_attempts_per_account_per_min),
                                  ("account_address", f"login:{account}:{peer}", limits.login_attempts_per_min)):
        wait = await wait_s(redis, _LIMITS, subject, limit, 60)
        if wait:
            request.config_dict[METRICS].rejected.labels("login_rate_limited").inc()
            await _refused(redis, known, username, peer, "login.rate_limited", {"scope": scope}, once_per=subject)
            response = json_error(429, "rate_limited", "too many login attempts; wait before trying again")
            response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
            return response
    try:
        token, who = await request.config_dict[SESSIONS].login(username, password, tenant)
    except LoginBusy as err:
        request.config_dict[METRICS].rejected.labels("login_busy").inc()
        response = json_error(429, "busy", str(err))
        response.headers["Retry-After"] = "1"
        return response
    except AuthError:
        await _refused(redis, known, username, peer, "login.failed", {})
        return json_error(401, "unauthorized", "wrong username or password")
    await audit(redis, TenantKeys(who.tenant), who, "login", {})
    return web.json_response({
        "token": token, "role": who.role, "agent_id": who.user_id if who.role == "agent" else None,
        "user_id": who.user_id, "tenant": who.tenant, "name": who.name, "expires_at": who.expires_at,
        "admin": _is_admin(config, who),
    })


async def _refused(redis, known, username: str, peer: str, action: str, details: dict, once_per: str = "") -> None:
    """Audit a refused login of an existing account in its tenant (a name of no account has no tenant
    to tell: it is logged, without the name). ``once_per``: one entry per limit and window, not per attempt."""
    if once_per and not await redis.set(_LIMITS.rate(f"audited:{once_per}", int(time.time() // 60)), "1", nx=True, ex=120):
        return
    if known is None:
        log.warning("refused login of no known account", extra={"action": action, "address": peer, **details})
        return
    tenant, role, name, _ = known
    who = Principal(tenant=tenant.id, user_id=username, role=role, name=name, session_id="", expires_at=0.0)
    await audit(redis, TenantKeys(tenant.id), who, action, {"address": peer, **details})


def _is_admin(config, who) -> bool:
    """A supervisor with the admin permission (looked up now: taking it away takes effect at once)."""
    sup = config.tenants[who.tenant].supervisors.get(who.user_id) if who.role == "supervisor" else None
    return bool(sup and sup.admin)


@routes.post("/api/v1/logout")
async def logout(request: web.Request) -> web.Response:
    """End the login: its token, every socket opened with it (on every process), and for an agent
    the availability (offline at once: waiting customers go to someone who is there)."""
    who = await principal(request)
    await request.config_dict[SESSIONS].logout(who)
    await audit(request.config_dict[REDIS], TenantKeys(who.tenant), who, "logout", {})
    ctx = request.config_dict[SERVICES]
    await end_session(ctx.sio, ctx.live, who)
    if who.role == "agent":
        await ctx.router.set_state(who.tenant, who.user_id, "offline", reason="logged_out")
    return web.json_response({"ok": True})


@routes.get("/api/v1/me")
async def me(request: web.Request) -> web.Response:
    who = await principal(request)
    return web.json_response({
        "user_id": who.user_id, "role": who.role, "tenant": who.tenant, "name": who.name, "expires_at": who.expires_at,
        "admin": _is_admin(request.config_dict[CONFIG], who),
    })
