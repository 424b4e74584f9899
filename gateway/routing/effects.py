"""ACD effects turned into what people see. The engine has already written the conversation record
in the same atomic step as its decision; this only emits (any process may, through Redis).

Dispatch is a ``match`` on the effect classes: an effect class without a case fails the type check
(``assert_never``), not at run time.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import assert_never

from redis.asyncio import Redis

from acd import replies
from acd.effects import (
    AgentStateChanged,
    Assigned,
    Effect,
    EscalationOffered,
    Offered,
    OfferRevoked,
    QueuePosition,
    TaskOverflowed,
    TaskRequeued,
    WrapupEnded,
)
from gateway.config.schema import Config
from gateway.conversations.offer_details import offer_details
from gateway.emitter import Emitter
from gateway.keys import TenantKeys
from gateway.rooms import agent_room, visitor_room
from gateway.routing.views import describe, offer_payload
from gateway.store.conversations import get_conversation

log = logging.getLogger(__name__)


class EffectApplier:
    def __init__(self, redis: Redis, config: Config, sio: Emitter):
        self.redis = redis
        self.config = config
        self.sio = sio
        self.on_other_assigned: Callable[[str, Assigned], Awaitable[None]] | None = None  # set by gateway/callbacks

    async def apply(self, tenant: str, effects: list[Effect]) -> None:
        """Emit each effect; one failing emit is logged and does not stop the others."""
        for effect in effects:
            try:
                await self._apply(tenant, effect)
            except Exception:
                log.exception("applying effect failed", extra={"kind": effect.kind, "tenant": tenant})

    async def _apply(self, tenant: str, e: Effect) -> None:
        match e:
            case Offered():
                payload = offer_payload(e.offer_id, e.task_id, e.channel, e.language, e.queue, e.waited_s,
                                        e.expires_in_s, e.meta)
                payload.update(await offer_details(self.redis, tenant, payload["conversation_id"]))  # preview, handover note
                await self._agent(tenant, e.agent_id, "offer", payload)
            case OfferRevoked():
                await self._agent(tenant, e.agent_id, "offer_revoked",
                                  {"offer_id": e.offer_id, "conversation_id": e.task_id, "reason": e.reason})
            case Assigned():
                conv = await get_conversation(self.redis, TenantKeys(tenant), e.task_id)
                if conv is None:
                    if self.on_other_assigned is not None:  # a task that is no conversation: a callback attempt
                        await self.on_other_assigned(tenant, e)
                    return
                agent = self.config.tenants[tenant].agents.get(e.agent_id)
                await self._visitor(tenant, conv.visitor_id, "assigned",
                                    {"conversation_id": e.task_id, "agent": {"name": agent.name if agent else e.agent_id}})
                await self._agent(tenant, e.agent_id, "assigned", await describe(self.redis, self.config, tenant, conv))
            case AgentStateChanged():
                await self._agent(tenant, e.agent_id, "state", {"state": e.state, "reason": e.reason})
            case TaskRequeued():
                await self._visitor_of(tenant, e.task_id, "requeued", {"conversation_id": e.task_id, "reason": e.reason})
                if e.agent_id:
                    await self._agent(tenant, e.agent_id, "unassigned", {"conversation_id": e.task_id, "reason": e.reason})
            case TaskOverflowed():
                pass  # the engine moved the record to the new queue; nobody is told
            case EscalationOffered():
                await self._visitor_of(tenant, e.task_id, "escalation_offer",
                                       {"conversation_id": e.task_id, "options": list(e.options)})
            case WrapupEnded():
                await self._agent(tenant, e.agent_id, "wrapup_ended", {"conversation_id": e.task_id})
            case QueuePosition():
                # outside business hours no wait estimate (it would be a promise nobody keeps): the opening
                await self._visitor_of(tenant, e.task_id, "queue", {
                    "conversation_id": e.task_id, "position": e.position,
                    "ewt_s": None if e.ewt_s is None else round(e.ewt_s),
                    **({"open": False, "next_open": e.opens_at_iso} if e.closed else {}),
                })
            case _:
                assert_never(e)

    async def _agent(self, tenant: str, agent_id: str, event: str, data: dict) -> None:
        await self.sio.emit(event, data, room=agent_room(tenant, agent_id), namespace="/agent")

    async def _visitor(self, tenant: str, visitor_id: str, event: str, data: dict) -> None:
        if visitor_id:
            await self.sio.emit(event, data, room=visitor_room(tenant, visitor_id), namespace="/visitor")

    async def _visitor_of(self, tenant: str, conversation_id: str, event: str, data: dict) -> None:
        visitor_id = replies.maybe_text(await self.redis.hget(TenantKeys(tenant).conv(conversation_id), "visitor_id"))
        await self._visitor(tenant, visitor_id or "", event, data)
