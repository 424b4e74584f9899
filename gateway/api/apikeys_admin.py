"""/api/v1/admin/apikeys: an admin (a supervisor with ``admin: true``) lists, creates and revokes the
tenant's API keys. The key is in the answer to its creation only. Listing is also open to an API key
with the ``admin`` scope; creating and revoking are for people (gateway/api/key_auth.py NEVER)."""

from __future__ import annotations

import time

from aiohttp import web

from gateway.api.auth_helpers import json_body, principal
from gateway.api_keys import MAX_EXPIRY_S, Invalid, NameTaken, create_key, list_keys, revoke_key
from gateway.appkeys import CONFIG, REDIS
from gateway.audit import audit
from gateway.auth import Principal
from gateway.errors import ClientError
from gateway.keys import TenantKeys
from gateway.store.ids import is_id

routes = web.RouteTableDef()


async def _admin(request: web.Request) -> Principal:
    who = await principal(request, "supervisor")
    if who.via == "api_key":
        return who  # principal() let it through only with the admin scope
    sup = request.config_dict[CONFIG].tenants[who.tenant].supervisors.get(who.user_id)
    if sup is None or not sup.admin:
        raise ClientError("not_admin", "API keys are managed by a supervisor with the admin permission.", 403)
    return who


def _expiry(data: dict, now: float) -> float | None:
    days, at = data.get("expires_in_days"), data.get("expires_at")
    if days is not None and at is not None:
        raise ClientError("bad_request", "give 'expires_in_days' or 'expires_at', not both")
    if days is not None:
        if isinstance(days, bool) or not isinstance(days, int | float) or not 0 < days <= MAX_EXPIRY_S / 86400:
            raise ClientError("bad_request", "'expires_in_days' is a number of days from 1 to 3660")
        return now + float(days) * 86400
    if at is not None:
        if isinstance(at, bool) or not isinstance(at, int | float):
            raise ClientError("bad_request", "'expires_at' is a time in epoch seconds")
        return float(at)
    return None


@routes.get("/api/v1/admin/apikeys")
async def list_api_keys(request: web.Request) -> web.Response:
    who = await _admin(request)
    now = time.time()
    return web.json_response([k.to_wire(now) for k in await list_keys(request.config_dict[REDIS], who.tenant)])


@routes.post("/api/v1/admin/apikeys")
async def create_api_key(request: web.Request) -> web.Response:
    """``{name, scopes: [read|write|admin], expires_in_days?|expires_at?}`` → 201 the record and ``key``, once."""
    who = await _admin(request)
    data = await json_body(request)
    now = time.time()
    redis = request.config_dict[REDIS]
    try:
        key, record = await create_key(redis, who.tenant, name=data.get("name"),  # type: ignore[arg-type]
                                       scopes=data.get("scopes"), created_by=who.user_id,
                                       expires_at=_expiry(data, now), now=now)
    except Invalid as err:
        raise ClientError("invalid", err.message) from err
    except NameTaken as err:
        raise ClientError("name_taken", f"There is already a key named '{err}'; revoke it or choose another name.",
                          409) from err
    await audit(redis, TenantKeys(who.tenant), who, "apikey.create",
                {"key_id": record.id, "name": record.name, "scopes": record.scopes, "expires_at": record.expires_at})
    return web.json_response({**record.to_wire(now), "key": key}, status=201, headers={"Cache-Control": "no-store"})


@routes.delete("/api/v1/admin/apikeys/{id}")
async def revoke_api_key(request: web.Request) -> web.Response:
    """Revoke at once, in every gateway process; again is harmless. 404 for a key of no such id."""
    who = await _admin(request)
    key_id = request.match_info["id"]
    redis = request.config_dict[REDIS]
    found = await revoke_key(redis, who.tenant, key_id) if is_id("p", key_id) else None
    if found is None:
        raise ClientError("not_found", "There is no such API key.", 404)
    await audit(redis, TenantKeys(who.tenant), who, "apikey.revoke", {"key_id": found.id, "name": found.name})
    return web.json_response(found.to_wire())
