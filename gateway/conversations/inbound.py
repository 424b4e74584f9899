"""A customer wrote: find the customer's open conversation or open one (one at a time, under a
lock only its holder can release), post the message, fan it out, and queue a new conversation for
an agent. The widget calls this, and so does every bridge.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from acd import replies
from gateway.abandonment import visitor_wrote
from gateway.assist.auto_answer import route_opened, wrote_again
from gateway.conversations.delivery import fan_out
from gateway.errors import ClientError
from gateway.keys import TenantKeys
from gateway.ratelimit import allow
from gateway.services import Services
from gateway.store.contacts import resolve_contact
from gateway.store.conversations import Conversation, create_conversation, get_conversation
from gateway.store.locks import held_lock
from gateway.store.messages import ConversationClosed, ConversationMissing, Posted, RateLimited, post_message


@dataclass(frozen=True, slots=True)
class Customer:
    """Who wrote, on which channel, and what a new conversation of theirs looks like."""

    pointer: str  # hash whose ``conversation_id`` is the customer's current conversation
    name: str  # for the contact ("" = unknown)
    channel: str  # configured channel id
    channel_type: str  # widget | telegram | …
    work_channel: str  # chat | messaging | email | voice
    topic: str
    language: str
    identities: list[tuple[str, str]] = field(default_factory=list)  # verified ones
    email: str = ""  # claims
    phone: str = ""
    visitor_id: str = ""  # widget visitors: their room gets the conversation's messages
    external_id: str = ""  # platform chat id for bridged channels
    address: str = ""  # client address, for the per-address limit on new conversations ("" = none)
    # the language once the contact is known (their earlier conversations' as a prior; gateway/assist/inbound.py)
    settle_language: Callable[[str], Awaitable[str]] | None = None


@dataclass(frozen=True, slots=True)
class Wrote:
    posted: Posted
    opened: Conversation | None  # the conversation this message opened, if it did


async def customer_wrote(
    svc: Services,
    keys: TenantKeys,
    text: str,
    *,
    author: tuple[str, str],
    customer: Callable[[], Awaitable[Customer]],
    client_id: str = "",
    current: str | None = None,
    rate: tuple[str, int, int] | None = None,
    extra: dict[str, Any] | None = None,
    sender_sid: str | None = None,
    on_open: Callable[[Conversation], Awaitable[None]] | None = None,
) -> Wrote:
    """Store the customer's message (``author`` = name, id) in their open conversation: ``current``
    first, so the hot path is one script and no read; ``customer()`` is only asked when a
    conversation must be found or opened. ``on_open`` runs before a new conversation is routed."""

    async def post(cid: str) -> Posted:
        return await post_message(
            svc.redis, keys, cid, author_kind="visitor", author_name=author[0], author_id=author[1],
            text=text, client_id=client_id, rate=rate, extra=extra,
        )

    posted: Posted | None = None
    opened: Conversation | None = None
    try:
        if current:
            try:
                posted = await post(current)
            except (ConversationClosed, ConversationMissing):
                posted = None
        if posted is None:
            conv, created = await open_conversation(svc, keys, await customer())
            opened = conv if created else None
            posted = await post(conv.id)
    except RateLimited as err:
        svc.metrics.rejected.labels("rate_limited").inc()
        raise ClientError("rate_limited", "too many messages; wait a few seconds", 429) from err
    if not posted.message.duplicate:
        svc.metrics.messages.labels(keys.tenant, "visitor").inc()
        await fan_out(svc, keys.tenant, posted, sender_sid=sender_sid)
    if opened is not None:
        if on_open is not None:
            await on_open(opened)
        await route_opened(svc, opened, posted.message)  # answered automatically, or queued for a person
    elif not posted.message.duplicate:
        await wrote_again(svc, keys, posted)  # after an automatic answer: to a person; else suggestions
    return Wrote(posted, opened)


async def open_conversation(svc: Services, keys: TenantKeys, customer: Customer) -> tuple[Conversation, bool]:
    """The customer's open conversation, or a new one (one at a time, even with several tabs or
    concurrent webhook deliveries); True when this call created it."""
    redis = svc.redis
    for _ in range(50):
        conv = await _current(svc, keys, customer.pointer)
        if conv is not None:
            return conv, False
        async with held_lock(redis, f"{customer.pointer}:opening") as held:
            if held:
                conv = await _current(svc, keys, customer.pointer)
                if conv is not None:
                    return conv, False
                return await _create(svc, keys, customer), True
        await asyncio.sleep(0.02)
    raise ClientError("busy", "could not open a conversation; please try again", 503)


async def _current(svc: Services, keys: TenantKeys, pointer: str) -> Conversation | None:
    cid = replies.maybe_text(await svc.redis.hget(pointer, "conversation_id"))
    conv = await get_conversation(svc.redis, keys, cid) if cid else None
    return conv if conv is not None and conv.state != "closed" else None


async def _create(svc: Services, keys: TenantKeys, customer: Customer) -> Conversation:
    tenant = svc.config.tenants[keys.tenant]
    if customer.address:
        limit = svc.config.limits.conversations_per_address_per_min
        if not await allow(svc.redis, keys, f"newconv:{customer.address}", limit, 60):
            svc.metrics.rejected.labels("rate_limited").inc()
            raise ClientError("rate_limited", "too many new conversations from your network; please wait a minute", 429)
    if customer.topic not in tenant.topics:
        raise ClientError("no_topic", "this tenant has no topics configured")
    contact_id = await resolve_contact(
        svc.redis, keys, customer.identities, name=customer.name, email=customer.email, phone=customer.phone,
    )
    language = await customer.settle_language(contact_id) if customer.settle_language else customer.language
    if customer.visitor_id:
        await svc.redis.hset(keys.visitor(customer.visitor_id), "contact_id", contact_id)
        await visitor_wrote(svc.redis, keys, customer.visitor_id, svc.config.server.visitor_token_ttl_s)
    conv = await create_conversation(
        svc.redis, keys, channel=customer.channel, channel_type=customer.channel_type,
        work_channel=customer.work_channel, contact_id=contact_id, topic=customer.topic,
        queue=tenant.topics[customer.topic].queue, language=language,
        visitor_id=customer.visitor_id, external_id=customer.external_id, pointer=customer.pointer,
    )
    svc.metrics.conversations.labels(keys.tenant, conv.channel).inc()
    return conv
