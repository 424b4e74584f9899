"""Conversations and contacts: what an agent or supervisor may read of the tenant's history, and
the agent's explicit (audited) merge of two contacts."""

from __future__ import annotations

from aiohttp import web

from gateway.api.auth_helpers import json_body, json_error, principal
from gateway.appkeys import CONFIG, REDIS, SERVICES
from gateway.audit import audit, audit_read
from gateway.auth import Principal
from gateway.conversations.access import may_see, serves_contact
from gateway.keys import TenantKeys
from gateway.store.contacts import get_contact, resolve_contact
from gateway.store.conversations import Conversation, conversations_of_contact, get_conversation
from gateway.store.ids import is_id
from gateway.store.messages import last_message, read_page

routes = web.RouteTableDef()


async def _may_see(request: web.Request, who: Principal, conv: Conversation) -> bool:
    return await may_see(request.config_dict[SERVICES], who, conv)


async def _serves_contact(request: web.Request, who: Principal, contact_id: str) -> bool:
    return await serves_contact(request.config_dict[SERVICES], who, contact_id)


def _id(request: web.Request, kind: str) -> str | None:
    value = request.match_info["id"]
    return value if is_id(kind, value) else None


@routes.get("/api/v1/conversations/{id}")
async def conversation(request: web.Request) -> web.Response:
    """A conversation and one page of its messages (``?after_seq=N``; ``next_after_seq`` while more remain)."""
    who = await principal(request)
    redis = request.config_dict[REDIS]
    keys = TenantKeys(who.tenant)
    cid = _id(request, "c")
    conv = await get_conversation(redis, keys, cid) if cid else None
    if conv is None or not await _may_see(request, who, conv):
        return json_error(404, "not_found", "no such conversation")
    try:
        after = int(request.query.get("after_seq", "0"))
    except ValueError:
        return json_error(400, "bad_request", "'after_seq' must be a whole number")
    limits = request.config_dict[CONFIG].limits
    page = await read_page(redis, keys, conv.id, after, max_messages=limits.history_page_messages,
                           max_bytes=limits.history_page_bytes)
    if after == 0:  # once per reading, not per page
        await audit_read(redis, keys, who, conv.id, conv.agent_id)
    return web.json_response({**conv.to_wire(), **page.to_wire(conv.id)})


@routes.get("/api/v1/contacts/{id}")
async def contact(request: web.Request) -> web.Response:
    who = await principal(request)
    kid = _id(request, "k")
    found = await get_contact(request.config_dict[REDIS], TenantKeys(who.tenant), kid) if kid else None
    if found is None or not await _serves_contact(request, who, found.id):
        return json_error(404, "not_found", "no such contact")
    return web.json_response(found.to_wire())


@routes.get("/api/v1/contacts/{id}/conversations")
async def contact_conversations(request: web.Request) -> web.Response:
    who = await principal(request)
    redis = request.config_dict[REDIS]
    keys = TenantKeys(who.tenant)
    kid = _id(request, "k")
    found = await get_contact(redis, keys, kid) if kid else None
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


@routes.post("/api/v1/contacts/{id}/merge")
async def merge_contact(request: web.Request) -> web.Response:
    """``{"from": other_contact_id}``: the agent (serving this contact) or a supervisor decides both
    are one person. The older contact survives; both ids lead to it afterwards. Audited."""
    who = await principal(request)
    redis = request.config_dict[REDIS]
    keys = TenantKeys(who.tenant)
    data = await json_body(request)
    kid, other_id = _id(request, "k"), data.get("from")
    target = await get_contact(redis, keys, kid) if kid else None
    if target is None or not await _serves_contact(request, who, target.id):
        return json_error(404, "not_found", "no such contact")
    other = await get_contact(redis, keys, other_id) if isinstance(other_id, str) and is_id("k", other_id) else None
    if other is None:
        return json_error(404, "not_found", "no such contact to merge")
    if other.id == target.id:
        return json_error(409, "same_contact", "both ids already name the same contact")
    kept = await resolve_contact(redis, keys, [], merge=[target.id, other.id])
    await audit(redis, keys, who, "contact.merge", {"into": kept, "contacts": [target.id, other.id]})
    merged = await get_contact(redis, keys, kept)
    return web.json_response(merged.to_wire() if merged else {"id": kept})
