"""Delivering a stored message to the people in a conversation."""

from __future__ import annotations

from gateway.conversations.notes import monitor_room
from gateway.rooms import agent_room, visitor_room
from gateway.services import Services
from gateway.store.messages import Posted


async def fan_out(svc: Services, tenant: str, posted: Posted, sender_sid: str | None = None) -> None:
    """Deliver a stored message to everyone in the conversation (every tab, the agent's consoles).

    The socket that sent it is skipped: its ack carries id, seq and ts, and both front ends put
    the message in place from the ack."""
    wire = posted.message.to_wire()
    # one after the other, not gathered: alone, each emit is written to its sockets without waiting (a task
    # each was a third of the fan-out's cost); with other processes, each is one publish
    if posted.visitor_id:
        await svc.sio.emit("message", wire, room=visitor_room(tenant, posted.visitor_id), namespace="/visitor",
                           skip_sid=sender_sid)
    if posted.agent_id:
        await svc.sio.emit("message", wire, room=agent_room(tenant, posted.agent_id), namespace="/agent",
                           skip_sid=sender_sid)
    # supervisors monitoring (or barged into) the conversation read along
    await svc.sio.emit("message", wire, room=monitor_room(tenant, posted.message.conversation_id),
                       namespace="/supervisor", skip_sid=sender_sid)
