"""The ``context`` of a mail we send (see ``bridges.base.Outbound``): subject, our signed
Message-ID, the threading headers from the customer's last mail, the reply address with the token,
the body marker, and the conversation so far as quoted history. The bridge turns it into MIME."""

from __future__ import annotations

import re
from typing import Any

from gateway.config.schema import ChannelConfig
from gateway.email.state import get_thread
from gateway.email.tokens import Tokens, domain_of
from gateway.keys import TenantKeys
from gateway.services import Services
from gateway.store.conversations import Conversation
from gateway.store.messages import read_messages

HISTORY_MESSAGES = 50  # the newest messages quoted below a reply; older ones are in the customer's own mails
_REPLY_PREFIX = re.compile(r"^\s*((re|aw|antw|fw|fwd|wg)\s*:\s*)+", re.IGNORECASE)


def email_channel(svc: Services, conv: Conversation) -> tuple[str, ChannelConfig] | None:
    """The channel a conversation's mails leave through: its own, else the tenant's first email channel."""
    channels = svc.config.tenants[conv.tenant].channels
    own = channels.get(conv.channel)
    if own is not None and own.type == "email":
        return conv.channel, own
    return next(((cid, c) for cid, c in channels.items() if c.type == "email"), None)


def topic_of(subject: str) -> str:
    """The subject without its Re:/AW:/Fwd: prefixes (Outlook's Thread-Topic)."""
    return _REPLY_PREFIX.sub("", subject).strip()


async def history(svc: Services, conv: Conversation, before_seq: int) -> list[dict[str, Any]]:
    """What the customer and the agents wrote before ``before_seq``, oldest first."""
    msgs = await read_messages(svc.redis, TenantKeys(conv.tenant), conv.id, limit=max(before_seq, 1))
    said = [m for m in msgs if m.seq < before_seq and m.author_kind in ("visitor", "agent") and m.text]
    return [{"author": m.author_name, "ts": m.ts, "text": m.text} for m in said[-HISTORY_MESSAGES:]]


async def mail_context(svc: Services, conv: Conversation, seq: int, channel: ChannelConfig, *,
                       subject: str = "", intro: str = "") -> dict[str, Any]:
    """The context of our mail carrying message ``seq`` of ``conv``; ``subject`` for a first mail."""
    tokens = Tokens(svc.config.server.secret_key)
    thread = await get_thread(svc.redis, TenantKeys(conv.tenant), conv.id)
    topic = topic_of(thread.subject or subject) or svc.config.tenants[conv.tenant].name or conv.topic
    refs = list(thread.refs)
    return {
        "from": channel.address,
        "from_name": channel.display_name or svc.config.tenants[conv.tenant].name,
        "subject": f"Re: {topic}" if thread.last_in else topic,
        "message_id": tokens.message_id(conv.id, seq, domain_of(channel.address)),
        "in_reply_to": thread.last_in,
        "references": refs,
        "reply_to": tokens.reply_address(channel.address, conv.id),
        "marker": tokens.marker(conv.id),
        "history": await history(svc, conv, seq),
        "intro": intro,
        "language": conv.language,
        "thread_topic": topic,
        "thread_index": "",  # the bridge derives it from message_id
    }


async def reply_context(svc: Services, conv: Conversation, seq: int) -> dict[str, Any]:
    """The context of an agent's reply in an email conversation ({} for other channels)."""
    found = email_channel(svc, conv) if conv.channel_type == "email" else None
    return await mail_context(svc, conv, seq, found[1]) if found else {}
