"""Whether the agent's customer is still there: a widget visitor whose last tab closed has left the
chat (and is back when a tab opens again); a messenger customer the platform refuses to deliver
to is unreachable (until they write again, which the console sees by itself).

Told to the agent holding the conversation as ``customer_presence {conversation_id, present,
reason}`` (reason: left | back | unreachable, with the platform's words in ``detail``). Only
assigned conversations: a waiting visitor who leaves is the abandonment's business.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from acd import replies
from gateway.keys import TenantKeys
from gateway.rooms import agent_room
from gateway.store.conversations import Conversation

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from gateway.services import Services

REASONS = ("left", "back", "unreachable")


async def tell_presence(svc: Services, keys: TenantKeys, cid: str, reason: str, detail: str = "",
                        holder: tuple[str, str] | None = None) -> None:
    """``customer_presence`` to the agent holding ``cid`` (nobody when it is not assigned); ``holder``: the
    conversation's (agent_id, state) when the caller has just read them."""
    assert reason in REASONS
    agent_id, state = holder or replies.texts(await svc.redis.hmget(keys.conv(cid), "agent_id", "state"))
    if not agent_id or state != "assigned":
        return
    payload = {"conversation_id": cid, "present": reason == "back", "reason": reason}
    if detail:
        payload["detail"] = detail[:300]  # the platform's reason, shown as text
    await svc.sio.emit("customer_presence", payload, room=agent_room(keys.tenant, agent_id), namespace="/agent")


async def visitor_present(redis: Redis, keys: TenantKeys, conv: Conversation) -> bool | None:
    """True while the widget visitor has a tab open; None for a customer on another channel."""
    if not conv.visitor_id:
        return None
    return bool(await redis.scard(keys.visitor_sockets(conv.visitor_id)))
