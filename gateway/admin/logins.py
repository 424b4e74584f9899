"""End every login of one agent (disabled, or a new password): the supervisor's "log out" done for
the admin screens — tokens revoked, offline in the ACD with their conversations back at the head
of their queues, and their consoles told and disconnected (other processes' sweeps catch theirs)."""

from __future__ import annotations

import json

from acd.effects import TaskRequeued
from gateway.conversations.handover_notice import tell_handed_on
from gateway.keys import TenantKeys
from gateway.rooms import agent_room
from gateway.services import Services

LOGOUT_REASON = "supervisor_logout"  # the ACD tells requeued customers "transferred", nothing alarming


async def end_agent_logins(ctx: Services, tenant: str, agent_id: str, why: str) -> list[str]:
    """Revoke the agent's sessions and set them offline; returns the conversations put back in line."""
    keys = TenantKeys(tenant)
    async for key in ctx.redis.scan_iter(match=keys.session("*"), count=500):
        raw = await ctx.redis.get(key)
        if raw and _is_login_of(raw, agent_id):
            await ctx.redis.delete(key)
    effects = await ctx.router.set_state(tenant, agent_id, "offline", LOGOUT_REASON)
    await tell_handed_on(ctx, tenant, effects)
    await ctx.sio.emit("session_ended", {"reason": why}, room=agent_room(tenant, agent_id), namespace="/agent")
    for sid, (namespace, owner) in list(ctx.live.sockets.items()):
        if namespace == "/agent" and owner.tenant == tenant and owner.user_id == agent_id:
            await ctx.sio.disconnect(sid, namespace="/agent")
            ctx.live.remove(sid)
    return [e.task_id for e in effects if isinstance(e, TaskRequeued)]


def _is_login_of(raw: str | bytes, agent_id: str) -> bool:
    try:
        data = json.loads(raw)
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("role") == "agent" and data.get("user_id") == agent_id
