"""May this principal see, or act on, this conversation? One place for the sockets and the REST API.

Supervisors see their whole tenant. An agent acts on the conversations assigned to it (and reads
those offered to it), and reads the earlier conversations of the customers it serves right now
(the 360° view) — never more, also when a contact record is missing.
"""

from __future__ import annotations

import time

from gateway.auth import Principal
from gateway.errors import ClientError
from gateway.keys import TenantKeys
from gateway.services import Services
from gateway.store.contacts import get_contact
from gateway.store.conversations import Conversation, get_conversation


def not_found() -> ClientError:
    return ClientError("not_found", "There is no such conversation.", 404)


async def agent_conversation(svc: Services, who: Principal, cid: str, *, offered_ok: bool = False) -> Conversation:
    """The conversation ``cid`` if this agent may act on it (assigned, or offered when ``offered_ok``)."""
    conv = await get_conversation(svc.redis, TenantKeys(who.tenant), cid)
    if conv is None:
        raise not_found()
    if conv.agent_id == who.user_id and conv.state == "assigned":
        return conv
    if offered_ok and conv.state == "offered":
        task = await svc.router.engine(who.tenant).task(cid)
        if task and task.get("agent") == who.user_id:
            return conv
    raise ClientError("forbidden", "This conversation is not assigned to you.", 403)


async def may_see(svc: Services, who: Principal, conv: Conversation) -> bool:
    """Supervisors; the agent it is (or was) offered or assigned to; an agent serving its contact now."""
    if who.role == "supervisor" or conv.agent_id == who.user_id:
        return True
    task = await svc.router.engine(who.tenant).task(conv.id)
    if task and task.get("agent") == who.user_id:
        return True
    if await serves_contact(svc, who, conv.contact_id):
        return True
    return await _answers_linked(svc, who, conv)


async def _answers_linked(svc: Services, who: Principal, conv: Conversation) -> bool:
    """An agent holding a conversation that was linked to this one (another sender answered an
    email of it, or it continued by email) may read what it answers."""
    keys = TenantKeys(who.tenant)
    for cid in await svc.router.engine(who.tenant).assigned_tasks(who.user_id):
        mine = await get_conversation(svc.redis, keys, cid)
        if mine is not None and mine.linked_to == conv.id:
            return True
    return False


async def serves_contact(svc: Services, who: Principal, contact_id: str) -> bool:
    """Whether the principal may read this contact: a supervisor, or an agent holding (or offered)
    a conversation of this contact right now."""
    if who.role == "supervisor":
        return True
    keys = TenantKeys(who.tenant)
    contact = await get_contact(svc.redis, keys, contact_id)
    if contact is None:
        return False
    engine = svc.router.engine(who.tenant)
    current = set(await engine.assigned_tasks(who.user_id))
    current |= {o.task_id for o in await engine.offers_for(who.user_id, time.time())}
    for cid in current:
        conv = await get_conversation(svc.redis, keys, cid)
        served = await get_contact(svc.redis, keys, conv.contact_id) if conv else None
        if served is not None and served.id == contact.id:  # no contact record: not this one
            return True
    return False
