"""Data protection for supervisors: export everything about one contact (a zip: ``contact.json`` and
the files) and erase it everywhere. Both need the history database (503 ``history_unavailable``
without one) and are audited; agents get 403, another tenant's contact is 404."""

from __future__ import annotations

import asyncpg
from aiohttp import web

from gateway.api.auth_helpers import json_error, principal
from gateway.appkeys import CONFIG, REDIS, SERVICES
from gateway.audit import audit
from gateway.auth import Principal
from gateway.conversations.closing import end_conversation
from gateway.errors import ClientError
from gateway.history.privacy import ContactUnknown, erase_contact, export_contact
from gateway.keys import TenantKeys
from gateway.media.storage import media_root
from gateway.services import Services
from gateway.store.conversations import Conversation
from gateway.store.ids import is_id

routes = web.RouteTableDef()


async def _subject(request: web.Request) -> tuple[Principal, str, Services, asyncpg.Pool]:
    """The supervisor, the contact id, the services and the history pool; ClientError when the request
    cannot go on."""
    who = await principal(request, "supervisor")
    svc = request.config_dict[SERVICES]
    if svc.history is None or svc.history.pool is None:
        raise ClientError("history_unavailable", "this gateway runs without a history database: export and "
                          "erasure need it (see docs/history.md)", 503)
    kid = request.match_info["id"]
    if not is_id("k", kid):
        raise ClientError("not_found", "no such contact", 404)
    return who, kid, svc, svc.history.pool


@routes.get("/api/v1/contacts/{id}/export")
async def export(request: web.Request) -> web.StreamResponse:
    """Everything about the contact, on every channel, as a zip download."""
    who, kid, svc, pool = await _subject(request)
    redis = request.config_dict[REDIS]
    try:
        name, data = await export_contact(redis, pool, who.tenant, kid,
                                          media_root=media_root(request.config_dict[CONFIG]))
    except ContactUnknown:
        return json_error(404, "not_found", "no such contact")
    await audit(redis, TenantKeys(who.tenant), who, "contact.export", {"contact_id": kid, "bytes": len(data)})
    return web.Response(body=data, content_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store",
    })


@routes.post("/api/v1/contacts/{id}/erase")
async def erase(request: web.Request) -> web.Response:
    """Erase the contact everywhere (open conversations are closed first); again: harmless."""
    who, kid, svc, pool = await _subject(request)

    async def close(conv: Conversation) -> None:
        await end_conversation(svc, who.tenant, conv, reason="erased")

    try:
        result = await erase_contact(request.config_dict[REDIS], pool, who.tenant, kid,
                                     media_root=media_root(request.config_dict[CONFIG]), who=who, close=close)
    except ContactUnknown:
        return json_error(404, "not_found", "no such contact")
    return web.json_response(result.to_wire())
