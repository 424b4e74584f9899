"""GET /api/v1/conversations/{id}/crm: the customer panel's CRM card of a conversation's contact."""

from __future__ import annotations

from aiohttp import web

from gateway.api.auth_helpers import json_error, principal
from gateway.appkeys import CRM, SERVICES
from gateway.conversations.access import may_see
from gateway.keys import TenantKeys
from gateway.store.conversations import get_conversation
from gateway.store.ids import is_id

routes = web.RouteTableDef()


@routes.get("/api/v1/conversations/{id}/crm")
async def conversation_crm(request: web.Request) -> web.Response:
    """What the CRM says of the conversation's contact, for whoever may see the conversation: cached,
    else looked up now (waiting at most crm.timeout_s; ``pending`` after that, the answer follows as
    the /agent event ``crm``)."""
    who = await principal(request)
    svc = request.config_dict[SERVICES]
    cid = request.match_info["id"]
    conv = await get_conversation(svc.redis, TenantKeys(who.tenant), cid) if is_id("c", cid) else None
    if conv is None or not await may_see(svc, who, conv):
        return json_error(404, "not_found", "There is no such conversation.")
    return web.json_response({"conversation_id": conv.id, **await request.config_dict[CRM].card_for(conv)})
