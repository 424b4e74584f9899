"""A callback request (from the widget, the agent or a queue's escalation): checked, stored, announced.

The number must be callable (E.164, an allowed country); a contact has at most one open callback per
queue; the same request sent again (a retried emit) changes nothing; the customer reads "we will call
you …" in the conversation, with the signed link that moves or cancels it. A time the customer
picks must be one of the offered slots with room left (gateway/callbacks/slots.py).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from gateway.callbacks.figures import tenant_zone
from gateway.callbacks.links import cancel_path
from gateway.callbacks.numbers import normalise
from gateway.callbacks.records import Callback, create_callback, open_callback
from gateway.callbacks.slots import check_slot
from gateway.callbacks.texts import cancel_button, text, when_text
from gateway.conversations.delivery import fan_out
from gateway.conversations.to_messenger import send_to_messenger
from gateway.errors import ClientError
from gateway.keys import TenantKeys
from gateway.services import Services
from gateway.store.contacts import resolve_contact
from gateway.store.conversations import Conversation, get_conversation
from gateway.store.messages import Message, post_message


def _due(at: str | None, now: float) -> float:
    return max(now, datetime.fromisoformat(at.replace("Z", "+00:00")).astimezone(UTC).timestamp()) if at else now


def timezone_of(ctx: Services, tenant: str, queue: str) -> str:
    """The zone the customer's times are shown in: the queue's hours, the tenant's, else UTC."""
    t = ctx.config.tenants[tenant]
    q = t.queues.get(queue)
    hours = (q.hours if q else None) or t.hours
    return hours.timezone if hours else "UTC"


async def request_callback(ctx: Services, keys: TenantKeys, conv: Conversation, request: dict, by: str) -> Message | None:
    """Schedule a callback for the conversation's contact; ClientError when the number cannot be
    called or another callback is open; None (nothing new) when this very one is already scheduled."""
    tenant = ctx.config.tenants[keys.tenant]
    phone = normalise(request["phone"], tenant.callbacks)
    at = request.get("at") or ""
    existing = await open_callback(ctx.redis, keys, conv.contact_id, conv.queue)
    if existing is not None:
        if existing.phone == phone and existing.at == at:
            return None
        raise ClientError("callback_open", "A callback is already scheduled for you; cancel it first to ask for another.", 409)
    now = time.time()
    slot, capacity = None, 0
    if at:  # a time the customer picked: one of the offered slots, with room left
        slot, capacity = await check_slot(ctx.redis, ctx.config, keys.tenant, conv.queue, conv.language, _due(at, 0), now)
    cb = await create_callback(
        ctx.redis, keys, slot=slot, capacity=capacity, zone=tenant_zone(tenant), slot_days=tenant.callbacks.slot_days,
        conversation_id=conv.id, contact_id=conv.contact_id, queue=conv.queue,
        language=conv.language, phone=phone, at=at, due=_due(at, now), by=by, created_at=now,
    )
    if cb is None:  # another request won the race for the slot
        raise ClientError("callback_open", "A callback is already scheduled for you; cancel it first to ask for another.", 409)
    if conv.visitor_id:  # the number is the customer's claim, never a verified identity
        await resolve_contact(ctx.redis, keys, [("visitor", conv.visitor_id)], phone=phone)
    return await announce(ctx, keys, cb, scheduled=True)


async def announce(ctx: Services, keys: TenantKeys, cb: Callback, *, scheduled: bool, moved: bool = False) -> Message:
    """Post the customer's line about this callback (scheduled or moved, with the link that changes
    or cancels it; or cancelled)."""
    if scheduled:
        kind = ("moved_at" if cb.at else "moved_asap") if moved else "at" if cb.at else "asap"
        line = text(cb.language, kind, phone=cb.phone, when=when_text(cb.due, timezone_of(ctx, keys.tenant, cb.queue)))
    else:
        line = text(cb.language, "cancelled", phone=cb.phone)
    info = {**cb.to_wire()}
    if scheduled:  # one signed page shows the callback, moves it to another time or cancels it
        info["cancel_url"] = info["manage_url"] = ctx.config.server.public_url.rstrip("/") + cancel_path(
            ctx.config.server.secret_key, keys.tenant, cb.id)
    posted = await post_message(
        ctx.redis, keys, cb.conversation_id, author_kind="system", author_name="omnirelay",
        text=line[: ctx.config.limits.message_chars], extra={"callback": info}, allow_closed=True,
    )
    await fan_out(ctx, keys.tenant, posted)
    conv = await get_conversation(ctx.redis, keys, cb.conversation_id)
    if conv is not None:  # a messenger customer reads it there, with a button that cancels
        await send_to_messenger(ctx, conv, posted.message, (cancel_button(cb.id, cb.language),) if scheduled else ())
    return posted.message
