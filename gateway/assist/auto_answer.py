"""Routine requests answered automatically, and the customer's way to a person.

A new conversation's first message is answered with a canned answer a supervisor approved for the
conversation's queue (``auto_queues``) when ``assist.autoanswer.decide`` says so: the top suggestion's
confidence is at or above the threshold measured precise enough on held-back examples, its language is the
customer's, and neither the message's topic nor the answer's is excluded in that queue. The answer is a
message with ``auto: true``; the conversation is then not queued but waits in state ``auto_answered``
(the supervisor sees it). The customer who asks for a person (the widget's button, a messenger's quick
reply or keyword, an email reply) or writes again within ``assist.auto_wait_s`` is queued with the
conversation's own creation time, so priority and waiting time are kept; one who stays quiet has been
answered, and the conversation closes.
"""

from __future__ import annotations

import logging
import re
import time

from acd import replies
from acd.lua_runner import runner
from assist.autoanswer import Approval, decide
from bridges.base import Button
from gateway.assist import snippet_figures, summary
from gateway.conversations.delivery import fan_out
from gateway.conversations.outbound import reply_outbound
from gateway.conversations.to_messenger import on_messenger, send_to_messenger
from gateway.email.state import customer_mailed
from gateway.keys import TenantKeys
from gateway.rooms import visitor_room
from gateway.services import Services
from gateway.store.contacts import get_contact
from gateway.store.conversations import (
    Conversation,
    close_conversation,
    get_conversation,
    update_conversation,
)
from gateway.store.messages import Message, Posted, post_message
from gateway.store.scripts import store_script
from gateway.texts import in_language

log = logging.getLogger(__name__)

AUTO_TAKE = store_script("auto_take")
HANDING_STALE_S = 30.0  # a hand-on this old was left by a process that died: the sweep finishes it
AUTO_ANSWERED = "auto_answered"  # the state of a conversation waiting after its automatic answer
RETURN_WINDOW_S = 24 * 3600  # a customer back within a day after a quiet automatic answer was not helped
PERSON_CHOICE = "assist:person"  # the value of the messengers' "Talk to a person" button
PERSON_WORDS = re.compile(r"\b(person|agent|human|mitarbeiter\w*|mensch\w*)\b", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"\{\{\s*([\w.]+)\s*\}\}")

_TEXTS = {
    "en": {"name": "Automatic answer", "button": "Talk to a person",
           "footer": 'This is an automatic answer. Reply "person" to talk to one of us.',
           "queued": "Thank you. One of us will take over shortly."},
    "de": {"name": "Automatische Antwort", "button": "Mit einem Menschen sprechen",
           "footer": "Dies ist eine automatische Antwort. Antworten Sie „Mitarbeiter“, um mit einem Menschen zu sprechen.",
           "queued": "Danke. Gleich übernimmt jemand von uns."},
}


def asks_for_person(text: str) -> bool:
    """Does the customer's message ask for a person ("person", "agent", "Mitarbeiter", "Mensch", …)?"""
    return text.strip() == PERSON_CHOICE or bool(PERSON_WORDS.search(text))


async def route_opened(svc: Services, conv: Conversation, first: Message) -> None:
    """A customer's message opened ``conv``: answer it automatically, or queue it for a person."""
    keys = TenantKeys(conv.tenant)
    conv = await get_conversation(svc.redis, keys, conv.id) or conv  # as Assist left it (its language may have changed)
    returned = await svc.redis.getdel(keys.auto_answered(conv.contact_id))
    if returned:  # the last automatic answer did not settle it after all
        await snippet_figures.count_escalated(svc, conv.tenant, replies.maybe_text(returned) or "", "returned")
    try:
        answered = await _answer(svc, conv, first)
    except Exception:  # the customer must reach a person even when the answer machinery fails
        log.exception("automatic answer failed: queued for a person", extra={"conversation": conv.id})
        answered = False
    if not answered:
        await svc.router.submit(conv)


async def _answer(svc: Services, conv: Conversation, first: Message) -> bool:
    tenant = svc.config.tenants[conv.tenant]
    approved = {c.id for c in tenant.canned if conv.queue in c.auto_queues}
    if not tenant.assist.auto_answer or not approved or svc.answers is None or not first.text.strip() \
            or first.extra.get("attachments"):
        return False
    built = await svc.answers.built(conv.tenant)
    suggestions = built.suggester.suggest(first.text, conv.language, k=3)
    model = svc.assist.topic_model(conv.tenant) if svc.assist is not None else None
    topic = model.classify(first.text) if model is not None else conv.topic
    off = await snippet_figures.disabled(svc, conv.tenant, approved)
    queue = tenant.queues.get(conv.queue)
    decision = decide(
        suggestions, language=conv.language, topic=topic, snippets=built.snippets,
        approvals={cid: Approval(cid, built.threshold.threshold, enabled=cid not in off) for cid in approved},
        excluded_topics=queue.auto_exclude_topics if queue else (),
    )
    log.info("automatic answer decided", extra={"conversation": conv.id, "send": decision.send,
                                                "canned_id": decision.canned_id, "why": decision.reason})
    if not decision.send or decision.canned_id is None:
        return False
    seq = int(replies.maybe_text(await svc.redis.hget(TenantKeys(conv.tenant).conv(conv.id), "seq")) or 0)
    if seq != first.seq:
        return False  # the customer wrote more meanwhile: a person reads it all
    await _send(svc, conv, decision.canned_id, first)
    return True


async def _send(svc: Services, conv: Conversation, canned_id: str, answering: Message) -> None:
    """Post the answer marked automatic, and let the conversation wait for the customer's next move."""
    keys = TenantKeys(conv.tenant)
    canned = next(c for c in svc.config.tenants[conv.tenant].canned if c.id == canned_id)
    t = in_language(_TEXTS, conv.language)
    contact = await get_contact(svc.redis, keys, conv.contact_id)
    text = _PLACEHOLDER.sub(lambda m: {"customer.name": contact.name if contact else ""}.get(m.group(1), ""), canned.text)
    text = re.sub(r"\s+([,.!?])", r"\1", text).strip()  # "Hello ," when the name is unknown
    if conv.channel_type != "widget":  # the widget shows a button; messengers and mail read how to ask
        text = f"{text}\n\n{t['footer']}"
    now = time.time()
    # waiting before the answer leaves: a customer who replies at once is already a person's
    await update_conversation(svc.redis, keys, conv.id, state=AUTO_ANSWERED, auto_canned=canned_id, auto_at=repr(now),
                              **{summary.AUTO_ANSWERED: "1"})  # the console's assist summary says so
    await svc.redis.zadd(keys.auto_waiting(), {conv.id: now + svc.config.tenants[conv.tenant].assist.auto_wait_s})
    posted = await post_message(svc.redis, keys, conv.id, author_kind="system", author_name=t["name"], text=text,
                                client_id=f"auto:{conv.id}", extra={"auto": True, "canned_id": canned_id})
    await snippet_figures.count_sent(svc, conv.tenant, canned_id)
    mail = answering.extra.get("email")
    if conv.channel_type == "email" and isinstance(mail, dict) and mail.get("message_id"):
        # the answer leaves before the mail's own handling has noted it: thread under it now
        await customer_mailed(svc.redis, keys, conv.id, str(mail["message_id"]), [])
    await _deliver(svc, conv, posted, choices=(Button(PERSON_CHOICE, t["button"]),))
    svc.metrics.messages.labels(conv.tenant, "auto").inc()


async def _deliver(svc: Services, conv: Conversation, posted: Posted, choices: tuple[Button, ...] = ()) -> None:
    await fan_out(svc, conv.tenant, posted)  # the widget's tabs, and supervisors watching
    if on_messenger(svc, conv):
        await send_to_messenger(svc, conv, posted.message, choices)
    elif conv.channel_type == "email":
        await reply_outbound(svc, conv, posted.message)


async def wrote_again(svc: Services, keys: TenantKeys, posted: Posted) -> None:
    """A customer message in an open conversation: after an automatic answer it goes to a person;
    else the agent holding it gets suggestions."""
    msg = posted.message
    if posted.auto_waiting:  # read by the script that stored the message: no second look
        await to_person(svc, keys, msg.conversation_id, "asked" if asks_for_person(msg.text) else "wrote_again")
    elif svc.answers is not None:
        svc.answers.push_later(keys.tenant, posted)


async def _take(svc: Services, keys: TenantKeys, conversation_id: str) -> bool:
    """Take the conversation out of its wait (this call, no other); it stays in the handing set until done."""
    took = await runner(svc.redis).call(AUTO_TAKE, keys=[keys.auto_waiting(), keys.auto_handing()],
                                        args=[conversation_id, repr(time.time())])
    return bool(took)


async def to_person(svc: Services, keys: TenantKeys, conversation_id: str, how: str) -> bool:
    """Queue an automatically answered conversation for a person (priority and waiting time kept);
    False when it was not waiting (already queued, with a person, or closed)."""
    if not await _take(svc, keys, conversation_id):
        return False  # another message or process took it first
    await update_conversation(svc.redis, keys, conversation_id, auto_outcome=how)
    await _queue_taken(svc, keys, conversation_id, how)
    return True


async def _queue_taken(svc: Services, keys: TenantKeys, conversation_id: str, how: str) -> None:
    conv = await get_conversation(svc.redis, keys, conversation_id)
    if conv is not None and conv.state != "closed":
        await svc.router.submit(conv)  # enqueued at conv.created_at: the queue's priority and the wait so far
        canned_id = replies.maybe_text(await svc.redis.hget(keys.conv(conv.id), "auto_canned")) or ""
        if canned_id:
            await snippet_figures.count_escalated(svc, keys.tenant, canned_id, how)
        if conv.channel_type != "email":  # a mail's answer is the agent's reply itself
            line = await post_message(svc.redis, keys, conv.id, author_kind="system", author_name="omnirelay",
                                      text=in_language(_TEXTS, conv.language)["queued"],
                                      client_id=f"auto-queued:{conv.id}", extra={"auto_queued": True})
            await _deliver(svc, conv, line)
    await svc.redis.zrem(keys.auto_handing(), conversation_id)


async def close_quiet(svc: Services) -> None:
    """Close the automatically answered conversations whose customer stayed quiet: answered (any process);
    and finish what a process that died left half handed on (queued for a person, or closed)."""
    now = time.time()
    for tenant in svc.config.tenants:
        keys = TenantKeys(tenant)
        for cid in replies.texts(await svc.redis.zrangebyscore(keys.auto_waiting(), "-inf", now, start=0, num=100)):
            if not await _take(svc, keys, cid):
                continue  # the customer or another process was first
            await update_conversation(svc.redis, keys, cid, auto_outcome="answered")
            await _close_taken(svc, keys, cid, now)
        stale = now - HANDING_STALE_S
        for cid in replies.texts(await svc.redis.zrangebyscore(keys.auto_handing(), "-inf", stale, start=0, num=100)):
            # the submit and the close are idempotent: finishing twice does no harm
            outcome = replies.maybe_text(await svc.redis.hget(keys.conv(cid), "auto_outcome")) or "wrote_again"
            log.warning("finishing an automatic answer's hand-on left by a stopped process",
                        extra={"conversation": cid, "outcome": outcome})
            if outcome == "answered":
                await _close_taken(svc, keys, cid, now)
            else:
                await _queue_taken(svc, keys, cid, outcome)


async def _close_taken(svc: Services, keys: TenantKeys, cid: str, now: float) -> None:
    conv = await get_conversation(svc.redis, keys, cid)
    if conv is not None and await close_conversation(svc.redis, keys, cid, "auto_answered", now=now):
        canned_id = replies.maybe_text(await svc.redis.hget(keys.conv(cid), "auto_canned")) or ""
        if canned_id:
            await svc.redis.set(keys.auto_answered(conv.contact_id), canned_id, ex=RETURN_WINDOW_S)
        if conv.visitor_id:
            await svc.sio.emit("closed", {"conversation_id": cid, "reason": "auto_answered"},
                               room=visitor_room(keys.tenant, conv.visitor_id), namespace="/visitor")
    await svc.redis.zrem(keys.auto_handing(), cid)
