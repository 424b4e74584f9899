"""Delivering stored messages to the people in a conversation, and escalation requests."""

from __future__ import annotations

import asyncio
import json
import re
import time

from gateway.keys import TenantKeys
from gateway.rooms import agent_room, visitor_room
from gateway.sockets.context import Context
from gateway.sockets.validation import InputError
from gateway.store.contacts import resolve_contact
from gateway.store.conversations import Conversation, close_conversation, update_conversation
from gateway.store.messages import Message, Posted, post_message

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ()./-]{6,24}$")


async def fan_out(ctx: Context, tenant: str, posted: Posted, sender_sid: str | None = None) -> None:
    """Deliver a stored message to everyone in the conversation (every tab, the agent's consoles).

    The socket that sent it is skipped: its ack carries id, seq and ts, and both front ends put
    the message in place from the ack."""
    wire = posted.message.to_wire()
    emits = []
    if posted.visitor_id:
        emits.append(ctx.sio.emit("message", wire, room=visitor_room(tenant, posted.visitor_id), namespace="/visitor",
                                  skip_sid=sender_sid))
    if posted.agent_id:
        emits.append(ctx.sio.emit("message", wire, room=agent_room(tenant, posted.agent_id), namespace="/agent",
                                  skip_sid=sender_sid))
    await asyncio.gather(*emits)


def parse_escalation(data: dict) -> dict:
    """Validate an escalation request: {to: email, email} or {to: callback, phone, at?}."""
    to = data.get("to")
    if to == "email":
        email = data.get("email")
        if not isinstance(email, str) or not _EMAIL.match(email.strip()):
            raise InputError("bad_email", "a valid email address is needed")
        return {"to": "email", "email": email.strip()}
    if to == "callback":
        phone = data.get("phone")
        if not isinstance(phone, str) or not _PHONE.match(phone.strip()):
            raise InputError("bad_phone", "a valid phone number is needed")
        at = data.get("at")
        if at is not None and not isinstance(at, int | float | str):
            raise InputError("bad_request", "'at' must be a time")
        return {"to": "callback", "phone": phone.strip(), "at": at}
    raise InputError("bad_request", "'to' must be 'email' or 'callback'")


async def record_escalation(ctx: Context, keys: TenantKeys, conv: Conversation, request: dict, by: str) -> Message:
    """Keep the escalation request on the conversation and its contact, and tell everyone in it."""
    await update_conversation(ctx.redis, keys, conv.id, escalation=json.dumps({**request, "by": by, "ts": time.time()}))
    if conv.visitor_id:  # the email or phone joins the visitor's contact (and merges with earlier ones)
        await resolve_contact(
            ctx.redis, keys, [("visitor", conv.visitor_id)],
            email=request.get("email", ""), phone=request.get("phone", ""),
        )
    if request["to"] == "email":
        text = f"Continue by email: {request['email']}"
    else:
        text = f"Callback requested: {request['phone']}" + (f" at {request['at']}" if request.get("at") else "")
    posted = await post_message(
        ctx.redis, keys, conv.id, author_kind="system", author_name="omnirelay", text=text,
        extra={"escalation": request}, allow_closed=True,
    )
    await fan_out(ctx, keys.tenant, posted)
    return posted.message


async def end_conversation(ctx: Context, tenant: str, conv: Conversation, *, reason: str, wrapup_code: str | None = None) -> None:
    """Close a conversation everywhere: storage, the ACD (slot to wrap-up), the visitor and the agent."""
    keys = TenantKeys(tenant)
    if not await close_conversation(ctx.redis, keys, conv.id, reason, now=time.time()):
        return
    await ctx.router.run(tenant, "close", conv.id, wrapup_code=wrapup_code)
    event = {"conversation_id": conv.id, "reason": reason}
    if conv.visitor_id:
        await ctx.sio.emit("closed", event, room=visitor_room(tenant, conv.visitor_id), namespace="/visitor")
    if conv.agent_id:
        await ctx.sio.emit("closed", event, room=agent_room(tenant, conv.agent_id), namespace="/agent")
