"""Messenger customers waiting in line hear where they stand, like widget visitors do: after
``queue_notice_after_s`` of waiting, a message with their position and estimated wait, in their
language, at most once per ``queue_notice_every_s``. It leaves through the outbox like a reply.
Not while their queue is outside business hours: they had the closed reply, and "about 2 minutes"
would be a promise nobody keeps (the line moves again at the opening)."""

from __future__ import annotations

import logging
import time

from acd import replies
from bridges.registry import spec_of
from gateway.conversations.to_messenger import send_to_messenger
from gateway.keys import TenantKeys
from gateway.services import Services
from gateway.store.conversations import get_conversation
from gateway.store.messages import post_message
from gateway.texts import in_language

log = logging.getLogger(__name__)
CHECK_S = 5.0

_TEXTS = {
    "en": ("You are number {position} in line.", " Estimated wait: {wait}.", "less than a minute", "about {m} minutes"),
    "de": ("Sie sind an Position {position} der Warteschlange.", " Geschätzte Wartezeit: {wait}.",
           "weniger als eine Minute", "etwa {m} Minuten"),
}


def notice_text(language: str, position: int, ewt_s: float | None) -> str:
    """The line a waiting messenger customer receives (English when the language is not known)."""
    first, wait_line, short, minutes = in_language(_TEXTS, language)
    text = first.format(position=position)
    if ewt_s is not None:
        wait = short if ewt_s < 60 else minutes.format(m=max(1, round(ewt_s / 60)))
        text += wait_line.format(wait=wait)
    return text


async def send_queue_notices(svc: Services) -> None:
    """One pass over every tenant's waiting messenger conversations (safe in several processes: the
    last-notice time is claimed atomically per conversation)."""
    now = time.time()
    for tenant_id, engine in svc.router.engines.items():
        tenant = svc.config.tenants[tenant_id]
        if not any(spec_of(c.type) for c in tenant.channels.values()):
            continue
        keys = TenantKeys(tenant_id)
        for pos in await engine.positions(now=now):
            if pos.closed:
                continue
            conv = await get_conversation(svc.redis, keys, pos.task_id)
            if conv is None or not conv.external_id or svc.outbox is None:
                continue
            channel = tenant.channels.get(conv.channel)
            if channel is None or channel.type == "email" or now - conv.created_at < channel.queue_notice_after_s:
                continue
            last = replies.maybe_text(await svc.redis.hget(keys.conv(conv.id), "queue_notice_at"))
            if last and now - float(last) < channel.queue_notice_every_s:
                continue
            # claim this notice (another process may be looking at the same line right now)
            if not await svc.redis.set(keys.leader(f"qnotice:{conv.id}"), "1", nx=True, ex=max(int(CHECK_S), 1)):
                continue
            await svc.redis.hset(keys.conv(conv.id), "queue_notice_at", repr(now))
            text = notice_text(conv.language, pos.position, pos.ewt_s)
            posted = await post_message(
                svc.redis, keys, conv.id, author_kind="system", author_name="omnirelay", text=text,
                client_id=f"qnotice:{int(now)}", extra={"queue_notice": True},
            )
            await send_to_messenger(svc, conv, posted.message)
