"""Customer events from a messenger bridge, into conversations: the same "a customer wrote" as the
widget. A platform's user id is a verified identity; its message id makes a redelivery store nothing
new (it is the message's client id). Statuses of our replies land on the agent's messages; a failed
one also tells the agent the customer is unreachable (gateway/customer_presence.py)."""

from __future__ import annotations

import logging
from typing import Any

from acd import replies
from bridges.events import (
    Attachment,
    Choice,
    Contact,
    DeliveryStatus,
    Edit,
    Event,
    Location,
    Message,
    Reaction,
    Unsupported,
)
from bridges.events import Customer as PlatformCustomer
from bridges.registry import spec_of
from gateway.assist.inbound import Opening, customer_message, opening, remember, with_contacts_prior
from gateway.callbacks.messenger import callback_answer
from gateway.conversations.inbound import Customer, customer_wrote, open_conversation
from gateway.conversations.outbound import tell_status
from gateway.conversations.rating import rating_reply
from gateway.customer_presence import tell_presence
from gateway.email.bounces import email_status
from gateway.email.threads import email_event
from gateway.hours.closed_reply import reply_if_closed
from gateway.keys import TenantKeys
from gateway.media.jobs import register_customer_files, set_message_seq
from gateway.services import Services
from gateway.store.statuses import our_message, remember_platform_id, set_status

log = logging.getLogger(__name__)

CustomerEvent = Message | Attachment | Location | Contact | Choice | Edit | Reaction | Unsupported


def _text(event: CustomerEvent) -> str:
    """What the agent reads of a customer event."""
    match event:
        case Message():
            return event.text
        case Attachment():
            return event.caption
        case Location():
            where = " ".join(p for p in (event.name, event.address) if p)
            return f"📍 {where} ({event.latitude:.5f}, {event.longitude:.5f})".strip()
        case Contact():
            return f"👤 {event.name} {event.phone}".strip()
        case Choice():
            return event.label or event.value
        case Edit():
            return event.text
        case Reaction():
            return f"{event.emoji} (reaction)" if event.emoji else "(reaction removed)"
        case Unsupported():
            return f"Unsupported message type: {event.kind}"


async def bridged_event(svc: Services, tenant_id: str, channel_id: str, event: Event) -> None:
    """Handle one canonical event of a bridged channel (raising keeps the delivery for a retry)."""
    keys = TenantKeys(tenant_id)
    if isinstance(event, DeliveryStatus):
        await _status(svc, keys, channel_id, event)
        return
    if isinstance(event, Unsupported) and event.customer is None:
        log.info("platform event not handled", extra={"kind": event.kind, "channel": channel_id})
        return
    if not isinstance(event, CustomerEvent):
        log.info("bridge event not handled", extra={"kind": type(event).__name__, "channel": channel_id})
        return
    await _customer_event(svc, keys, channel_id, event)


async def _acknowledge_choice(svc: Services, tenant: str, channel_id: str, event: Choice) -> None:
    """A platform that shows a spinner on the customer's button until told (Telegram) is told now."""
    channel = svc.bridged.get(tenant, channel_id) if svc.bridged is not None else None
    answer = getattr(channel.bridge, "answer_callback", None) if channel is not None else None
    if answer is None:
        return
    try:
        await answer(event.message_id)
    except Exception:  # the choice is stored; a spinner that runs out on its own is no reason to retry
        log.warning("could not acknowledge the customer's button", extra={"channel": channel_id}, exc_info=True)


async def _customer_event(svc: Services, keys: TenantKeys, channel_id: str, event: CustomerEvent) -> None:
    tenant = svc.config.tenants[keys.tenant]
    channel = tenant.channels[channel_id]
    if channel.type == "email":  # tokens, sender scoping, loops: gateway/email/threads.py
        await email_event(svc, keys, channel_id, event)
        return
    spec = spec_of(channel.type)
    if spec is None:
        raise LookupError(f"channel {channel_id!r} has type {channel.type!r}, which no bridge handles")
    who: PlatformCustomer = event.customer  # type: ignore[assignment]  # checked: Unsupported without one returned
    thread = event.thread
    pointer = keys.platform_chat(channel_id, thread)
    language = who.language[:2] if who.language[:2] in tenant.languages else (channel.language or tenant.languages[0])
    identities = [(spec.identity_kind, who.id)] + ([("phone", who.phone)] if who.phone else [])
    found: Opening | None = None  # how a new conversation's topic and language were found (gateway/assist)

    async def customer() -> Customer:
        nonlocal found
        found = await opening(svc, keys.tenant, channel_id, _text(event), hint=language,
                              classify=isinstance(event, Message | Attachment))
        return Customer(
            pointer=pointer, name=who.name or who.username, channel=channel_id, channel_type=channel.type,
            work_channel=spec.work_channel, topic=found.topic, language=found.language, identities=identities,
            external_id=thread, settle_language=settle_language,
        )

    async def settle_language(contact_id: str) -> str:
        nonlocal found
        if found is None:
            return language
        found = await with_contacts_prior(svc, keys, contact_id, found)
        return found.language

    extra: dict[str, Any] = {"platform_message_id": event.message_id}
    if event.ts:
        extra["platform_ts"] = event.ts
    current = replies.maybe_text(await svc.redis.hget(pointer, "conversation_id"))
    files = list(event.attachments) if isinstance(event, Message) else [event] if isinstance(event, Attachment) else []
    match event:
        case Edit() | Reaction():
            target = await our_message(svc.redis, keys, channel_id, event.target)
            if isinstance(event, Edit):
                extra["edit_of"] = target[1] if target else None
            else:
                extra["reaction"] = {"emoji": event.emoji, "target_seq": target[1] if target else None}
        case Unsupported():
            extra["unsupported"] = event.kind
    if await rating_reply(svc, keys, current, event):  # the answer to the rating question after a close
        if isinstance(event, Choice):
            await _acknowledge_choice(svc, keys.tenant, channel_id, event)
        return
    media: list[dict[str, Any]] = []
    opened = None
    if files:  # the files' records name their conversation: find or open it first
        conv, created = await open_conversation(svc, keys, await customer())
        current, opened = conv.id, conv if created else None
        if not await svc.redis.hexists(keys.conv_client_ids(conv.id), f"{channel_id}:{event.message_id}"):
            media = await register_customer_files(svc, keys.tenant, conv.id, channel_id, files)
            extra["attachments"] = media  # (a redelivery stores nothing new: no second fetch either)
    wrote = await customer_wrote(
        svc, keys, _text(event)[: svc.config.limits.message_chars],
        author=(who.name or who.username or "Customer", who.id), customer=customer,
        client_id=f"{channel_id}:{event.message_id}", current=current, extra=extra,
        on_open=lambda conv: remember(svc, keys, conv.id, found),
    )
    msg = wrote.posted.message
    if opened is not None:
        await remember(svc, keys, opened.id, found)
        await svc.router.submit(opened)
    elif wrote.opened is None and not msg.duplicate and isinstance(event, Message):
        await customer_message(svc, keys, msg.conversation_id, event.text)  # its language may change
    if media:
        await set_message_seq(svc.redis, keys.tenant, [m["id"] for m in media], msg.seq)
    if isinstance(event, Choice):
        await _acknowledge_choice(svc, keys.tenant, channel_id, event)
    # an answer to a callback offer, or "cancel" for an open callback (after storing: the agent reads it too)
    await callback_answer(svc, keys, msg.conversation_id, event)
    if not msg.duplicate:  # the reply window runs from the customer's last message
        await svc.redis.hset(keys.conv(msg.conversation_id), mapping={
            "last_customer_at": repr(msg.ts), "window_s": repr(spec.window_s or 0),
            "tag_window_s": repr(spec.tag_window_s or 0) if channel.human_agent_tag else "0",
        })
        await remember_platform_id(svc.redis, keys, channel_id, event.message_id, msg.id)
        await reply_if_closed(svc, keys, channel_id, msg.conversation_id)  # outside business hours


async def _status(svc: Services, keys: TenantKeys, channel_id: str, event: DeliveryStatus) -> None:
    """A platform's delivery, read or failure report on one of our messages (or a read watermark)."""
    if await email_status(svc, keys, channel_id, event):  # a bounce: our signed Message-ID names the message
        return
    if event.message_id:
        ours = await our_message(svc.redis, keys, channel_id, event.message_id)
        if ours is None:
            return  # a message sent before this gateway knew it, or long ago
        cid, seq = ours
        changed = await set_status(svc.redis, keys, cid, seq, event.status, event.reason, event.ts or None)
    else:
        cid = replies.maybe_text(await svc.redis.hget(keys.platform_chat(channel_id, event.thread), "conversation_id")) or ""
        if not cid:
            return
        changed = await set_status(svc.redis, keys, cid, None, event.status, event.reason, event.ts or None)
    for seq in changed:
        await tell_status(svc, keys.tenant, cid, seq, event.status, event.reason)
    if event.status == "failed" and changed:  # reported later than the send: the customer is out of reach
        await tell_presence(svc, keys, cid, "unreachable", event.reason)
