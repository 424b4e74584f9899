"""What agents confirm by handling a conversation, as training signals of the topic classifier: a
conversation an agent closes confirms the topic it was handled under, and an agent's transfer to a queue
only one topic routes to names that topic. Each weighs as much as one config example, less than a
correction (gateway/assist/correct.py), because an agent closing a conversation did not necessarily look
at its topic. A wrap-up code that names a topic (``wrapup_codes: {refund: {topic: billing}}``) is different:
the agent said what the conversation was about, so it weighs like a correction and counts for every
conversation, whoever chose its topic.

Only a conversation whose topic the classifier decided (a ``topic: auto`` channel) or an agent corrected
counts: a topic the visitor picked in the widget's form, or a channel's fixed topic, says nothing about
what the text is about, and an agent who serves such a conversation in its queue does not judge it.
"""

from __future__ import annotations

import logging

from acd import replies
from gateway.assist import summary
from gateway.assist.correct import customer_text
from gateway.assist.store import Signal
from gateway.config.schema import TenantConfig
from gateway.keys import TenantKeys
from gateway.services import Services
from gateway.store.conversations import Conversation

log = logging.getLogger(__name__)

CLOSED = "closed"  # Signal.source of an agent's close
TRANSFER = "transfer"  # Signal.source of an agent's transfer to a queue
WRAPUP = "wrapup"  # Signal.source of a close with a wrap-up code that names a topic (weighs like a correction)


def only_topic_of(tenant: TenantConfig, queue: str) -> str | None:
    """The topic routed to ``queue`` when exactly one is (None: none or several)."""
    topics = [tid for tid, topic in tenant.topics.items() if topic.queue == queue]
    return topics[0] if len(topics) == 1 else None


def handled_topic(tenant: TenantConfig, conv: Conversation) -> str | None:
    """The topic a conversation was handled under: its own while it is in that topic's queue; after a
    transfer, the one topic of the queue it is in now (None when that queue has several)."""
    topic = tenant.topics.get(conv.topic)
    if topic is not None and topic.queue == conv.queue:
        return conv.topic
    return only_topic_of(tenant, conv.queue)


async def _how_decided(svc: Services, keys: TenantKeys, conv: Conversation) -> tuple[bool, bool] | None:
    """(corrected, abstained) of a conversation the classifier or an agent decided; None for any other."""
    corrected, abstained = (replies.maybe_text(v) for v in await svc.redis.hmget(
        keys.conv(conv.id), [summary.CORRECTED, summary.ABSTAINED]))
    if corrected != "1" and abstained is None:
        return None  # the visitor's choice, or the channel's fixed topic
    return corrected == "1", abstained == "1"


async def _record(svc: Services, keys: TenantKeys, conv: Conversation, topic: str, source: str, actor: str) -> None:
    assert svc.assist is not None
    text = await customer_text(svc, keys, conv.id)
    if not text:
        return  # nothing the customer wrote (a file alone): nothing to learn from
    await svc.assist.record_signal(keys.tenant, Signal(text=text, topic=topic, language=None, source=source,
                                                       conversation_id=conv.id, actor=actor))
    log.info("topic confirmed by an agent", extra={"conversation_id": conv.id, "topic": topic, "source": source})


def wrapup_topic(tenant: TenantConfig, queue: str, code: str | None) -> str | None:
    """The topic the wrap-up code ``code`` of ``queue`` names (None: no code, or one naming none)."""
    q = tenant.queues.get(queue)
    found = q.wrapup_codes.get(code) if q is not None and code else None
    return found.topic if found is not None and found.topic in tenant.topics else None


async def closed_by_agent(svc: Services, tenant: str, conv: Conversation, wrapup_code: str | None = None) -> None:
    """An agent closed ``conv``: a wrap-up code that names a topic is a signal of that topic whoever chose the
    topic before (the agent said what it was about); otherwise the topic it was handled under is one (if the
    classifier or an agent decided it; a default topic nobody moved is not)."""
    if svc.assist is None:
        return
    keys = TenantKeys(tenant)
    named = wrapup_topic(svc.config.tenants[tenant], conv.queue, wrapup_code)
    if named is not None:
        await _record(svc, keys, conv, named, WRAPUP, conv.agent_id)
        return
    decided = await _how_decided(svc, keys, conv)
    topic = handled_topic(svc.config.tenants[tenant], conv)
    if decided is None or topic is None:
        return
    corrected, abstained = decided
    if abstained and not corrected and topic == conv.topic:
        return  # the classifier was unsure and the default topic applied: the agent only served the queue
    await _record(svc, keys, conv, topic, CLOSED, conv.agent_id)


async def transferred_by_agent(svc: Services, tenant: str, conv: Conversation, queue: str, actor: str) -> None:
    """An agent moved ``conv`` to ``queue``: a signal for that queue's topic when it has exactly one."""
    if svc.assist is None or queue == conv.queue:
        return
    keys = TenantKeys(tenant)
    topic = only_topic_of(svc.config.tenants[tenant], queue)
    if topic is None or await _how_decided(svc, keys, conv) is None:
        return
    await _record(svc, keys, conv, topic, TRANSFER, actor)
