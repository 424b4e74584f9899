"""``POST /webhooks/dialer/{channel}``: the webhook dialer's phone system reports an attempt's progress.

Signed like the requests we send it (a bad signature: 401, nothing changes); an unknown channel is
404 and an unreadable report 400. A repeated final report changes nothing (the first one settles).
"""

from __future__ import annotations

from aiohttp import web

from bridges.base import AuthFailed, Malformed
from bridges.dialer_webhook.inbound import parse_report
from bridges.dialer_webhook.signature import verify
from gateway import appkeys as K
from gateway.callbacks.dialling import DIALLING

routes = web.RouteTableDef()


@routes.post("/webhooks/dialer/{channel}")
async def report(request: web.Request) -> web.Response:
    config = request.config_dict[K.CONFIG]
    channel_id = request.match_info["channel"]
    owners = [(tid, t.channels[channel_id]) for tid, t in config.tenants.items()
              if channel_id in t.channels and t.channels[channel_id].type == "webhook"]
    if len(owners) != 1:
        raise web.HTTPNotFound(text="unknown dialer channel")
    tenant, channel = owners[0]
    body = await request.read()
    try:
        verify(channel.secret, request.headers, body)
        outcome = parse_report(body)
    except AuthFailed as err:
        raise web.HTTPUnauthorized(text=str(err)) from err
    except Malformed as err:
        raise web.HTTPBadRequest(text=str(err)) from err
    await request.config_dict[DIALLING].outcome(tenant, outcome)
    return web.json_response({"ok": True})
