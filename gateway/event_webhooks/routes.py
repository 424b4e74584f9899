"""/api/v1/admin/webhooks…: an admin (a supervisor with ``admin: true``) manages the tenant's event
webhook subscriptions. The tenant is always the token's; a secret is shown once (create, rotate).
Errors are the one envelope ``{"error": {code, message}}``; every change is audited."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from gateway import appkeys as K
from gateway.api.auth_helpers import json_body, principal
from gateway.audit import audit
from gateway.auth import Principal
from gateway.errors import ClientError
from gateway.event_webhooks.events import EVENT_TYPES, TEST_EVENT
from gateway.event_webhooks.service import EventWebhooks
from gateway.event_webhooks.subscriptions import Invalid, Subscription, parse
from gateway.keys import TenantKeys

routes = web.RouteTableDef()
BASE = "/api/v1/admin/webhooks"
_SID = re.compile(r"^s_[0-9a-f]{12}$")
_DID = re.compile(r"^dlv_s_[0-9a-f]{12}_evt_[A-Za-z0-9_\-]{1,80}$")


class FieldError(ClientError):
    """A 400 naming the body's field it is about (the admin form shows it there)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__("invalid", message)
        self.field = field

    def envelope(self) -> dict[str, Any]:
        out = super().envelope()
        if self.field:
            out["error"]["field"] = self.field
        return out


async def _admin(request: web.Request) -> tuple[Principal, EventWebhooks]:
    who = await principal(request)
    tenant = request.config_dict[K.CONFIG].tenants[who.tenant]
    sup = tenant.supervisors.get(who.user_id) if who.role == "supervisor" else None
    if (sup is None or not sup.admin) and "admin" not in who.scopes:  # an admin, or an API key with admin scope
        raise ClientError("not_admin", "webhooks are managed by a supervisor with the admin permission", 403)
    service = request.config_dict.get(K.EVENT_WEBHOOKS)
    if service is None:
        raise ClientError("unavailable", "event webhooks are not running in this gateway", 503)
    return who, service


async def _subscription(request: web.Request, service: EventWebhooks, who: Principal) -> Subscription:
    sid = request.match_info["id"]
    sub = await service.subscriptions(who.tenant).get(sid) if _SID.match(sid) else None
    if sub is None:
        raise ClientError("not_found", "no such subscription", 404)
    return sub


def _not_configured(sub: Subscription, what: str) -> None:
    """A subscription of the config file is changed there (it is ensured at every start), not here."""
    if sub.origin == "config":
        raise ClientError("config_defined", f"this subscription comes from the config file and cannot be {what} here: "
                          "change the file (tenants.<id>.event_webhooks.subscriptions)", 409)


def _fields(request: web.Request, body: dict[str, Any], partial: bool) -> dict[str, str]:
    settings = request.config_dict[K.CONFIG].event_webhooks
    try:
        return parse(body, allow_private=settings.allow_private_targets, default_window_s=settings.retry_window_s,
                     partial=partial)
    except Invalid as err:
        raise FieldError(err.field, str(err)) from err


async def _audit(request: web.Request, who: Principal, action: str, details: dict) -> None:
    await audit(request.config_dict[K.REDIS], TenantKeys(who.tenant), who, action, details)


@routes.get(BASE)
async def list_subscriptions(request: web.Request) -> web.Response:
    who, service = await _admin(request)
    subs = await service.subscriptions(who.tenant).all()
    return web.json_response({"subscriptions": [s.public() for s in subs], "event_types": list(EVENT_TYPES),
                              "test_event_type": TEST_EVENT})


@routes.post(BASE)
async def create_subscription(request: web.Request) -> web.Response:
    who, service = await _admin(request)
    fields = _fields(request, await json_body(request), partial=False)
    try:
        sub = await service.subscriptions(who.tenant).create(fields)
    except Invalid as err:
        raise ClientError("too_many", str(err), 409) from err
    await _audit(request, who, "webhook.create", {"id": sub.id, "events": list(sub.events)})
    return web.json_response({"subscription": sub.public(), "secret": sub.secret}, status=201)


@routes.get(BASE + "/{id}")
async def get_subscription(request: web.Request) -> web.Response:
    who, service = await _admin(request)
    sub = await _subscription(request, service, who)
    return web.json_response({"subscription": sub.public()})


@routes.patch(BASE + "/{id}")
async def update_subscription(request: web.Request) -> web.Response:
    who, service = await _admin(request)
    sub = await _subscription(request, service, who)
    fields = _fields(request, await json_body(request), partial=True)
    if set(fields) - {"enabled"}:
        _not_configured(sub, "changed (only enabled or disabled)")
    changed = await service.subscriptions(who.tenant).update(sub.id, fields)
    if changed is None:
        raise ClientError("not_found", "no such subscription", 404)
    await _audit(request, who, "webhook.update", {"id": sub.id, "fields": sorted(fields)})
    return web.json_response({"subscription": changed.public()})


@routes.delete(BASE + "/{id}")
async def delete_subscription(request: web.Request) -> web.Response:
    who, service = await _admin(request)
    sub = await _subscription(request, service, who)
    _not_configured(sub, "deleted")
    await service.subscriptions(who.tenant).delete(sub.id)
    await _audit(request, who, "webhook.delete", {"id": sub.id})
    return web.Response(status=204)


@routes.post(BASE + "/{id}/rotate")
async def rotate_secret(request: web.Request) -> web.Response:
    who, service = await _admin(request)
    sub = await _subscription(request, service, who)
    _not_configured(sub, "given a new secret")
    rotated = await service.subscriptions(who.tenant).rotate(sub.id)
    if rotated is None:
        raise ClientError("not_found", "no such subscription", 404)
    await _audit(request, who, "webhook.rotate", {"id": sub.id})
    return web.json_response({"subscription": rotated.public(), "secret": rotated.secret})


@routes.get(BASE + "/{id}/deliveries")
async def deliveries(request: web.Request) -> web.Response:
    who, service = await _admin(request)
    sub = await _subscription(request, service, who)
    return web.json_response(await service.deliveries(who.tenant, sub.id))


@routes.get(BASE + "/{id}/dead-letters")
async def dead_letters(request: web.Request) -> web.Response:
    who, service = await _admin(request)
    sub = await _subscription(request, service, who)
    return web.json_response({"dead_letters": await service.dead_letters(who.tenant, sub.id)})


@routes.post(BASE + "/{id}/dead-letters/{delivery}/replay")
async def replay_one(request: web.Request) -> web.Response:
    who, service = await _admin(request)
    sub = await _subscription(request, service, who)
    did = request.match_info["delivery"]
    outcome = "none"
    if _DID.match(did) and did.startswith(f"dlv_{sub.id}_"):
        outcome = await service.replay(who.tenant, sub.id, did)
    if outcome == "erased":
        raise ClientError("erased", "this dead letter was erased with the contact it was about (data protection) "
                          "and cannot be sent again", 410)
    if outcome != "replayed":
        raise ClientError("not_found", "no such dead letter (it may have been replayed already)", 404)
    await _audit(request, who, "webhook.replay", {"id": sub.id, "deliveries": 1})
    return web.json_response({"replayed": [did]})


@routes.post(BASE + "/{id}/dead-letters/replay")
async def replay_all(request: web.Request) -> web.Response:
    who, service = await _admin(request)
    sub = await _subscription(request, service, who)
    done = [d["id"] for d in await service.dead_letters(who.tenant, sub.id, with_body=False)
            if await service.replay(who.tenant, sub.id, d["id"]) == "replayed"]
    await _audit(request, who, "webhook.replay", {"id": sub.id, "deliveries": len(done)})
    return web.json_response({"replayed": done})


@routes.post(BASE + "/{id}/test")
async def send_test(request: web.Request) -> web.Response:
    who, service = await _admin(request)
    sub = await _subscription(request, service, who)
    did = await service.send_test(who.tenant, sub.id)
    await _audit(request, who, "webhook.test", {"id": sub.id})
    return web.json_response({"delivery_id": did}, status=202)
