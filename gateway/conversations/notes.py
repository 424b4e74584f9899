"""Internal notes: messages of author kind ``note`` that only the staff read.

A note is stored in the conversation's stream like any message (so it keeps its place in the
seq order, is archived and shows in the console's history), but it never reaches the customer:
it is not emitted to the visitor's room, never queued for a messenger or email outbox, and the
readers that face the customer (the visitor's ``history``, transcripts, quoted email history) drop
it with ``customer_visible``. It goes to the agent holding the conversation and to the
supervisors monitoring it (room ``monitor_room``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from gateway.errors import ClientError
from gateway.keys import TenantKeys
from gateway.rooms import agent_room
from gateway.services import Services
from gateway.store.conversations import Conversation
from gateway.store.messages import ConversationClosed, ConversationMissing, Message, post_message

NOTE = "note"


def monitor_room(tenant: str, conversation_id: str) -> str:
    """The /supervisor sockets monitoring one conversation."""
    return f"monitor:{tenant}:{conversation_id}"


def customer_visible(messages: Iterable[Message]) -> list[Message]:
    """The messages a customer may read: everything but internal notes."""
    return [m for m in messages if m.author_kind != NOTE]


async def post_note(svc: Services, keys: TenantKeys, conv: Conversation, *, author_id: str, author_name: str,
                    text: str, whisper: bool = False, client_id: str = "") -> Message:
    """Store an internal note (``whisper``: a supervisor's) and send it to the conversation's agent
    and the supervisors monitoring it — never to the customer. ClientError on an empty text or a
    closed/missing conversation; the same ``client_id`` again returns the first note."""
    text = text.strip()
    if not text:
        raise ClientError("invalid_text", "A note needs some text.")
    limit = svc.config.limits.message_chars
    if len(text) > limit:
        raise ClientError("invalid_text", f"A note may be at most {limit} characters.")
    extra = {"whisper": True} if whisper else None
    try:
        posted = await post_message(
            svc.redis, keys, conv.id, author_kind=NOTE, author_name=author_name, author_id=author_id,
            text=text, client_id=client_id, extra=extra,
        )
    except ConversationMissing:
        raise ClientError("not_found", "There is no such conversation.", 404) from None
    except ConversationClosed:
        raise ClientError("conversation_closed", "The conversation is closed.", 409) from None
    msg = posted.message
    if msg.duplicate:
        return msg
    wire = msg.to_wire()
    emits = [svc.sio.emit("message", wire, room=monitor_room(keys.tenant, conv.id), namespace="/supervisor")]
    agent_id = posted.agent_id or conv.agent_id
    if agent_id:
        emits.append(svc.sio.emit("message", wire, room=agent_room(keys.tenant, agent_id), namespace="/agent"))
    await asyncio.gather(*emits)
    return msg
