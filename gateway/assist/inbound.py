"""Assist when a customer writes on a channel without a pre-chat form (messengers, email): the first message
decides the new conversation's language (with the platform's hint as a prior) and, on a ``topic: auto``
channel, its topic and so its queue (the contact's earlier conversations give the language's prior once the
contact is known, before the conversation is created); later messages change the language only on confident
evidence, the agent holding the conversation hears of it (``conversation_assist``), and one still waiting is
routed by the new language."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace

from acd import replies
from acd.errors import InvalidState, UnknownTask
from gateway.assist import summary
from gateway.assist.service import AUTO
from gateway.keys import TenantKeys
from gateway.rooms import agent_room
from gateway.services import Services
from gateway.store.conversations import get_conversation, update_conversation

log = logging.getLogger(__name__)

EARLIER_LOOKED_AT = 5  # a contact's newest conversations looked at for the language they wrote in before


@dataclass(frozen=True)
class Opening:
    """A new conversation's topic and language, and what its record keeps of how they were found."""

    topic: str
    language: str
    fields: dict[str, str] = field(default_factory=dict)
    text: str = ""  # what the language was detected from ("" when nothing was detected)
    hint: str = ""  # the prior it was detected with (the platform's language or the channel's)


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
    prior = hint or channel.language or ""
    found = await assist.classify(tenant, text, channel=channel_id, language_hint=prior or None)
    fields = {summary.LANGUAGE_CONFIDENCE: f"{found.language_confidence:.4f}"}
    if channel.topic != AUTO:
        return Opening(fixed or assist_default(svc, tenant, channel_id), found.language, fields, text, prior)
    fields |= {summary.TOPIC_CONFIDENCE: f"{found.topic_confidence:.4f}", summary.ABSTAINED: "1" if found.abstained else "0",
               summary.MODEL: found.model_version}
    return Opening(found.topic or assist_default(svc, tenant, channel_id), found.language, fields, text, prior)


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


async def with_contacts_prior(svc: Services, keys: TenantKeys, contact_id: str, found: Opening) -> Opening:
    """The opening once its contact is known, before the conversation is created (so its record and task are
    born with the language): the language of the contact's newest earlier conversation is the prior (it
    outranks the platform's setting and the channel's default), and the language is detected again with it."""
    if not found.text or svc.assist is None:
        return found
    earlier = await contacts_language(svc, keys, contact_id)
    if not earlier or earlier == found.hint:
        return found
    again = await svc.assist.classify(keys.tenant, found.text, language_hint=earlier)
    if again.language != found.language:
        log.info("language from the contact's earlier conversations",
                 extra={"contact_id": contact_id, "language": again.language})
    return replace(found, language=again.language, hint=earlier,
                   fields={**found.fields, summary.LANGUAGE_CONFIDENCE: f"{again.language_confidence:.4f}"})


async def remember(svc: Services, keys: TenantKeys, conversation_id: str, found: Opening | None) -> None:
    """Keep how the conversation's topic and language were found (before it is routed)."""
    if found is not None and found.fields:
        await update_conversation(svc.redis, keys, conversation_id, **found.fields)


async def contacts_language(svc: Services, keys: TenantKeys, contact_id: str) -> str:
    """The language of the contact's newest conversation ("" when none). Only those still in Redis are
    looked at: routing never waits for the history database."""
    if not contact_id:
        return ""
    others = replies.texts(await svc.redis.zrevrange(keys.contact_convs(contact_id), 0, EARLIER_LOOKED_AT - 1))
    languages = svc.config.tenants[keys.tenant].languages
    for cid in others:
        language = replies.maybe_text(await svc.redis.hget(keys.conv(cid), "language"))
        if language in languages:
            return language or ""
    return ""


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
    if conv.state == "queued":
        await route_by_language(svc, keys, conv.id, found.language)
    await tell_holder(svc, keys, conv.id)


async def route_by_language(svc: Services, keys: TenantKeys, conversation_id: str, language: str) -> None:
    """A conversation still waiting is routed by its new language from now on (the ACD moves its task in
    one atomic step, keeping its place in line); one offered or answered meanwhile keeps the old one."""
    router = svc.router
    try:
        effects = await router.engine(keys.tenant).relanguage(conversation_id, language, time.time())
    except (InvalidState, UnknownTask):
        log.info("conversation no longer waiting: its offer keeps the language it was queued with",
                 extra={"conversation_id": conversation_id})
        return
    router.lines_moved.add(keys.tenant)  # an offer may have been made: the positions move
    await router.effects.apply(keys.tenant, effects)


async def tell_holder(svc: Services, keys: TenantKeys, conversation_id: str) -> None:
    """``conversation_assist`` to the agent holding the conversation (nobody while it waits)."""
    conv = await get_conversation(svc.redis, keys, conversation_id)
    if conv is None or not conv.agent_id or conv.state != "assigned":
        return
    await svc.sio.emit("conversation_assist",
                       {"conversation_id": conv.id, "assist": await summary.assist_summary(svc.redis, keys, conv)},
                       room=agent_room(keys.tenant, conv.agent_id), namespace="/agent")
