"""Escalation to email: the customer receives the conversation so far, from the tenant's address,
with a few words in the conversation's language, through the outbox (retried, sent once). The
conversation keeps its channel; the address's pointer now leads to it, and the token in our mail
brings the customer's reply back to it (threads.py continues it as an email conversation)."""

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
    "en": {
        "subject": "Your conversation with {name}",
        "intro": "Thank you for your patience. As you asked, we continue our conversation by email: "
                 "below is what we have written so far.",
        "text": "Simply reply to this email: your answer reaches our team directly.",
    },
    "de": {
        "subject": "Ihr Gespräch mit {name}",
        "intro": "Vielen Dank für Ihre Geduld. Wie gewünscht setzen wir unser Gespräch per E-Mail fort: "
                 "unten finden Sie, was wir bisher geschrieben haben.",
        "text": "Antworten Sie einfach auf diese E-Mail: Ihre Antwort erreicht unser Team direkt.",
    },
}


def texts(language: str) -> dict[str, str]:
    return in_language(_TEXTS, language)


async def escalate_to_email(svc: Services, keys: TenantKeys, conv: Conversation, address: str, line: Message) -> None:
    """Mail the transcript of ``conv`` to ``address``; ``line`` is the escalation's own line in the
    conversation (the mail's status shows on it). Nothing happens without an email channel."""
    found = email_channel(svc, conv)
    if found is None or svc.outbox is None:
        log.warning("escalation to email, but the tenant has no email channel", extra={"conversation": conv.id})
        return
    channel_id, channel = found
    address = normalise_email(address)
    t = texts(conv.language)
    subject = t["subject"].format(name=channel.display_name or svc.config.tenants[keys.tenant].name or keys.tenant)
    await svc.redis.hset(keys.email_thread(conv.id), "address", address)  # the latest escalation's address
    await start_thread(svc.redis, keys, conv.id, address=address, subject=subject)
    await svc.redis.hset(keys.platform_chat(channel_id, address), mapping={
        "conversation_id": conv.id, "contact_id": conv.contact_id,
    })
    context = await mail_context(svc, conv, line.seq, channel, subject=subject, intro=t["intro"])
    await svc.outbox.enqueue(
        keys.tenant, conv.id, t["text"], f"escalation:{conv.id}:{address}", channel=channel_id, thread=address,
        message_id=line.id, context=context,
    )
