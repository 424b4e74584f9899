"""Messenger customers who write outside business hours hear so at once: the channel's
``closed_reply`` in their language, once per conversation, through the outbox like any reply
(so it keeps the platform's pacing, retries and reply window)."""

from __future__ import annotations

import datetime as dt

from gateway.conversations.to_messenger import send_to_messenger
from gateway.hours.schedule import open_for
from gateway.keys import TenantKeys
from gateway.services import Services
from gateway.store.conversations import get_conversation
from gateway.store.messages import post_message

# The message's client id: the store keeps one message per client id and conversation, which
# makes "once per conversation" atomic even with several processes taking this customer's messages.
CLIENT_ID = "closed-reply"


def reply_text(replies: dict[str, str], language: str, channel_language: str) -> str:
    """The reply in the customer's language, else the channel's, else the first configured."""
    return replies.get(language) or replies.get(channel_language) or next(iter(replies.values()), "")


async def reply_if_closed(svc: Services, keys: TenantKeys, channel_id: str, conversation_id: str,
                          at: dt.datetime | None = None) -> bool:
    """Send the closed reply when the conversation's queue is closed at ``at`` (default now) and it
    has not had one; True when it was queued."""
    channel = svc.config.tenants[keys.tenant].channels[channel_id]
    if not channel.closed_reply or svc.outbox is None:
        return False
    conv = await get_conversation(svc.redis, keys, conversation_id)
    if conv is None or not conv.external_id:
        return False
    if open_for(svc.config, keys.tenant, conv.queue or None, at or dt.datetime.now(dt.UTC)):
        return False
    text = reply_text(channel.closed_reply, conv.language, channel.language)
    posted = await post_message(
        svc.redis, keys, conv.id, author_kind="system", author_name="omnirelay", text=text,
        client_id=CLIENT_ID, extra={"closed_reply": True},
    )
    if posted.message.duplicate:
        return False
    return await send_to_messenger(svc, conv, posted.message)
