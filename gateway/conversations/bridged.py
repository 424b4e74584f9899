"""Customer events from a messenger bridge, into conversations: the same "a customer wrote" as the
widget. A platform's user id is a verified identity; its message id makes a redelivery store nothing
new (it is the message's client id)."""

from __future__ import annotations

import logging

from acd import replies
from bridges.events import Attachment, Choice, Contact, Event, Location, Message
from bridges.registry import spec_of
from gateway.conversations.inbound import Customer, customer_wrote
from gateway.keys import TenantKeys
from gateway.services import Services

log = logging.getLogger(__name__)


def _text(event: Event) -> str | None:
    """What the agent reads of a customer event; None for events that are not a customer's words."""
    match event:
        case Message():
            captions = [a.caption or f"[{a.kind}] {a.name}".strip() for a in event.attachments]
            return "\n".join([event.text, *captions]).strip()
        case Attachment():
            return (event.caption or f"[{event.kind}] {event.name}").strip()
        case Location():
            return f"[location] {event.name or ''} {event.latitude:.5f}, {event.longitude:.5f}".replace("  ", " ")
        case Contact():
            return f"[contact] {event.name} {event.phone}".strip()
        case Choice():
            return event.label or event.value
    return None


async def bridged_event(svc: Services, tenant_id: str, channel_id: str, event: Event) -> None:
    """Handle one canonical event of a bridged channel (raising keeps the delivery for a retry)."""
    text = _text(event)
    if text is None or not isinstance(event, Message | Attachment | Location | Contact | Choice):
        log.info("bridge event not handled yet", extra={"kind": type(event).__name__, "channel": channel_id})
        return
    tenant = svc.config.tenants[tenant_id]
    channel = tenant.channels[channel_id]
    spec = spec_of(channel.type)
    if spec is None:  # only a channel with a bridge delivers events: its type left the registry since
        raise LookupError(f"no bridge for channel type {channel.type!r}")
    keys = TenantKeys(tenant_id)
    who = event.customer
    language = who.language if who.language in tenant.languages else (channel.language or tenant.languages[0])
    identities = [(spec.identity_kind, who.id)] + ([("phone", who.phone)] if who.phone else [])

    async def customer() -> Customer:
        return Customer(
            pointer=keys.platform_chat(channel_id, event.thread), name=who.name or who.username,
            channel=channel_id, channel_type=channel.type, work_channel=spec.work_channel,
            topic=channel.topic or next(iter(tenant.topics), ""), language=language,
            identities=identities, external_id=event.thread,
        )

    current = replies.maybe_text(await svc.redis.hget(keys.platform_chat(channel_id, event.thread), "conversation_id"))
    await customer_wrote(
        svc, keys, text[: svc.config.limits.message_chars], author=(who.name or who.username or "Customer", who.id),
        customer=customer, client_id=f"{channel_id}:{event.message_id}", current=current,
        extra={"platform_message_id": event.message_id},
    )
