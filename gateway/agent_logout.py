"""Log an agent out from outside its console — a supervisor's "log out", an admin's disable or new
password: every login token revoked, offline in the ACD with the conversations handed on calmly to
the head of their queues, and the consoles told and disconnected (other processes' sweeps catch
theirs, gateway/live_sessions.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from acd import replies
from acd.effects import TaskRequeued
from gateway.conversations.handover_notice import tell_handed_on
from gateway.keys import TenantKeys
from gateway.revocations import revoke
from gateway.rooms import agent_room
from gateway.services import Services

ACD_REASON = "supervisor_logout"  # what the ACD records and the console shows as the state's reason


@dataclass(frozen=True)
class LoggedOut:
    sessions_ended: int  # login tokens revoked
    requeued: list[str]  # conversations put back in line


async def log_agent_out(svc: Services, tenant: str, agent_id: str, why: str) -> LoggedOut:
    """End every login of ``agent_id``; its consoles hear ``session_ended {reason: why}``."""
    keys = TenantKeys(tenant)
    prefix = keys.session("")
    logins = []
    async for key in svc.redis.scan_iter(match=keys.session("*"), count=500):
        raw = await svc.redis.get(key)
        if raw and _is_login_of(raw, agent_id):
            logins.append(str(replies.maybe_text(key)).removeprefix(prefix))
    ended = await revoke(svc.redis, tenant, logins)
    effects = await svc.router.set_state(tenant, agent_id, "offline", ACD_REASON, calm=True)
    await tell_handed_on(svc, tenant, effects)  # a messenger customer reads "you are being transferred"
    await svc.sio.emit("session_ended", {"reason": why}, room=agent_room(tenant, agent_id), namespace="/agent")
    for sid, (namespace, owner) in list(svc.live.sockets.items()):
        if namespace == "/agent" and owner.tenant == tenant and owner.user_id == agent_id:
            await svc.sio.disconnect(sid, namespace="/agent")
            svc.live.remove(sid)
    return LoggedOut(ended, [e.task_id for e in effects if isinstance(e, TaskRequeued)])


def _is_login_of(raw: str | bytes, agent_id: str) -> bool:
    try:
        data = json.loads(raw)
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("role") == "agent" and data.get("user_id") == agent_id
