"""Escalation requests: a conversation continues by email or by a callback.

Every field is bounded before it is stored; the address or number is a *claim* on the contact
(never merged on); the line written into the conversation is in the conversation's language; the
same request again changes nothing (no second line).
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime

from gateway.callbacks.requests import request_callback
from gateway.conversations.delivery import fan_out
from gateway.email.escalation import escalate_to_email
from gateway.errors import ClientError
from gateway.keys import TenantKeys
from gateway.services import Services
from gateway.store.contacts import resolve_contact, valid_email
from gateway.store.conversations import Conversation, update_conversation
from gateway.store.messages import Message, post_message
from gateway.texts import in_language

_PHONE = re.compile(r"^\+?[0-9 ()./-]{6,24}$")
_AT_MAX_CHARS = 40
_AT_WINDOW_S = (-24 * 3600, 90 * 24 * 3600)  # a callback time from yesterday to 90 days ahead

_TEXTS = {
    "en": {"email": "Continue by email: {email}", "callback": "Callback requested: {phone}", "at": " at {at}"},
    "de": {"email": "Weiter per E-Mail: {email}", "callback": "Rückruf gewünscht: {phone}", "at": " um {at}"},
}


def _callback_time(at: object, now: float) -> str | None:
    """An ISO time (UTC) from an ISO string or epoch seconds, within the window; ClientError otherwise."""
    if at is None or at == "":
        return None
    if isinstance(at, bool):
        raise ClientError("bad_time", "'at' must be a time")
    try:
        if isinstance(at, int | float):
            when = datetime.fromtimestamp(float(at), UTC)
        elif isinstance(at, str) and len(at) <= _AT_MAX_CHARS:
            when = datetime.fromisoformat(at.strip().replace("Z", "+00:00"))
            when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
        else:
            raise ValueError(at)
    except (ValueError, OverflowError, OSError) as err:
        raise ClientError("bad_time", "'at' must be an ISO 8601 time such as 2026-12-01T14:00:00Z") from err
    offset = when.timestamp() - now
    if not _AT_WINDOW_S[0] <= offset <= _AT_WINDOW_S[1]:
        raise ClientError("bad_time", "the callback time must lie within the next 90 days")
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_escalation(data: dict, now: float | None = None) -> dict:
    """Validate an escalation request: {to: email, email} or {to: callback, phone, at?}."""
    now = time.time() if now is None else now
    to = data.get("to")
    if to == "email":
        email = data.get("email")
        if not isinstance(email, str) or not valid_email(email.strip()):
            raise ClientError("bad_email", "a valid email address is needed")
        return {"to": "email", "email": email.strip()}
    if to == "callback":
        phone = data.get("phone")
        if not isinstance(phone, str) or not _PHONE.match(phone.strip()):
            raise ClientError("bad_phone", "a valid phone number is needed")
        return {"to": "callback", "phone": phone.strip(), "at": _callback_time(data.get("at"), now)}
    raise ClientError("bad_request", "'to' must be 'email' or 'callback'")


def escalation_text(request: dict, language: str) -> str:
    """The line written into the conversation, in its language (English when there is none)."""
    t = in_language(_TEXTS, language)
    if request["to"] == "email":
        return t["email"].format(email=request["email"])
    at = request.get("at")
    return t["callback"].format(phone=request["phone"]) + (t["at"].format(at=at.replace("T", " ")[:16] + " UTC") if at else "")


async def record_escalation(ctx: Services, keys: TenantKeys, conv: Conversation, request: dict, by: str) -> Message | None:
    """Keep the request on the conversation and (as an unverified claim) on its contact, and tell
    everyone in it; None when the conversation already carries this very request."""
    if request["to"] == "callback":  # checked, scheduled and announced by gateway/callbacks/
        return await request_callback(ctx, keys, conv, request, by)
    current = await ctx.redis.hget(keys.conv(conv.id), "escalation")
    if current:
        previous = json.loads(current)
        if all(previous.get(k) == v for k, v in request.items()):
            return None
    await update_conversation(ctx.redis, keys, conv.id, escalation=json.dumps({**request, "by": by, "ts": time.time()}))
    if conv.visitor_id:
        await resolve_contact(
            ctx.redis, keys, [("visitor", conv.visitor_id)],
            email=request.get("email", ""), phone=request.get("phone", ""),
        )
    posted = await post_message(
        ctx.redis, keys, conv.id, author_kind="system", author_name="omnirelay",
        text=escalation_text(request, conv.language)[: ctx.config.limits.message_chars],
        extra={"escalation": request}, allow_closed=True,
    )
    await fan_out(ctx, keys.tenant, posted)
    if request["to"] == "email":  # the customer receives the transcript (gateway/email/escalation.py)
        await escalate_to_email(ctx, keys, conv, request["email"], posted.message)
    return posted.message
