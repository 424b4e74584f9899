"""The customer rates a conversation after it ended: 1..5 and an optional comment, once.

Once is decided atomically by the ACD (``Engine.rate``: the first rating of the task is kept and
logged as a ``rated`` event, which the historical reports sum as satisfaction); a second rating is
refused with ``already_rated`` — a rating that could change afterwards would make the report of a
closed interval change too. A rating is taken up to 24 hours after the close (the ACD keeps an
ended task that long); then ``too_late``.

Three ways in: the widget (``/visitor`` emit ``rate``), a messenger (a question with buttons 1–5
after the close, and the tap or a reply "1".."5" is recorded) and email (a line of five signed
links: GET shows a page with a button, only its POST records, so link scanners never vote).
"""

from __future__ import annotations

import hashlib
import hmac
import html
import logging
import time
from typing import Any

from acd import replies
from acd.errors import InvalidState, UnknownTask
from bridges.base import Button
from bridges.events import Choice, Message
from gateway.conversations.delivery import fan_out
from gateway.conversations.to_messenger import on_messenger, send_to_messenger
from gateway.errors import ClientError
from gateway.keys import TenantKeys
from gateway.rooms import agent_room
from gateway.services import Services
from gateway.store.conversations import Conversation, get_conversation, update_conversation
from gateway.store.messages import post_message, read_messages
from gateway.texts import in_language

log = logging.getLogger(__name__)

COMMENT_MAX = 1000
SCORES = range(1, 6)
ASK_CLIENT_ID = "rating-ask"  # one question per conversation (the store dedupes by client id)
CHOICE_PREFIX = "rate:"

_TEXTS = {
    "en": {
        "ask": "How satisfied were you with this conversation? Reply 1 (not at all) to 5 (very).",
        "thanks": "Thank you for your rating.",
        "mail_ask": "How satisfied were you with our conversation? Rate it with one click:",
        "page_title": "Rate the conversation",
        "page_ask": "Your rating: {stars} ({score} of 5)",
        "page_comment": "A comment (optional)",
        "page_send": "Send rating",
        "page_done": "Thank you for your rating.",
        "page_refused": "This rating was not recorded: {reason}",
        "transcript_subject": "Transcript of your conversation with {name}",
        "transcript_intro": "As you asked, here is the transcript of your conversation with us.",
        "transcript_text": "Thank you for contacting us.",
        "transcript_line": "The customer asked for the transcript by email.",
    },
    "de": {
        "ask": "Wie zufrieden waren Sie mit diesem Gespräch? Antworten Sie mit 1 (gar nicht) bis 5 (sehr).",
        "thanks": "Vielen Dank für Ihre Bewertung.",
        "mail_ask": "Wie zufrieden waren Sie mit unserem Gespräch? Bewerten Sie es mit einem Klick:",
        "page_title": "Gespräch bewerten",
        "page_ask": "Ihre Bewertung: {stars} ({score} von 5)",
        "page_comment": "Ein Kommentar (freiwillig)",
        "page_send": "Bewertung senden",
        "page_done": "Vielen Dank für Ihre Bewertung.",
        "page_refused": "Diese Bewertung wurde nicht gespeichert: {reason}",
        "transcript_subject": "Verlauf Ihres Gesprächs mit {name}",
        "transcript_intro": "Wie gewünscht finden Sie unten den Verlauf Ihres Gesprächs mit uns.",
        "transcript_text": "Vielen Dank für Ihre Nachricht.",
        "transcript_line": "Der Kunde hat den Verlauf per E-Mail angefordert.",
    },
}


def texts(language: str) -> dict[str, str]:
    return in_language(_TEXTS, language)


def parse_rating(data: dict) -> tuple[int, str]:
    """``score`` 1..5 and an optional ``comment`` of a request, checked."""
    score = data.get("score")
    if isinstance(score, bool) or not isinstance(score, int) or score not in SCORES:
        raise ClientError("bad_score", "'score' must be a whole number from 1 to 5")
    comment = data.get("comment") or ""
    if not isinstance(comment, str):
        raise ClientError("bad_request", "'comment' must be a string")
    if len(comment) > COMMENT_MAX:
        raise ClientError("too_long", f"'comment' has {len(comment)} characters; the limit is {COMMENT_MAX}")
    return score, comment.strip()


async def rating_of(svc: Services, keys: TenantKeys, conversation_id: str) -> dict[str, Any] | None:
    """The conversation's rating ``{score, comment, ts, via}``, or None (not rated, or no longer in Redis)."""
    score, comment, ts, via = replies.texts(await svc.redis.hmget(
        keys.conv(conversation_id), "rating_score", "rating_comment", "rated_at", "rated_via"))
    if not score:
        return None
    return {"score": int(score), "comment": comment or "", "ts": float(ts or 0), "via": via or ""}


async def rate_conversation(svc: Services, keys: TenantKeys, conv: Conversation, *, score: int,
                            comment: str = "", via: str) -> dict[str, Any]:
    """Record the customer's rating of ``conv`` (ended) once; raises ClientError when refused."""
    if score not in SCORES:
        raise ClientError("bad_score", "'score' must be a whole number from 1 to 5")
    if conv.state != "closed":
        raise ClientError("not_closed", "A conversation can be rated once it has ended.", 409)
    now = time.time()
    try:
        recorded = await svc.router.engine(keys.tenant).rate(conv.id, score, conv.agent_id, now, comment)
    except UnknownTask as err:
        raise ClientError("too_late", "This conversation can no longer be rated.", 410) from err
    except InvalidState as err:
        raise ClientError("not_closed", "A conversation can be rated once it has ended.", 409) from err
    if not recorded:
        raise ClientError("already_rated", "This conversation has been rated already.", 409)
    await update_conversation(svc.redis, keys, conv.id, rating_score=str(score), rating_comment=comment,
                              rated_at=repr(now), rated_via=via)
    rating = {"score": score, "comment": comment, "ts": now, "via": via}
    agent_id = conv.agent_id or replies.maybe_text(await svc.redis.hget(keys.conv(conv.id), "agent_id"))
    if agent_id:  # the agent's console shows it on the conversation
        await svc.sio.emit("rated", {"conversation_id": conv.id, "rating": rating},
                           room=agent_room(keys.tenant, agent_id), namespace="/agent")
    return rating


# --- messengers -----------------------------------------------------------------------------------


def rating_buttons(conversation_id: str) -> tuple[Button, ...]:
    return tuple(Button(f"{CHOICE_PREFIX}{conversation_id}:{n}", str(n)) for n in SCORES)


async def ask_after_close(svc: Services, conv: Conversation) -> None:
    """The closing hook: a messenger customer gets the question with buttons 1–5, an email customer
    a mail with five signed links. The widget asks by itself. Never raises (the close is done)."""
    try:
        keys = TenantKeys(conv.tenant)
        if on_messenger(svc, conv):
            await _ask_messenger(svc, keys, conv)
        elif conv.channel_type == "email":
            await _ask_email(svc, keys, conv)
    except Exception:
        log.warning("could not ask for a rating", extra={"conversation": conv.id}, exc_info=True)


async def _ask_messenger(svc: Services, keys: TenantKeys, conv: Conversation) -> None:
    posted = await post_message(svc.redis, keys, conv.id, author_kind="system", author_name="omnirelay",
                                text=texts(conv.language)["ask"], client_id=ASK_CLIENT_ID, allow_closed=True,
                                extra={"rating_question": True})
    if posted.message.duplicate:
        return
    await update_conversation(svc.redis, keys, conv.id, rating_asked=repr(time.time()))
    await send_to_messenger(svc, conv, posted.message, rating_buttons(conv.id))


def _score_of(conv: Conversation, event: Any) -> int | None:
    if isinstance(event, Choice) and event.value.startswith(CHOICE_PREFIX):
        cid, _, n = event.value[len(CHOICE_PREFIX):].rpartition(":")
        return int(n) if cid == conv.id and n.isdigit() and int(n) in SCORES else None
    if isinstance(event, Message) and not event.attachments:
        said = event.text.strip().rstrip(".!")
        return int(said) if said.isdigit() and int(said) in SCORES else None
    return None


async def rating_reply(svc: Services, keys: TenantKeys, conversation_id: str | None, event: Any) -> bool:
    """A messenger customer's answer to the rating question of their closed conversation: recorded
    (and thanked) and True; anything else is False and goes on as a new message."""
    if not conversation_id:
        return False
    if not await svc.redis.hget(keys.conv(conversation_id), "rating_asked"):
        return False
    conv = await get_conversation(svc.redis, keys, conversation_id)
    score = _score_of(conv, event) if conv is not None and conv.state == "closed" else None
    if conv is None or score is None:
        return False
    try:
        await rate_conversation(svc, keys, conv, score=score, via=conv.channel_type)
    except ClientError as err:  # a second tap or a late one: nothing to record, nothing to open either
        log.info("messenger rating not recorded", extra={"conversation": conv.id, "code": err.code})
        return isinstance(event, Choice)
    posted = await post_message(svc.redis, keys, conv.id, author_kind="system", author_name="omnirelay",
                                text=texts(conv.language)["thanks"], client_id="rating-thanks", allow_closed=True)
    if not posted.message.duplicate:
        await send_to_messenger(svc, conv, posted.message)
    return True


# --- email: signed links ----------------------------------------------------------------------------


def rating_signature(secret: str, tenant: str, conversation_id: str) -> str:
    return hmac.new(secret.encode(), f"rate|{tenant}|{conversation_id}".encode(), hashlib.sha256).hexdigest()[:32]


def rating_links(svc: Services, tenant: str, conversation_id: str) -> list[str]:
    """The five links of the rating line, one per score (GET shows a page; only its POST records)."""
    server = svc.config.server
    base = (server.public_url or f"http://{server.host}:{server.port}").rstrip("/")
    sig = rating_signature(server.secret_key, tenant, conversation_id)
    return [f"{base}/rate/{tenant}/{conversation_id}/{sig}?score={n}" for n in SCORES]


async def _ask_email(svc: Services, keys: TenantKeys, conv: Conversation) -> None:
    from gateway.email.compose import email_channel, mail_context  # (email imports conversations)

    found = email_channel(svc, conv)
    address = replies.maybe_text(await svc.redis.hget(keys.email_thread(conv.id), "address"))
    if found is None or svc.outbox is None or not address:
        return
    t = texts(conv.language)
    links = rating_links(svc, keys.tenant, conv.id)
    text = t["mail_ask"] + "\n" + "\n".join(f"{n} {'★' * n}: {link}" for n, link in zip(SCORES, links, strict=True))
    posted = await post_message(svc.redis, keys, conv.id, author_kind="system", author_name="omnirelay",
                                text=t["mail_ask"], client_id=ASK_CLIENT_ID, allow_closed=True,
                                extra={"rating_question": True})
    if posted.message.duplicate:
        return
    context = await mail_context(svc, conv, posted.message.seq, found[1])
    context["history"] = []  # the customer has the conversation already
    await svc.outbox.enqueue(keys.tenant, conv.id, text, f"rating:{conv.id}", channel=found[0], thread=address,
                             message_id=posted.message.id, context=context)


def rating_page(language: str, body: str) -> str:
    title = html.escape(texts(language)["page_title"])
    return (f'<!doctype html><html lang="{html.escape(language[:2] or "en")}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>'
            '<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem}'
            'textarea{width:100%;font-size:16px}button{font-size:16px;padding:.5rem 1rem}</style></head>'
            f'<body><h1>{title}</h1>{body}</body></html>')


# --- the transcript by email ------------------------------------------------------------------------

TRANSCRIPT_KINDS = ("visitor", "agent", "system")  # never "note": internal notes stay internal
TRANSCRIPT_MESSAGES = 500


async def send_transcript(svc: Services, keys: TenantKeys, conv: Conversation, address: str) -> None:
    """Mail the conversation to ``address`` through the tenant's email channel (its SMTP, the outbox:
    retried, sent once per address); internal notes are never in it. The agent sees a line saying
    so (without the address)."""
    from gateway.email.compose import email_channel, mail_context  # (email imports conversations)

    found = email_channel(svc, conv)
    if found is None or svc.outbox is None:
        raise ClientError("unavailable", "Transcripts by email are not available here.", 503)
    t = texts(conv.language)
    line = await post_message(svc.redis, keys, conv.id, author_kind="system", author_name="omnirelay",
                              text=t["transcript_line"], allow_closed=True, extra={"transcript": True})
    msgs = await read_messages(svc.redis, keys, conv.id, limit=TRANSCRIPT_MESSAGES)
    said = [m for m in msgs if m.seq < line.message.seq and m.author_kind in TRANSCRIPT_KINDS and m.text
            and not m.extra.get("rating_question")]
    name = found[1].display_name or svc.config.tenants[keys.tenant].name or keys.tenant
    context = await mail_context(svc, conv, line.message.seq, found[1], subject=t["transcript_subject"].format(name=name),
                                 intro=t["transcript_intro"])
    context["subject"] = t["transcript_subject"].format(name=name)
    context["history"] = [{"author": m.author_name, "ts": m.ts, "text": m.text} for m in said]
    await svc.outbox.enqueue(keys.tenant, conv.id, t["transcript_text"], f"transcript:{line.message.id}",
                             channel=found[0], thread=address, message_id=line.message.id, context=context)
    await fan_out(svc, keys.tenant, line)
