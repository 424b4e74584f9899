"""``GET /callbacks/{id}/cancel?tenant=…&sig=…``: the customer cancels their callback from the link.

Answers a small page (the customer opened a link in a browser or a mail); a forged or foreign link
is refused with 403 and changes nothing; cancelling twice says it is cancelled.
"""

from __future__ import annotations

import html

from aiohttp import web

from gateway import appkeys as K
from gateway.callbacks.links import valid_cancel
from gateway.callbacks.records import end_callback, get_callback
from gateway.callbacks.requests import announce
from gateway.keys import TenantKeys

routes = web.RouteTableDef()


def _page(status: int, title: str, body: str) -> web.Response:
    doc = (f"<!doctype html><meta charset=utf-8><title>{html.escape(title)}</title>"
           f"<h1>{html.escape(title)}</h1><p>{html.escape(body)}</p>")
    return web.Response(status=status, text=doc, content_type="text/html")


@routes.get("/callbacks/{callback_id}/cancel")
async def cancel(request: web.Request) -> web.Response:
    ctx = request.config_dict[K.SERVICES]
    callback_id = request.match_info["callback_id"]
    tenant, sig = request.query.get("tenant", ""), request.query.get("sig", "")
    if tenant not in ctx.config.tenants or not valid_cancel(ctx.config.server.secret_key, tenant, callback_id, sig):
        return _page(403, "Link not valid", "This cancel link is not valid. Please use the link we sent you.")
    keys = TenantKeys(tenant)
    ended = await end_callback(ctx.redis, keys, callback_id, "cancelled", only_from=("scheduled",))
    if ended is not None:
        if ended.in_attempt:  # its voice task is still waiting for an agent: take it out of the queue
            await ctx.router.close(tenant, ended.task_id, "cancelled")
        await announce(ctx, keys, ended, scheduled=False)
        return _page(200, "Callback cancelled", f"We will not call {ended.phone}.")
    cb = await get_callback(ctx.redis, keys, callback_id)
    if cb is None:
        return _page(404, "Callback not found", "We do not know this callback.")
    if cb.state == "cancelled":
        return _page(200, "Callback cancelled", f"We will not call {cb.phone}.")
    return _page(409, "Too late to cancel", f"This callback is already {cb.state}.")
