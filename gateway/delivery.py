"""Delivering stored messages to the people in a conversation, and closing it."""

from __future__ import annotations

import asyncio
import time

from gateway.keys import TenantKeys
from gateway.rooms import agent_room, visitor_room
from gateway.sockets.context import Context
from gateway.store.conversations import Conversation, close_conversation
from gateway.store.messages import Posted


async def fan_out(ctx: Context, tenant: str, posted: Posted, sender_sid: str | None = None) -> None:
    """Deliver a stored message to everyone in the conversation (every tab, the agent's consoles).

    The socket that sent it is skipped: its ack carries id, seq and ts, and both front ends put
    the message in place from the ack."""
    wire = posted.message.to_wire()
    emits = []
    if posted.visitor_id:
        emits.append(ctx.sio.emit("message", wire, room=visitor_room(tenant, posted.visitor_id), namespace="/visitor",
                                  skip_sid=sender_sid))
    if posted.agent_id:
        emits.append(ctx.sio.emit("message", wire, room=agent_room(tenant, posted.agent_id), namespace="/agent",
                                  skip_sid=sender_sid))
    await asyncio.gather(*emits)


async def end_conversation(ctx: Context, tenant: str, conv: Conversation, *, reason: str, wrapup_code: str | None = None) -> None:
    """Close a conversation everywhere, through this one path: the ACD (slot to wrap-up and the
    record closed, in one atomic step), the store's open index, then the visitor and the agent."""
    keys = TenantKeys(tenant)
    await ctx.router.run(tenant, "close", conv.id, wrapup_code=wrapup_code, reason=reason)
    if not await close_conversation(ctx.redis, keys, conv.id, reason, now=time.time()):
        return  # somebody else finished it (and told everyone)
    event = {"conversation_id": conv.id, "reason": reason}
    if conv.visitor_id:
        await ctx.sio.emit("closed", event, room=visitor_room(tenant, conv.visitor_id), namespace="/visitor")
    agent_id = await ctx.redis.hget(keys.conv(conv.id), "agent_id") or conv.agent_id
    if agent_id:
        await ctx.sio.emit("closed", event, room=agent_room(tenant, agent_id), namespace="/agent")
