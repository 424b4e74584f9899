"""GET /api/v1/audit: the tenant's audit trail, newest first (supervisors)."""

from __future__ import annotations

from aiohttp import web

from gateway.api.auth_helpers import principal
from gateway.appkeys import REDIS
from gateway.audit import audit_entries
from gateway.keys import TenantKeys

routes = web.RouteTableDef()


@routes.get("/api/v1/audit")
async def audit_trail(request: web.Request) -> web.Response:
    who = await principal(request, "supervisor")
    try:
        count = min(max(int(request.query.get("count", "100")), 1), 1000)
    except ValueError:
        count = 100
    return web.json_response(await audit_entries(request.config_dict[REDIS], TenantKeys(who.tenant), count))
