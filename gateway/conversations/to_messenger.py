"""System lines a messenger customer must read too — a callback's confirmation or its next try, a
queue notice, the closed reply — leave through the conversation's ordered outbox like an agent's
reply (after it in order, retried, paced, with the delivery status on the line).

Only messenger conversations: the widget reads its conversation itself, and email conversations get
mails of their own (gateway/email). A line sent twice is sent once: the outbox item carries the
line's client id, which the platforms that take one use as their idempotency key.
"""

from __future__ import annotations

from acd import replies
from bridges.base import Button
from bridges.registry import spec_of
from gateway.keys import TenantKeys
from gateway.services import Services
from gateway.store.conversations import Conversation
from gateway.store.messages import Message


def on_messenger(svc: Services, conv: Conversation) -> bool:
    """The conversation's customer writes from a messenger (Telegram, WhatsApp, Messenger, …)."""
    channel = svc.config.tenants[conv.tenant].channels.get(conv.channel)
    spec = spec_of(channel.type) if channel is not None else None
    return bool(conv.external_id) and spec is not None and spec.work_channel == "messaging"


async def send_to_messenger(svc: Services, conv: Conversation, line: Message,
                            choices: tuple[Button, ...] = ()) -> bool:
    """Queue a stored system line for the customer's messenger; False when the conversation is not on one."""
    if svc.outbox is None or not on_messenger(svc, conv):
        return False
    keys = TenantKeys(conv.tenant)
    phone = replies.maybe_text(await svc.redis.hget(keys.contact(conv.contact_id), "phone")) or ""
    await svc.outbox.enqueue(conv.tenant, conv.id, line.text, line.client_id or line.id, channel=conv.channel,
                             thread=conv.external_id, message_id=line.id, phone=phone, choices=choices)
    return True
