"""The REST routes an integrator needs beyond the consoles' own (API keys or a supervisor's login): the
open conversations, posting into one as a named bot or agent, closing, transferring; contacts made,
found and changed; the queues' and agents' live state.

Each goes through the services the consoles use: a posted message is stored by ``post_message``, fanned
out like a console reply and leaves a messenger through the same ordered outbox; a close takes the one
close path; a transfer or move is one decision of the ACD. Each write is audited with the caller's name."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from acd import replies
from acd.errors import AcdError
from gateway.api.auth_helpers import json_body, principal
from gateway.appkeys import CONFIG, REDIS, ROUTER, SERVICES
from gateway.audit import audit
from gateway.auth import Principal
from gateway.conversations.closing import checked_wrapup_code, end_conversation
from gateway.conversations.delivery import fan_out
from gateway.conversations.outbound import reply_outbound
from gateway.conversations.transfer_request import leave_handover_note, transfer_target
from gateway.errors import ClientError
from gateway.keys import TenantKeys
from gateway.services import Services
from gateway.store.contacts import get_contact, normalise_email, normalise_phone, resolve_contact, valid_email
from gateway.store.conversations import (
    Conversation,
    get_conversation,
    open_conversations,
)
from gateway.store.ids import is_id
from gateway.store.messages import ConversationClosed, ConversationMissing, WindowClosed, post_message
from gateway.validation import client_id_field, text_field

routes = web.RouteTableDef()
AUTHOR_KINDS = ("bot", "agent")
NAME_CHARS = 64
PAGE_MAX = 500
_STATES = ("queued", "offered", "assigned")
_ROUTING = {  # a refusal of the ACD, as a sentence
    "not_your_task": "This conversation is held by another agent.",
    "over_capacity": "The agent has no free slot for this kind of conversation.",
    "unknown_agent": "There is no such agent.", "unknown_task": "This conversation is not known to routing.",
    "unknown_queue": "There is no such queue.", "agent_unavailable": "That agent is not available right now.",
    "invalid_state": "This is not possible in the conversation's current state.",
}


def _routing_refused(err: AcdError) -> ClientError:
    code = getattr(err, "code", "acd_error")
    return ClientError(code, _ROUTING.get(code, "Routing refused this request."), 409)


async def _open_conversation(request: web.Request, who: Principal) -> Conversation:
    cid = request.match_info["id"]
    conv = await get_conversation(request.config_dict[REDIS], TenantKeys(who.tenant), cid) if is_id("c", cid) else None
    if conv is None:
        raise ClientError("not_found", "There is no such conversation.", 404)
    if conv.state == "closed":
        raise ClientError("closed", "The conversation is closed.", 409)
    return conv


def _summary(conv: Conversation) -> dict[str, Any]:
    return {k: getattr(conv, k) for k in ("id", "channel", "channel_type", "work_channel", "contact_id", "state", "topic",
                                          "queue", "language", "agent_id", "created_at", "assigned_at", "seq")}


# --- conversations -----------------------------------------------------------------------------
@routes.get("/api/v1/conversations")
async def list_conversations(request: web.Request) -> web.Response:
    """The tenant's open conversations, oldest first; ``?state=&queue=&channel=&limit=``."""
    who = await principal(request, "supervisor")
    q = request.query
    state, queue, channel = q.get("state", ""), q.get("queue", ""), q.get("channel", "")
    if state and state not in _STATES:
        raise ClientError("bad_request", f"'state' is one of {', '.join(_STATES)} (closed ones: GET /api/v1/search)")
    try:
        limit = int(q.get("limit", "100"))
    except ValueError:
        limit = 0
    if not 1 <= limit <= PAGE_MAX:
        raise ClientError("bad_request", f"'limit' is a whole number from 1 to {PAGE_MAX}")
    found = [c for c in await open_conversations(request.config_dict[REDIS], TenantKeys(who.tenant))
             if (not state or c.state == state) and (not queue or c.queue == queue)
             and (not channel or channel in (c.channel, c.channel_type, c.work_channel))]
    return web.json_response({"conversations": [_summary(c) for c in found[:limit]], "more": len(found) > limit})


def _author(data: dict, who: Principal) -> tuple[str, str]:
    author = data.get("author", {"kind": "bot", "name": who.name})
    if not isinstance(author, dict) or author.get("kind", "bot") not in AUTHOR_KINDS:
        raise ClientError("bad_request", "'author' is {kind: \"bot\" or \"agent\", name}")
    name = author.get("name", who.name)
    if not isinstance(name, str) or not name.strip() or len(name) > NAME_CHARS:
        raise ClientError("bad_request", f"'author.name' is the name the customer sees, 1 to {NAME_CHARS} characters")
    return str(author.get("kind", "bot")), name.strip()


@routes.post("/api/v1/conversations/{id}/messages")
async def post_as(request: web.Request) -> web.Response:
    """``{text, client_id?, author?: {kind: bot|agent, name}}``: a message to the customer under that name,
    delivered like a console reply (the widget at once; a messenger or email through the ordered outbox)."""
    who = await principal(request, "supervisor")
    svc: Services = request.config_dict[SERVICES]
    data = await json_body(request)
    conv = await _open_conversation(request, who)
    kind, name = _author(data, who)
    text = text_field(data, "text", max_chars=svc.config.limits.message_chars)
    keys = TenantKeys(who.tenant)
    try:
        posted = await post_message(svc.redis, keys, conv.id, author_kind="agent", author_name=name,
                                    author_id=who.user_id, text=text, client_id=client_id_field(data),
                                    extra={"via": "api", **({"bot": True} if kind == "bot" else {})})
    except ConversationMissing as err:
        raise ClientError("not_found", "There is no such conversation.", 404) from err
    except ConversationClosed as err:
        raise ClientError("closed", "The conversation is closed.", 409) from err
    except WindowClosed as err:
        raise ClientError("window_closed", "The customer's reply window has closed: only a template may be sent.",
                          409) from err
    msg = posted.message
    if not msg.duplicate:
        svc.metrics.messages.labels(who.tenant, "agent").inc()
        await fan_out(svc, who.tenant, posted)
        if not posted.visitor_id:  # a bridged channel: it leaves through the platform, in order
            await reply_outbound(svc, conv, msg)
        await audit(svc.redis, keys, who, "conversation.message",
                    {"conversation_id": conv.id, "seq": msg.seq, "as": kind})
    return web.json_response({**msg.to_wire(), "duplicate": msg.duplicate}, status=200 if msg.duplicate else 201)


@routes.post("/api/v1/conversations/{id}/close")
async def close(request: web.Request) -> web.Response:
    """``{wrapup_code?}``: close through the one close path (customer and agent are told, the agent's slot
    goes to wrap-up, a messenger customer is asked for a rating)."""
    who = await principal(request, "supervisor")
    svc: Services = request.config_dict[SERVICES]
    data = await json_body(request)
    conv = await _open_conversation(request, who)
    code = checked_wrapup_code(svc.config.tenants[who.tenant], conv.queue, data.get("wrapup_code"))
    try:
        await end_conversation(svc, who.tenant, conv, reason="agent", wrapup_code=code)
    except AcdError as err:
        raise _routing_refused(err) from err
    await audit(svc.redis, TenantKeys(who.tenant), who, "conversation.close", {"conversation_id": conv.id})
    return web.json_response({"ok": True, "conversation_id": conv.id})


@routes.post("/api/v1/conversations/{id}/transfer")
async def transfer(request: web.Request) -> web.Response:
    """``{queue?|agent?, note?}``: an assigned conversation to another queue or agent (as the agent's
    transfer), a waiting one to another queue (keeping its waiting time) or straight to an agent."""
    who = await principal(request, "supervisor")
    svc: Services = request.config_dict[SERVICES]
    data = await json_body(request)
    conv = await _open_conversation(request, who)
    queue, agent, note = transfer_target(svc.config.tenants[who.tenant], svc.config.limits.message_chars, data)
    keys = TenantKeys(who.tenant)
    await leave_handover_note(svc, keys, conv, who, note)
    try:
        if conv.state == "assigned":
            await svc.router.transfer(who.tenant, conv.id, queue=queue, agent=agent)
        elif queue is not None:
            if queue != conv.queue:
                await svc.router.move(who.tenant, conv.id, queue)
        else:
            await svc.router.assign(who.tenant, conv.id, str(agent))
    except AcdError as err:
        raise _routing_refused(err) from err
    await audit(svc.redis, keys, who, "conversation.transfer",
                {"conversation_id": conv.id, "queue": queue or "", "agent_id": agent or "", **({"note": True} if note else {})})
    return web.json_response({"ok": True, "conversation_id": conv.id, "queue": queue, "agent": agent})


# --- contacts ----------------------------------------------------------------------------------
def _claims(data: dict) -> dict[str, str]:
    """name, email and phone as given (claims: shown as unverified, never merged on)."""
    out: dict[str, str] = {}
    for field, most in (("name", 200), ("email", 254), ("phone", 32)):
        value = data.get(field)
        if value is None:
            continue
        if not isinstance(value, str) or len(value) > most:
            raise ClientError("bad_request", f"'{field}' is a text of at most {most} characters")
        out[field] = value.strip()
    if out.get("email") and not valid_email(out["email"]):
        raise ClientError("bad_email", "'email' is not an email address")
    if out.get("phone") and not 6 <= len(normalise_phone(out["phone"])) <= 15:
        raise ClientError("bad_phone", "'phone' is not a phone number")
    return out


@routes.get("/api/v1/contacts")
async def find_contacts(request: web.Request) -> web.Response:
    """``?user_id=`` (the id your systems know the customer by): the contact it names, as a list of 0 or 1."""
    who = await principal(request, "supervisor")
    user_id = request.query.get("user_id", "")
    if not user_id or len(user_id) > 128:
        raise ClientError("bad_request", "give 'user_id' (at most 128 characters); full-text: GET /api/v1/search")
    redis, keys = request.config_dict[REDIS], TenantKeys(who.tenant)
    contact_id = replies.maybe_text(await redis.get(keys.identity("user", user_id)))
    found = await get_contact(redis, keys, contact_id) if contact_id else None
    return web.json_response([found.to_wire()] if found else [])


@routes.post("/api/v1/contacts")
async def create_contact(request: web.Request) -> web.Response:
    """``{name?, email?, phone?, user_id?}``: a new contact, or (with the ``user_id`` of a known one) that
    contact. ``user_id`` is a verified identity, as a signed widget identity is (docs/identity.md)."""
    who = await principal(request, "supervisor")
    data = await json_body(request)
    claims = _claims(data)
    user_id = data.get("user_id")
    if user_id is not None and (not isinstance(user_id, str) or not 1 <= len(user_id) <= 128 or not user_id.isprintable()):
        raise ClientError("bad_request", "'user_id' is a printable text of 1 to 128 characters")
    redis, keys = request.config_dict[REDIS], TenantKeys(who.tenant)
    known = await redis.get(keys.identity("user", user_id)) if user_id else None
    contact_id = await resolve_contact(redis, keys, [("user", user_id)] if user_id else [], name=claims.get("name", ""),
                                       email=claims.get("email", ""), phone=claims.get("phone", ""))
    if not known:
        await audit(redis, keys, who, "contact.create", {"contact_id": contact_id})
    found = await get_contact(redis, keys, contact_id)
    return web.json_response({**(found.to_wire() if found else {"id": contact_id}), "created": not known},
                             status=200 if known else 201)


@routes.patch("/api/v1/contacts/{id}")
async def update_contact(request: web.Request) -> web.Response:
    """``{name?, email?, phone?}``: the name is replaced; an email or phone replaces an unverified one
    (a verified value stays: 409 ``verified``)."""
    who = await principal(request, "supervisor")
    data = await json_body(request)
    claims = _claims(data)
    if not claims:
        raise ClientError("bad_request", "give one or more of 'name', 'email', 'phone'")
    redis, keys = request.config_dict[REDIS], TenantKeys(who.tenant)
    kid = request.match_info["id"]
    found = await get_contact(redis, keys, kid) if is_id("k", kid) else None
    if found is None:
        raise ClientError("not_found", "There is no such contact.", 404)
    for field in ("email", "phone"):
        if field in claims and getattr(found, f"{field}_verified") and claims[field]:
            raise ClientError("verified", f"The contact's {field} is verified and stays as it is.", 409)
    values = {**claims}
    if "email" in values:
        values["email"] = normalise_email(values["email"])
    if "phone" in values:
        values["phone"] = normalise_phone(values["phone"])
    fields: dict[Any, Any] = {**values, **{f"{f}_verified": "0" for f in ("email", "phone") if f in values}}
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hset(keys.contact(found.id), mapping=fields)
        pipe.xadd(keys.archive(), {"k": "contact", "id": found.id, "merged": ""})  # to the history database
        await pipe.execute()
    await audit(redis, keys, who, "contact.update", {"contact_id": found.id, "fields": sorted(values)})
    changed = await get_contact(redis, keys, found.id)
    return web.json_response(changed.to_wire() if changed else {"id": found.id})


# --- live state --------------------------------------------------------------------------------
@routes.get("/api/v1/live/queues")
async def live_queues(request: web.Request) -> web.Response:
    """Each queue now, as the supervisor dashboard shows it: waiting, longest wait, EWT, service level."""
    who = await principal(request, "supervisor")
    snapshot = await request.config_dict[ROUTER].snapshot(who.tenant, time.time())
    return web.json_response({"ts": snapshot.get("ts"), "queues": snapshot.get("queues", [])})


@routes.get("/api/v1/live/agents")
async def live_agents(request: web.Request) -> web.Response:
    """Each agent now: state, load and capacity per channel, occupancy."""
    who = await principal(request, "supervisor")
    snapshot = await request.config_dict[ROUTER].snapshot(who.tenant, time.time())
    tenant = request.config_dict[CONFIG].tenants[who.tenant]
    return web.json_response({"ts": snapshot.get("ts"), "agents": [
        a for a in snapshot.get("agents", []) if a.get("id") in tenant.agents]})

