"""An agent's words from Slack into a conversation, through the console's own paths: the store's
append (the right to write checked atomically, idempotent by the Slack message's id), the fan-out to
the customer's widget and the supervisors, the ordered outbox for a messenger or email; a ``note:``
as an internal note. Edits and deletes reach the customer's platform where it can edit (Telegram),
otherwise as a correction."""

from __future__ import annotations

import logging

from acd import replies
from bridges.base import Fatal
from gateway.conversations.delivery import fan_out
from gateway.conversations.notes import post_note
from gateway.conversations.outbound import reply_outbound
from gateway.errors import ClientError
from gateway.keys import TenantKeys
from gateway.services import Services
from gateway.slack import texts
from gateway.store.conversations import Conversation, get_conversation
from gateway.store.messages import (
    ConversationClosed,
    ConversationMissing,
    NotAssigned,
    WindowClosed,
    post_message,
)

log = logging.getLogger(__name__)

NOTE_PREFIX = "note:"


class Refused(Exception):
    """Nothing reached the customer; ``str`` is what the Slack user is told (ephemerally)."""


def client_id(place: str, ts: str) -> str:
    """The client id of a message written in Slack: a redelivery or a second event of it stores nothing new."""
    return f"slack:{place}:{ts}"


def is_note(text: str) -> bool:
    return text.lstrip().lower().startswith(NOTE_PREFIX)


async def reply(svc: Services, conv: Conversation, agent_id: str, agent_name: str, text: str, cid: str,
                slack_ts: str) -> int:
    """Post the agent's reply; its seq. Refused when the store will not take it."""
    keys = TenantKeys(conv.tenant)
    limit = svc.config.limits.message_chars
    if len(text) > limit:
        raise Refused(texts.TOO_LONG.format(limit=limit))
    try:
        posted = await post_message(svc.redis, keys, conv.id, author_kind="agent", author_name=agent_name,
                                    author_id=agent_id, text=text, client_id=cid, require_agent=agent_id,
                                    extra={"via": "slack", "slack_ts": slack_ts})
    except (ConversationMissing, ConversationClosed) as err:
        raise Refused(texts.CLOSED) from err
    except NotAssigned as err:
        raise Refused(texts.NOT_HELD) from err
    except WindowClosed as err:
        raise Refused(texts.WINDOW_CLOSED) from err
    msg = posted.message
    if not msg.duplicate:
        svc.metrics.messages.labels(conv.tenant, "agent").inc()
        await fan_out(svc, conv.tenant, posted)
        if not posted.visitor_id:  # a bridged channel: the reply leaves through its platform's outbox
            fresh = await get_conversation(svc.redis, keys, conv.id)
            if fresh is not None:
                await reply_outbound(svc, fresh, msg)
    return msg.seq


async def note(svc: Services, conv: Conversation, agent_id: str, agent_name: str, text: str, cid: str) -> bool:
    """An internal note from Slack (``note:`` stripped): the customer never sees it. True when it is
    new (not a redelivery of one stored already)."""
    body = text.lstrip()[len(NOTE_PREFIX):].strip()
    if not body:
        raise Refused(texts.NOTE_EMPTY)
    if conv.state == "closed":
        raise Refused(texts.CLOSED)
    if len(body) > svc.config.limits.message_chars:
        raise Refused(texts.TOO_LONG.format(limit=svc.config.limits.message_chars))
    try:
        msg = await post_note(svc, TenantKeys(conv.tenant), conv, author_id=agent_id, author_name=agent_name,
                              text=body, client_id=f"note:{cid}")
    except ClientError as err:  # closed or gone meanwhile
        raise Refused(texts.CLOSED) from err
    return not msg.duplicate


async def written_by(svc: Services, conv: Conversation, cid: str) -> tuple[int, str] | None:
    """(seq, author id) of the message stored for Slack message ``cid``; None when none was."""
    keys = TenantKeys(conv.tenant)
    seq = replies.maybe_text(await svc.redis.hget(keys.conv_client_ids(conv.id), cid))
    if not seq:
        return None
    rows = replies.entries(await svc.redis.xrange(keys.conv_messages(conv.id), f"{seq}-0", f"{seq}-0"))
    if not rows or rows[0][1].get("kind") != "agent":
        return None
    return int(seq), rows[0][1].get("aid", "")


async def change(svc: Services, conv: Conversation, agent_id: str, agent_name: str, original: str, change_id: str,
                 slack_ts: str, text: str | None) -> str:
    """Mirror an edit (``text``) or a delete (None) of the agent's Slack reply ``original`` to the
    customer; "edited" / "deleted" on the platform, or "corrected" by a new message."""
    if conv.state == "closed":
        raise Refused(texts.EDIT_TOO_LATE)
    keys = TenantKeys(conv.tenant)
    platform_id = replies.maybe_text(await svc.redis.get(keys.slack_sent(original))) or ""
    channel = svc.bridged.get(conv.tenant, conv.channel) if svc.bridged is not None and not conv.visitor_id else None
    bridge = channel.bridge if channel is not None else None
    method = getattr(bridge, "edit" if text is not None else "delete", None) if bridge is not None else None
    if method is not None and platform_id:
        try:
            await (method(conv.external_id, platform_id, text) if text is not None
                   else method(conv.external_id, platform_id))
        except Fatal as err:  # too old to edit, already gone …: the customer reads a correction instead
            log.info("platform refused the edit; sending a correction", extra={"conversation": conv.id,
                                                                              "reason": err.reason})
            return await _correct(svc, conv, agent_id, agent_name, change_id, slack_ts, text)
        what = "edited" if text is not None else "deleted"
        await post_note(svc, keys, conv, author_id=agent_id, author_name=agent_name, client_id=f"note:{change_id}",
                        text=(f"Edited in Slack, and on the customer's side: {text}" if text is not None
                              else "Deleted in Slack, and on the customer's side."))
        return what
    return await _correct(svc, conv, agent_id, agent_name, change_id, slack_ts, text)


async def _correct(svc: Services, conv: Conversation, agent_id: str, agent_name: str, change_id: str, slack_ts: str,
                   text: str | None) -> str:
    words = texts.CORRECTION.format(text=text) if text is not None else texts.WITHDRAWN
    await reply(svc, conv, agent_id, agent_name, words, change_id, slack_ts)
    return "corrected"
