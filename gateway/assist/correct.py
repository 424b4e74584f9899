"""The one-click correction of a conversation's detected topic or language (socket ``assist_correct``, by the
agent holding it or a supervisor of its tenant): a training signal for the topic classifier, and, when the
topic's queue differs, a transfer to that queue (the ACD moves it; the agent holding it lets it go)."""

from __future__ import annotations

import logging
from typing import Any

from gateway.assist import summary
from gateway.assist.inbound import tell_holder
from gateway.assist.service import MAX_TEXT_CHARS
from gateway.assist.store import Signal
from gateway.audit import audit
from gateway.auth import Principal
from gateway.conversations.access import agent_conversation, not_found
from gateway.errors import ClientError
from gateway.keys import TenantKeys
from gateway.services import Services
from gateway.store.conversations import Conversation, get_conversation, update_conversation
from gateway.store.messages import read_messages
from gateway.validation import conversation_id_field, require_dict

log = logging.getLogger(__name__)


async def correct(svc: Services, who: Principal, data: Any) -> dict:
    """``assist_correct {conversation_id, topic?, language?}`` → ``{ok, transferred}``; nothing is stored
    or changed unless every part of the request is valid and allowed."""
    d = require_dict(data)
    cid = conversation_id_field(d)
    tenant = svc.config.tenants[who.tenant]
    topic, language = d.get("topic"), d.get("language")
    if topic is None and language is None:
        raise ClientError("bad_request", "give 'topic', 'language' or both")
    if topic is not None and (not isinstance(topic, str) or topic not in tenant.topics):
        raise ClientError("unknown_topic", "'topic' is not one of this tenant's topics.")
    if language is not None and (not isinstance(language, str) or language not in tenant.languages):
        raise ClientError("unknown_language", "'language' is not one of this tenant's languages.")
    conv = await _allowed(svc, who, cid)
    keys = TenantKeys(who.tenant)
    changes: dict[str, str] = {summary.CORRECTED: "1"}
    if topic is not None and topic != conv.topic:
        changes |= {"topic": topic, summary.TOPIC_CONFIDENCE: "1.0", summary.ABSTAINED: "0"}
    if language is not None and language != conv.language:
        changes |= {"language": language, summary.LANGUAGE_CONFIDENCE: "1.0"}
    text = await customer_text(svc, keys, conv.id)
    stored = False
    if svc.assist is not None and text:  # an agent confirming the detected topic is a signal too
        stored = await svc.assist.record_signal(who.tenant, Signal(
            text=text, topic=topic, language=language, conversation_id=conv.id, actor=who.user_id,
            source="supervisor_correction" if who.role == "supervisor" else "correction",
        ))
    await update_conversation(svc.redis, keys, conv.id, **changes)
    queue = tenant.topics[topic].queue if topic is not None else conv.queue
    transferred = queue != conv.queue
    if transferred:
        await svc.router.transfer(who.tenant, conv.id, queue=queue)
    else:
        await tell_holder(svc, keys, conv.id)
    await audit(svc.redis, keys, who, "assist.correct", {
        "conversation_id": conv.id, **({"topic": topic} if topic is not None else {}),
        **({"language": language} if language is not None else {}), **({"queue": queue} if transferred else {}),
    })
    log.info("assist corrected", extra={"conversation_id": conv.id, "transferred": transferred, "stored": stored})
    return {"ok": True, "transferred": transferred}


async def _allowed(svc: Services, who: Principal, cid: str) -> Conversation:
    """The open conversation ``cid``: any of the tenant's for a supervisor, the one it holds for an agent."""
    if who.role != "supervisor":
        return await agent_conversation(svc, who, cid)
    conv = await get_conversation(svc.redis, TenantKeys(who.tenant), cid)
    if conv is None:
        raise not_found()
    if conv.state == "closed":
        raise ClientError("closed", "The conversation is closed.", 409)
    return conv


async def customer_text(svc: Services, keys: TenantKeys, cid: str) -> str:
    """What the customer first wrote (a mail's subject first): the text the topic is learned from."""
    parts: list[str] = []
    for msg in await read_messages(svc.redis, keys, cid, limit=50):
        if msg.author_kind != "visitor":
            continue
        mail = msg.extra.get("email")
        if not parts and isinstance(mail, dict) and mail.get("subject"):
            parts.append(str(mail["subject"]))
        if msg.text.strip():
            parts.append(msg.text.strip())
            break  # the first message is what the topic was decided on
    return "\n".join(parts)[:MAX_TEXT_CHARS]
