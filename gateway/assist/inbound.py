"""Assist when a customer writes on a channel without a pre-chat form (messengers, email): the first message
decides the new conversation's language (with the platform's hint as a prior) and, on a ``topic: auto``
channel, its topic and so its queue; later messages change the language only on confident evidence,
and the agent holding the conversation hears of it (``conversation_assist``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from gateway.assist import summary
from gateway.assist.service import AUTO
from gateway.keys import TenantKeys
from gateway.rooms import agent_room
from gateway.services import Services
from gateway.store.conversations import get_conversation, update_conversation

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Opening:
    """A new conversation's topic and language, and what its record keeps of how they were found."""

    topic: str
    language: str
    fields: dict[str, str] = field(default_factory=dict)


async def opening(svc: Services, tenant: str, channel_id: str, text: str, *, hint: str = "",
                  classify: bool = True) -> Opening:
    """Topic and language of a conversation this message opens (``hint``: the platform's language or the
    channel's). Without Assist (or with ``classify`` False): the channel's topic and the hint."""
    cfg = svc.config.tenants[tenant]
    channel = cfg.channels[channel_id]
    fixed = channel.topic if channel.topic in cfg.topics else ""
    language = hint if hint in cfg.languages else channel.language or cfg.languages[0]
    assist = svc.assist
    if assist is None or not classify:
        return Opening(fixed or assist_default(svc, tenant, channel_id), language)
    found = await assist.classify(tenant, text, channel=channel_id, language_hint=hint or channel.language or None)
    fields = {summary.LANGUAGE_CONFIDENCE: f"{found.language_confidence:.4f}"}
    if channel.topic != AUTO:
        return Opening(fixed or assist_default(svc, tenant, channel_id), found.language, fields)
    fields |= {summary.TOPIC_CONFIDENCE: f"{found.topic_confidence:.4f}", summary.ABSTAINED: "1" if found.abstained else "0",
               summary.MODEL: found.model_version}
    return Opening(found.topic or assist_default(svc, tenant, channel_id), found.language, fields)


def assist_default(svc: Services, tenant: str, channel_id: str) -> str:
    """The topic of a conversation nothing else decided: the channel's default, the tenant's, the first."""
    if svc.assist is not None:
        return svc.assist.default_topic(tenant, channel_id) or ""
    cfg = svc.config.tenants[tenant]
    channel = cfg.channels[channel_id]
    for candidate in (channel.default_topic, channel.topic, cfg.assist.default_topic):
        if candidate in cfg.topics:
            return candidate
    return next(iter(cfg.topics), "")


async def remember(svc: Services, keys: TenantKeys, conversation_id: str, found: Opening | None) -> None:
    """Keep how the conversation's topic and language were found (before it is routed)."""
    if found is not None and found.fields:
        await update_conversation(svc.redis, keys, conversation_id, **found.fields)


async def customer_message(svc: Services, keys: TenantKeys, conversation_id: str, text: str) -> None:
    """A later message of an open conversation: its language changes only on confident evidence."""
    if svc.assist is None or not text.strip():
        return
    conv = await get_conversation(svc.redis, keys, conversation_id)
    if conv is None or conv.state == "closed":
        return
    found = await svc.assist.classify(keys.tenant, text, channel=conv.channel, current_language=conv.language or None)
    if not found.language_changed or found.language == conv.language:
        return
    await update_conversation(svc.redis, keys, conv.id, language=found.language,
                              **{summary.LANGUAGE_CONFIDENCE: f"{found.language_confidence:.4f}"})
    log.info("conversation language changed", extra={"conversation_id": conv.id, "language": found.language})
    await tell_holder(svc, keys, conv.id)


async def tell_holder(svc: Services, keys: TenantKeys, conversation_id: str) -> None:
    """``conversation_assist`` to the agent holding the conversation (nobody while it waits)."""
    conv = await get_conversation(svc.redis, keys, conversation_id)
    if conv is None or not conv.agent_id or conv.state != "assigned":
        return
    await svc.sio.emit("conversation_assist",
                       {"conversation_id": conv.id, "assist": await summary.assist_summary(svc.redis, keys, conv)},
                       room=agent_room(keys.tenant, conv.agent_id), namespace="/agent")
