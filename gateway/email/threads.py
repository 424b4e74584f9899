"""A customer's mail into the right conversation, never into someone else's.

The rules, in order: our own Message-ID coming back is a loop (dropped); a mail already stored is
not stored again; a sender past the rate cap is dropped (a flood). Then the signed token (see
tokens.py) names a conversation. From that conversation's own address (the one our mails went to,
or the contact's email) the mail continues it, and the address becomes a *verified* identity of the
contact (an email round trip). From any other address it opens that sender's own conversation,
linked to the one it answered, with a line in both: never merged silently. Without a valid token
the mail goes to the sender's open email conversation, or a new one for the contact with that address.

A conversation that cannot take the mail as it is (closed, or a chat that was escalated to email)
is continued by a *new* email conversation linked to it: that one is routed on the ``email`` work
channel and the agent's answer leaves by mail. Auto-replies, out-of-office and bounces are stored
where they belong and shown, but never open or reopen routing (and nothing ever answers them).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from acd import replies
from bridges.events import Attachment, Message
from bridges.registry import spec_of
from gateway.assist.auto_answer import route_opened, wrote_again
from gateway.assist.inbound import (
    Opening,
    assist_default,
    customer_message,
    opening,
    remember,
    with_contacts_prior,
)
from gateway.conversations.delivery import fan_out
from gateway.email.state import bare, copy_thread, customer_mailed, get_thread, start_thread
from gateway.email.tokens import Tokens
from gateway.keys import TenantKeys
from gateway.media.inline import register_inline_files
from gateway.media.jobs import set_message_seq
from gateway.ratelimit import allow
from gateway.services import Services
from gateway.store.contacts import get_contact, live_contact_id, normalise_email, resolve_contact
from gateway.store.conversations import (
    Conversation,
    close_conversation,
    create_conversation,
    get_conversation,
    update_conversation,
)
from gateway.store.locks import held_lock
from gateway.store.messages import ConversationClosed, Posted, post_message
from gateway.texts import line

log = logging.getLogger(__name__)

RATE_CAP = (20, 600)  # mails per sender per 10 minutes; beyond: a flood (a loop somewhere), dropped
SEEN_TTL_S = 7 * 24 * 3600  # as long as the ingest's dedupe
QUOTED_MAX = 64 * 1024  # the quoted original and the sanitised HTML kept for "show quoted text"


async def email_event(svc: Services, keys: TenantKeys, channel_id: str, event: Any) -> None:
    """Store one customer mail of an email channel in its conversation (the whole inbound path)."""
    if not isinstance(event, Message):
        log.info("email event not handled", extra={"kind": type(event).__name__, "channel": channel_id})
        return
    tokens = Tokens(svc.config.server.secret_key)
    details = event.details
    sender = normalise_email(event.customer.id)
    mid = bare(event.message_id or str(details.get("message_id") or ""))
    if tokens.ours(mid):
        log.warning("our own mail came back: dropped", extra={"channel": channel_id, "message_id": mid})
        return
    if mid and await svc.redis.exists(keys.email_seen(channel_id, mid)):
        return  # stored before (the same mail through the listener and a forwarder, or a retry)
    if not await allow(svc.redis, keys, f"mail:{channel_id}:{sender}", *RATE_CAP):
        svc.metrics.rejected.labels("rate_limited").inc()
        log.warning("mail flood from one sender: dropped", extra={"channel": channel_id, "sender": sender})
        return
    named = tokens.conversation_of(details)
    target = await get_conversation(svc.redis, keys, named) if named else None
    own = target is not None and await _own_address(svc, keys, target, sender)
    auto = str(details.get("auto") or "")
    if auto:
        conv, opened = await _auto_home(svc, keys, channel_id, event, target if own else None), False
    else:
        if own:
            assert target is not None
            await resolve_contact(svc.redis, keys, [("email", sender)], name=event.customer.name,
                                  merge=[target.contact_id])  # the round trip: the address is theirs
        if own and target is not None and target.state != "closed" and target.channel_type == "email":
            conv, opened = target, False
        else:
            conv, opened = await _sender_conversation(svc, keys, channel_id, event, target, own)
    posted = await _post(svc, keys, channel_id, conv, event, auto)
    if opened:
        await route_opened(svc, conv, posted.message)  # answered automatically, or queued for a person
    elif not auto and not posted.message.duplicate:
        await wrote_again(svc, keys, posted)  # a reply after an automatic answer goes to a person
        await customer_message(svc, keys, posted.message.conversation_id, event.text)  # its language may change
    await customer_mailed(svc.redis, keys, posted.message.conversation_id, mid,
                          [r for r in details.get("references") or [] if isinstance(r, str)])
    if mid:
        await svc.redis.set(keys.email_seen(channel_id, mid), posted.message.conversation_id, ex=SEEN_TTL_S)


async def _own_address(svc: Services, keys: TenantKeys, conv: Conversation, sender: str) -> bool:
    """Is ``sender`` the address of the conversation's customer (where our mails went, or the contact's)?"""
    if (await get_thread(svc.redis, keys, conv.id)).address == sender:
        return True
    contact = await get_contact(svc.redis, keys, conv.contact_id)
    return contact is not None and (contact.email == sender or f"email:{sender}" in contact.identities)


async def _contact_of(svc: Services, keys: TenantKeys, sender: str, name: str, known: str) -> str:
    """The contact of an address not (yet) proven: whoever verified it, else the one it wrote as before,
    else a new contact with the address as a claim."""
    owner = replies.maybe_text(await svc.redis.get(keys.identity("email", sender)))
    if owner:
        return await live_contact_id(svc.redis, keys, owner)
    if known:
        return await live_contact_id(svc.redis, keys, known)
    return await resolve_contact(svc.redis, keys, [], name=name, email=sender)


async def _sender_conversation(svc: Services, keys: TenantKeys, channel_id: str, event: Message,
                               linked: Conversation | None, own: bool) -> tuple[Conversation, bool]:
    """The sender's open email conversation, or a new one (linked to ``linked`` when the mail answered
    it); True when this call opened it."""
    sender = normalise_email(event.customer.id)
    pointer = keys.platform_chat(channel_id, sender)
    for _ in range(50):
        found = await _open_pointer(svc, keys, pointer)
        if found is not None:
            return found, False
        async with held_lock(svc.redis, f"{pointer}:opening") as held:
            if held:
                found = await _open_pointer(svc, keys, pointer)
                if found is not None:
                    return found, False
                return await _create(svc, keys, channel_id, event, linked, own), True
        await asyncio.sleep(0.02)
    raise RuntimeError("could not open an email conversation")  # the delivery is retried


async def _open_pointer(svc: Services, keys: TenantKeys, pointer: str) -> Conversation | None:
    cid = replies.maybe_text(await svc.redis.hget(pointer, "conversation_id"))
    conv = await get_conversation(svc.redis, keys, cid) if cid else None
    return conv if conv is not None and conv.state != "closed" and conv.channel_type == "email" else None


async def _create(svc: Services, keys: TenantKeys, channel_id: str, event: Message, linked: Conversation | None,
                  own: bool, *, closed: bool = False) -> Conversation:
    tenant = svc.config.tenants[keys.tenant]
    channel = tenant.channels[channel_id]
    spec = spec_of(channel.type)
    sender = normalise_email(event.customer.id)
    pointer = keys.platform_chat(channel_id, sender)
    continues = linked if own else None  # the same customer: same contact, topic and language
    known = replies.maybe_text(await svc.redis.hget(pointer, "contact_id")) or ""
    contact_id = continues.contact_id if continues else await _contact_of(svc, keys, sender, event.customer.name, known)
    found: Opening | None = None
    if continues is not None:
        topic = continues.topic if continues.topic in tenant.topics else assist_default(svc, keys.tenant, channel_id)
        language = continues.language
    else:  # a new request: its language and (topic: auto) its topic from the mail (gateway/assist)
        found = await opening(svc, keys.tenant, channel_id, _mail_text(event), classify=not closed)
        found = await with_contacts_prior(svc, keys, contact_id, found)
        topic, language = found.topic, found.language
    conv = await create_conversation(
        svc.redis, keys, channel=channel_id, channel_type=channel.type,
        work_channel=spec.work_channel if spec else "email", contact_id=contact_id, topic=topic,
        queue=tenant.topics[topic].queue, language=language, external_id=sender, pointer=pointer,
    )
    await remember(svc, keys, conv.id, found)
    await svc.redis.hset(pointer, "contact_id", contact_id)
    svc.metrics.conversations.labels(keys.tenant, conv.channel).inc()
    if closed:  # an auto-reply with nowhere to go: kept and shown, never routed
        await close_conversation(svc.redis, keys, conv.id, "auto_reply")
    await start_thread(svc.redis, keys, conv.id, address=sender, subject=str(event.details.get("subject") or ""))
    if linked is not None:
        await update_conversation(svc.redis, keys, conv.id, linked_to=linked.id)
        if own:
            await copy_thread(svc.redis, keys, linked.id, conv.id)
            here = line(conv.language, "email_continues", other=linked.id)
            there = line(linked.language, "email_continued", other=conv.id)
        else:
            here = line(conv.language, "email_other_sender_here", sender=sender, other=linked.id)
            there = line(linked.language, "email_other_sender_there", sender=sender, other=conv.id)
        for cid, text in ((conv.id, here), (linked.id, there)):
            posted = await post_message(svc.redis, keys, cid, author_kind="system", author_name="omnirelay", text=text,
                                        extra={"linked": {"conversation_id": linked.id if cid == conv.id else conv.id}},
                                        allow_closed=True)
            await fan_out(svc, keys.tenant, posted)
    return conv


async def _auto_home(svc: Services, keys: TenantKeys, channel_id: str, event: Message,
                     target: Conversation | None) -> Conversation:
    """Where an automatic mail is kept: the conversation it answered (own address), the sender's last
    conversation, or a new one closed at once; in whatever state it is (nothing is reopened)."""
    if target is not None:
        return target
    pointer = keys.platform_chat(channel_id, normalise_email(event.customer.id))
    cid = replies.maybe_text(await svc.redis.hget(pointer, "conversation_id"))
    conv = await get_conversation(svc.redis, keys, cid) if cid else None
    return conv or await _create(svc, keys, channel_id, event, None, False, closed=True)


async def _post(svc: Services, keys: TenantKeys, channel_id: str, conv: Conversation, event: Message, auto: str) -> Posted:
    """Store the mail in ``conv`` (with its files), and show it."""
    files: list[Attachment] = list(event.attachments)
    media = await register_inline_files(svc, keys.tenant, conv.id, channel_id, files) if files else []
    extra: dict[str, Any] = {"platform_message_id": event.message_id, "email": _shown(event.details, auto)}
    if media:
        extra["attachments"] = media
    if event.ts:
        extra["platform_ts"] = event.ts
    who = event.customer
    try:
        posted = await post_message(
            svc.redis, keys, conv.id, author_kind="visitor", author_name=who.name or who.id, author_id=who.id,
            text=event.text[: svc.config.limits.message_chars], client_id=f"{channel_id}:{event.message_id}",
            extra=extra, allow_closed=bool(auto),
        )
    except ConversationClosed as err:  # closed a moment ago: the delivery is retried and finds a new one
        raise RuntimeError("conversation closed while storing a mail") from err
    if media:
        await set_message_seq(svc.redis, keys.tenant, [m["id"] for m in media], posted.message.seq)
    if not posted.message.duplicate:
        svc.metrics.messages.labels(keys.tenant, "visitor").inc()
        await fan_out(svc, keys.tenant, posted)
    return posted


def _shown(details: Any, auto: str) -> dict[str, Any]:
    """The mail's fields the console shows (subject, from/to, the quoted original to expand)."""
    def text(name: str, limit: int = 998) -> str:
        value = details.get(name)
        return value[:limit] if isinstance(value, str) else ""

    def addresses(name: str) -> list[str]:
        value = details.get(name)
        return [a[:320] for a in value[:50] if isinstance(a, str)] if isinstance(value, list | tuple) else []

    return {
        "subject": text("subject"), "from": text("from"), "to": addresses("to"), "cc": addresses("cc"),
        "message_id": text("message_id"), "in_reply_to": text("in_reply_to"),
        # the sanitised HTML stays on the server: every browser would get it, and the console shows text
        "quoted": text("quoted", QUOTED_MAX), "html_present": bool(text("html")), "auto": auto,
    }


def _mail_text(event: Message) -> str:
    """What a mail says about its request: the subject, then the text."""
    return f"{event.details.get('subject') or ''}\n{event.text}".strip()
