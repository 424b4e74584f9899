"""What an API key may call on the REST API, and the audit of its calls.

The rule, in one place: ``read`` opens the GET routes a supervisor may use; ``write`` also the
POST/PUT/PATCH/DELETE of the routes outside ``/api/v1/admin/``; ``admin`` also ``/api/v1/admin/…``.
A key is its tenant's principal with role ``supervisor`` (so it sees what a supervisor sees) and
``via="api_key"``; a route meant for agents only refuses it, and a few routes refuse every key
(NEVER). Every write made with a key is audited as ``api.write`` under the key's name; every call
counts towards the key's figures (calls, last used)."""

from __future__ import annotations

import json
import logging

from aiohttp import web

from gateway.api_keys import check_key, note_use
from gateway.appkeys import REDIS
from gateway.audit import audit
from gateway.auth import AuthError, Principal
from gateway.keys import TenantKeys

log = logging.getLogger(__name__)
READS = ("GET", "HEAD")
ADMIN_PREFIX = "/api/v1/admin/"
# (method, route) a key never calls: a key is no login session, and a key does not mint or revoke
# keys (a leaked admin key cannot give itself a successor or lock the admins' integrations out)
NEVER = {
    ("POST", "/api/v1/logout"),
    ("POST", "/api/v1/admin/apikeys"),
    ("DELETE", "/api/v1/admin/apikeys/{id}"),
    # a Slack account is linked to an agent by a person logged in (gateway/slack/routes.py), never by a key
    ("GET", "/api/v1/slack/links"),
    ("POST", "/api/v1/slack/links"),
    ("DELETE", "/api/v1/slack/links/{agent_id}"),
}
# (method, route) only the agent holding the conversation calls (their handlers take any login first)
AGENT_ONLY = {("POST", "/api/v1/conversations/{id}/attachments")}
_CALLER = web.RequestKey("api_key_caller", Principal)


def required_scope(method: str, path: str) -> str:
    """The scope a call needs: admin for /api/v1/admin/…, else read for GET, write for the rest."""
    if path.startswith(ADMIN_PREFIX) or path.rstrip("/") == ADMIN_PREFIX.rstrip("/"):
        return "admin"
    return "read" if method in READS else "write"


def route_of(request: web.Request) -> str:
    """The route's pattern (``/api/v1/conversations/{id}``), else the path."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else request.path


def _refuse(error: type[web.HTTPException], code: str, message: str) -> web.HTTPException:
    return error(text=json.dumps({"error": {"code": code, "message": message}}), content_type="application/json")


async def key_principal(request: web.Request, key: str, roles: tuple[str, ...]) -> Principal:
    """The principal of the API key presented, if it may make this call; else 401 / 403."""
    redis = request.config_dict[REDIS]
    try:
        who = await check_key(redis, key)
    except AuthError as err:
        raise _refuse(web.HTTPUnauthorized, "unauthorized", str(err)) from err
    request[_CALLER] = who  # before any refusal below: a refused write is audited too
    await note_use(redis, who)
    route = route_of(request)
    if (request.method, route) in NEVER:
        raise _refuse(web.HTTPForbidden, "not_for_api_keys", "This route is for people logged in, not for API keys.")
    if (roles and "supervisor" not in roles) or (request.method, route) in AGENT_ONLY:
        raise _refuse(web.HTTPForbidden, "agent_only", "Only an agent can do this; an API key never acts as an agent.")
    need = required_scope(request.method, request.path)
    if need not in who.scopes:
        raise _refuse(web.HTTPForbidden, "insufficient_scope",
                      f"This API key lacks the '{need}' scope (it has {', '.join(who.scopes) or 'none'}).")
    return who


@web.middleware
async def api_key_calls(request: web.Request, handler):
    """Audit every write made with an API key (method, route, path, status), whatever its outcome."""
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as err:
        status = err.status
        raise
    finally:
        who = request.get(_CALLER)
        if who is not None and request.method not in READS:
            try:
                await audit(request.config_dict[REDIS], TenantKeys(who.tenant), who, "api.write", {
                    "key_id": who.session_id, "method": request.method, "route": route_of(request),
                    "path": request.path, "status": status})
            except Exception:  # the call has been answered; a failed audit line must not turn it into a 500
                log.exception("auditing an API key's call failed", extra={"key_id": who.session_id})
