"""Closing a conversation: the one path every close takes (agent, visitor, abandonment, bridges)."""

from __future__ import annotations

import time
from typing import Any

from acd import replies
from gateway.assist.confirm import closed_by_agent
from gateway.config.schema import TenantConfig
from gateway.conversations.rating import ask_after_close
from gateway.errors import ClientError
from gateway.keys import TenantKeys
from gateway.rooms import agent_room, visitor_room
from gateway.services import Services
from gateway.store.conversations import Conversation, close_conversation, update_conversation


def checked_wrapup_code(tenant: TenantConfig, queue: str, code: Any) -> str | None:
    """The wrap-up code a close sent (the console, the REST API), checked against the queue's codes and
    required when the queue says so; ClientError otherwise."""
    q = tenant.queues.get(queue)
    if code is None or code == "":
        if q is not None and q.wrapup_required:
            raise ClientError("wrapup_required", "Choose a wrap-up code to close this conversation.")
        return None
    if not isinstance(code, str) or len(code) > 64:
        raise ClientError("bad_request", "'wrapup_code' must be a short string")
    if q is not None and q.wrapup_codes and code not in q.wrapup_codes:
        raise ClientError("unknown_wrapup_code", "That wrap-up code is not one of this queue's.")
    return code


async def end_conversation(svc: Services, tenant: str, conv: Conversation, *, reason: str, wrapup_code: str | None = None) -> None:
    """Close a conversation everywhere, through this one path: the ACD (slot to wrap-up and the
    record closed, in one atomic step), the store's open index, then the visitor and the agent."""
    keys = TenantKeys(tenant)
    await svc.router.close(tenant, conv.id, reason, wrapup_code)
    if wrapup_code:  # kept with the conversation (and archived with it): search filters by it
        await update_conversation(svc.redis, keys, conv.id, wrapup_code=wrapup_code)
    if not await close_conversation(svc.redis, keys, conv.id, reason, now=time.time()):
        return  # somebody else finished it (and told everyone)
    event = {"conversation_id": conv.id, "reason": reason}
    if conv.visitor_id:
        await svc.sio.emit("closed", event, room=visitor_room(tenant, conv.visitor_id), namespace="/visitor")
    agent_id = replies.maybe_text(await svc.redis.hget(keys.conv(conv.id), "agent_id")) or conv.agent_id
    if agent_id:
        await svc.sio.emit("closed", event, room=agent_room(tenant, agent_id), namespace="/agent")
    await ask_after_close(svc, conv)  # messengers and email: the rating question
    if reason == "agent":  # the topic it was handled under teaches the topic classifier
        await closed_by_agent(svc, tenant, conv, wrapup_code)
