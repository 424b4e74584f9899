"""The mail a customer receives when we give their callback up (wrong number, or every attempt
unanswered): the line saying so, in their language, from the tenant's address, through the outbox
(retried, sent once); a reply comes back into the conversation like any escalation mail's."""

from __future__ import annotations

import logging

from gateway.email.compose import email_channel, mail_context
from gateway.email.state import start_thread
from gateway.keys import TenantKeys
from gateway.services import Services
from gateway.store.contacts import normalise_email
from gateway.store.conversations import Conversation
from gateway.store.messages import Message
from gateway.texts import in_language

log = logging.getLogger(__name__)

_TEXTS = {
    "en": {"subject": "Your callback from {name}", "reply": "Simply reply to this email: your answer reaches our team directly."},
    "de": {"subject": "Ihr Rückruf von {name}", "reply": "Antworten Sie einfach auf diese E-Mail: Ihre Antwort erreicht unser Team direkt."},
}


async def mail_gave_up(svc: Services, keys: TenantKeys, conv: Conversation, address: str, line: Message) -> None:
    """Send ``line`` (we could not reach you …) to ``address``; nothing without an email channel."""
    found = email_channel(svc, conv)
    if found is None or svc.outbox is None:
        log.warning("callback given up, but the tenant has no email channel", extra={"conversation": conv.id})
        return
    channel_id, channel = found
    address = normalise_email(address)
    t = in_language(_TEXTS, conv.language)
    subject = t["subject"].format(name=channel.display_name or svc.config.tenants[keys.tenant].name or keys.tenant)
    await start_thread(svc.redis, keys, conv.id, address=address, subject=subject)
    await svc.redis.hset(keys.platform_chat(channel_id, address), mapping={
        "conversation_id": conv.id, "contact_id": conv.contact_id,
    })
    context = await mail_context(svc, conv, line.seq, channel, subject=subject, intro=line.text)
    await svc.outbox.enqueue(
        keys.tenant, conv.id, t["reply"], f"callback-gave-up:{line.id}", channel=channel_id, thread=address,
        message_id=line.id, context=context,
    )
