"""Conversations and contacts: what an agent or supervisor may read of the tenant's history."""

from __future__ import annotations

import time

from aiohttp import web

from gateway.api.auth_helpers import json_error, principal
from gateway.appkeys import REDIS, ROUTER
from gateway.auth import Principal
from gateway.keys import TenantKeys
from gateway.store.contacts import get_contact
from gateway.store.conversations import Conversation, conversations_of_contact, get_conversation
from gateway.store.messages import last_message, read_messages

routes = web.RouteTableDef()


async def _may_see(request: web.Request, who: Principal, conv: Conversation) -> bool:
    """Supervisors see their tenant; an agent sees conversations offered or assigned to it, and
    the earlier conversations of contacts it is serving now (the 360° view)."""
    if who.role == "supervisor":
        return True
    if conv.agent_id == who.user_id:
        return True
    engine = request.config_dict[ROUTER].engine(who.tenant)
    task = await engine.task(conv.id)
    if task and task.get("agent") == who.user_id:
        return True
    return await _serves_contact(request, who, conv.contact_id)


async def _serves_contact(request: web.Request, who: Principal, contact_id: str) -> bool:
    if who.role == "supervisor":
        return True
    redis = request.config_dict[REDIS]
    keys = TenantKeys(who.tenant)
    contact = await get_contact(redis, keys, contact_id)
    if contact is None:
        return False
    engine = request.config_dict[ROUTER].engine(who.tenant)
    current = set(await engine.assigned_tasks(who.user_id))
    current |= {o["conversation_id"] for o in await request.config_dict[ROUTER].pending_offers(who.tenant, who.user_id, time.time())}
    for cid in current:
        conv = await get_conversation(redis, keys, cid) if cid else None
        if conv and (await get_contact(redis, keys, conv.contact_id) or contact).id == contact.id:
            return True
    return False


@routes.get("/api/v1/conversations/{id}")
async def conversation(request: web.Request) -> web.Response:
    who = await principal(request)
    redis = request.config_dict[REDIS]
    keys = TenantKeys(who.tenant)
    conv = await get_conversation(redis, keys, request.match_info["id"])
    if conv is None or not await _may_see(request, who, conv):
        return json_error(404, "not_found", "no such conversation")
    msgs = await read_messages(redis, keys, conv.id)
    return web.json_response({**conv.to_wire(), "messages": [m.to_wire() for m in msgs]})


@routes.get("/api/v1/contacts/{id}")
async def contact(request: web.Request) -> web.Response:
    who = await principal(request)
    found = await get_contact(request.config_dict[REDIS], TenantKeys(who.tenant), request.match_info["id"])
    if found is None or not await _serves_contact(request, who, found.id):
        return json_error(404, "not_found", "no such contact")
    return web.json_response(found.to_wire())


@routes.get("/api/v1/contacts/{id}/conversations")
async def contact_conversations(request: web.Request) -> web.Response:
    who = await principal(request)
    redis = request.config_dict[REDIS]
    keys = TenantKeys(who.tenant)
    found = await get_contact(redis, keys, request.match_info["id"])
    if found is None or not await _serves_contact(request, who, found.id):
        return json_error(404, "not_found", "no such contact")
    out = []
    for conv in await conversations_of_contact(redis, keys, found.id):
        last = await last_message(redis, keys, conv.id)
        out.append({
            "id": conv.id, "channel": conv.channel, "channel_type": conv.channel_type, "state": conv.state,
            "topic": conv.topic, "language": conv.language, "agent_id": conv.agent_id,
            "created_at": conv.created_at, "closed_at": conv.closed_at or None,
            "last_message": last.to_wire() if last else None,
        })
    return web.json_response(out)
