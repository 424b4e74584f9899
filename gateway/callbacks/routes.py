"""The customer's page behind the signed link (no login): ``GET /callbacks/{id}?tenant=…&sig=…``
shows the callback, the times it may move to and a cancel button; only ``POST /callbacks/{id}``
(the form, carrying tenant and signature) changes anything, because mail link scanners and chat
link previews fetch every GET. The old link ``GET /callbacks/{id}/cancel`` shows the same page.

A forged or foreign signature is 403 and changes nothing; cancelling or moving once the call is
being placed is 409 ("too late") and changes nothing; cancelling twice says it is cancelled.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from aiohttp import web

from gateway import appkeys as K
from gateway.callbacks import changes
from gateway.callbacks.links import valid_cancel
from gateway.callbacks.page import callback_page, plain
from gateway.callbacks.records import Callback, get_callback
from gateway.callbacks.requests import timezone_of
from gateway.callbacks.slots import offered
from gateway.errors import ClientError
from gateway.hours.schedule import open_for
from gateway.keys import TenantKeys
from gateway.services import Services

routes = web.RouteTableDef()
_FORM_BYTES = 4096


async def _show(ctx: Services, tenant: str, sig: str, cb: Callback, *, status: int = 200, notice: str = "") -> web.Response:
    now = time.time()
    slots = await offered(ctx.redis, ctx.config, tenant, cb.queue, cb.language, now, keep=cb.slot) \
        if cb.state == "scheduled" and not cb.in_attempt else []
    asap = open_for(ctx.config, tenant, cb.queue, datetime.fromtimestamp(now, UTC))
    return callback_page(cb, tenant=tenant, sig=sig, slots=slots, zone=timezone_of(ctx, tenant, cb.queue),
                         asap=asap, status=status, notice=notice)


async def _signed(request: web.Request, tenant: str, sig: str) -> tuple[Services, Callback] | web.Response:
    ctx = request.config_dict[K.SERVICES]
    callback_id = request.match_info["callback_id"]
    if tenant not in ctx.config.tenants or not valid_cancel(ctx.config.server.secret_key, tenant, callback_id, sig):
        return plain(403, "en", "invalid", "forged")
    cb = await get_callback(ctx.redis, TenantKeys(tenant), callback_id)
    if cb is None:
        return plain(404, "en", "unknown", "not_found")
    return ctx, cb


@routes.get("/callbacks/{callback_id}")
@routes.get("/callbacks/{callback_id}/cancel")  # links sent before the page existed: the same page, nothing changes
async def show(request: web.Request) -> web.Response:
    tenant, sig = request.query.get("tenant", ""), request.query.get("sig", "")
    found = await _signed(request, tenant, sig)
    if isinstance(found, web.Response):
        return found
    return await _show(found[0], tenant, sig, found[1])


@routes.post("/callbacks/{callback_id}")
async def change(request: web.Request) -> web.Response:
    if (request.content_length or 0) > _FORM_BYTES:
        raise web.HTTPRequestEntityTooLarge(max_size=_FORM_BYTES, actual_size=request.content_length or 0)
    form = await request.post()
    tenant, sig = str(form.get("tenant", "")), str(form.get("sig", ""))
    found = await _signed(request, tenant, sig)
    if isinstance(found, web.Response):
        return found
    ctx, cb = found
    keys = TenantKeys(tenant)
    action = form.get("action")
    if action == "cancel":
        if cb.state == "cancelled":
            return await _show(ctx, tenant, sig, cb, notice="cancelled_now")
        ended = await changes.cancel(ctx, keys, cb)
        if ended is None:  # being dialled (or ended) meanwhile
            return await _show(ctx, tenant, sig, await get_callback(ctx.redis, keys, cb.id) or cb, status=409, notice="too_late")
        return await _show(ctx, tenant, sig, ended, notice="cancelled_now")
    if action == "move":
        raw = str(form.get("slot", ""))
        if raw != "asap" and not raw.isdigit():
            return await _show(ctx, tenant, sig, cb, status=400, notice="bad_slot")
        try:
            moved = await changes.reschedule(ctx, keys, cb, None if raw == "asap" else float(raw))
        except ClientError as err:
            return await _show(ctx, tenant, sig, await get_callback(ctx.redis, keys, cb.id) or cb,
                               status=err.status, notice=err.code)
        return await _show(ctx, tenant, sig, moved, notice="moved")
    return await _show(ctx, tenant, sig, cb, status=400, notice="bad_slot")
