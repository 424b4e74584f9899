"""Typed calls into the ACD: one Engine per tenant; every decision's effects are applied before the
call returns. Any gateway process may make any call (decisions are atomic in Redis)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis

from acd.effects import Effect
from acd.engine import Engine
from acd.model import Task
from gateway.config.schema import Config, TenantConfig
from gateway.config.to_acd import to_acd
from gateway.conversations.offer_details import offer_details
from gateway.emitter import Emitter
from gateway.keys import TenantKeys
from gateway.metrics import Metrics
from gateway.routing import loops, outcomes, views
from gateway.routing.effects import EffectApplier
from gateway.store.contacts import get_contact
from gateway.store.conversations import Conversation

# effects after which people waiting behind may have moved up (or a new one joined)
LINE_MOVERS = {"offered", "assigned", "offer_revoked", "task_requeued", "task_overflowed", "agent_state"}


class Router:
    """The ACD of every tenant, as typed service calls."""

    def __init__(self, redis: Redis, config: Config, sio: Emitter, metrics: Metrics, node_id: str):
        self.redis = redis
        self.config = config
        self.sio = sio
        self.metrics = metrics
        self.node_id = node_id
        self.engines = {tid: Engine(redis, to_acd(tenant)) for tid, tenant in config.tenants.items()}
        self.effects = EffectApplier(redis, config, sio)
        self.lines_moved: set[str] = set()  # tenants whose waiting lines changed since the last push
        # (tenant, queue) -> when its business hours change next (None: never); only says when to
        # ask the engine again, the state itself is in Redis (acd:hours)
        self.hours_due: dict[tuple[str, str], float | None] = {}
        # what may raise a new task's priority before it is queued (the CRM lookup, gateway/crm): bounded
        # in time by itself and never raising; None = nothing
        self.enrich: Callable[[Conversation], Awaitable[int]] | None = None

    def engine(self, tenant: str) -> Engine:
        return self.engines[tenant]

    async def start(self) -> None:
        now = time.time()
        for engine in self.engines.values():
            await engine.sync_config(now)
        await loops.flip_hours(self)

    async def reconfigure(self, tenant: TenantConfig) -> None:
        """Route by a changed tenant config from now on (the admin settings): queues and agent profiles
        re-synced keeping live state, and the queues' business hours looked at again at once."""
        engine = self.engines[tenant.id]
        engine.config = to_acd(tenant)
        await self.effects.apply(tenant.id, await engine.sync_config(time.time()))
        for key in [k for k in self.hours_due if k[0] == tenant.id]:
            del self.hours_due[key]
        self.lines_moved.add(tenant.id)
        await loops.flip_hours(self)

    async def _decide(self, tenant: str, op: str, call: Callable[[float], Awaitable[list[Effect]]],
                      *, moves_line: bool = False) -> list[Effect]:
        """Run one decision at ``now``, time it, and apply its effects."""
        start = time.perf_counter()
        effects = await call(time.time())
        self.metrics.routing_seconds.labels(op).observe(time.perf_counter() - start)
        outcomes.count(self.metrics, tenant, op, effects)  # decisions and offer outcomes (Prometheus)
        if moves_line or any(e.kind in LINE_MOVERS for e in effects):
            self.lines_moved.add(tenant)
        await self.effects.apply(tenant, effects)
        return effects

    # --- work in -------------------------------------------------------------------------------
    async def submit(self, conv: Conversation, priority: int = 0, *, task_id: str = "", channel: str = "",
                     extra_meta: dict | None = None) -> list[Effect]:
        """Queue a conversation for an agent (idempotent: a task already known is left alone).
        A callback attempt passes its own ``task_id`` and ``channel`` (voice): the conversation's own
        task and record are then untouched."""
        if self.enrich is not None:
            priority = max(priority, await self.enrich(conv))
        contact = await get_contact(self.redis, TenantKeys(conv.tenant), conv.contact_id)
        meta = {
            "topic": conv.topic,
            "channel_type": conv.channel_type,
            "contact": {
                "id": contact.id if contact else conv.contact_id,
                "name": contact.name if contact else "",
                "email": contact.email if contact else "",
                "email_verified": contact.email_verified if contact else False,
            },
        }
        # the engine keeps the conversation record's state, agent and queue in step with the task,
        # in the same atomic step as each routing decision
        task = Task(
            id=task_id or conv.id, queue=conv.queue, channel=channel or conv.work_channel, language=conv.language,
            priority=priority, enqueued_at=None if task_id else conv.created_at, meta={**meta, **(extra_meta or {})},
            record="" if task_id else TenantKeys(conv.tenant).conv(conv.id),
        )
        engine = self.engines[conv.tenant]
        return await self._decide(conv.tenant, "submit", lambda now: engine.submit(task, now), moves_line=True)

    async def close(self, tenant: str, task_id: str, reason: str, wrapup_code: str | None = None) -> list[Effect]:
        engine = self.engines[tenant]
        return await self._decide(tenant, "close", lambda now: engine.close(task_id, now, wrapup_code, reason),
                                  moves_line=True)

    async def transfer(self, tenant: str, task_id: str, *, queue: str | None = None, agent: str | None = None) -> list[Effect]:
        engine = self.engines[tenant]
        return await self._decide(tenant, "transfer", lambda now: engine.transfer(task_id, now, queue=queue, agent=agent),
                                  moves_line=True)

    # --- supervisors (each one atomic decision in the ACD) -----------------------------------
    async def assign(self, tenant: str, task_id: str, agent_id: str) -> list[Effect]:
        """A waiting or offered conversation to ``agent_id`` at once (an offer elsewhere is withdrawn)."""
        engine = self.engines[tenant]
        return await self._decide(tenant, "assign", lambda now: engine.assign(task_id, agent_id, now),
                                  moves_line=True)

    async def move(self, tenant: str, task_id: str, queue: str) -> list[Effect]:
        """A conversation still waiting to another queue; it keeps its waiting time."""
        engine = self.engines[tenant]
        return await self._decide(tenant, "move", lambda now: engine.transfer(task_id, now, queue=queue,
                                                                              only_waiting=True), moves_line=True)

    # --- agents --------------------------------------------------------------------------------
    async def accept(self, tenant: str, agent_id: str, offer_id: str) -> list[Effect]:
        engine = self.engines[tenant]
        return await self._decide(tenant, "accept", lambda now: engine.accept(agent_id, offer_id, now))

    async def decline(self, tenant: str, agent_id: str, offer_id: str) -> list[Effect]:
        engine = self.engines[tenant]
        return await self._decide(tenant, "decline", lambda now: engine.decline(agent_id, offer_id, now))

    async def wrapup_done(self, tenant: str, agent_id: str, task_id: str, code: str) -> list[Effect]:
        engine = self.engines[tenant]
        return await self._decide(tenant, "wrapup_done", lambda now: engine.wrapup_done(agent_id, task_id, code, now))

    async def set_state(self, tenant: str, agent_id: str, state: str, reason: str = "requested", *,
                        calm: bool = False) -> list[Effect]:
        """``calm``: conversations given back are handed on as a transfer (acd/engine.py)."""
        engine = self.engines[tenant]
        return await self._decide(tenant, "set_state",
                                  lambda now: engine.set_state(agent_id, state, now, reason, calm=calm))

    async def agent_connected(self, tenant: str, agent_id: str, sid: str) -> list[Effect]:
        engine = self.engines[tenant]
        return await self._decide(tenant, "agent_connected",
                                  lambda now: engine.agent_connected(agent_id, sid, self.node_id, now))

    async def agent_disconnected(self, tenant: str, agent_id: str, sid: str) -> list[Effect]:
        engine = self.engines[tenant]
        return await self._decide(tenant, "agent_disconnected",
                                  lambda now: engine.agent_disconnected(agent_id, sid, self.node_id, now))

    # --- timers and periodic work (gateway/routing/loops.py) -----------------------------------
    async def set_hours(self, tenant: str, queue: str, open_: bool, *, next_change: float | None,
                        next_open_iso: str, when_closed: str) -> list[Effect]:
        """A queue's business-hours state (idempotent; the opening offers its waiting tasks)."""
        engine = self.engines[tenant]
        return await self._decide(tenant, "hours", lambda now: engine.set_hours(
            queue, open_, now, next_change=next_change, next_open_iso=next_open_iso, when_closed=when_closed,
        ), moves_line=True)

    async def tick(self) -> None:
        """Flip queues whose business hours change now, then fire due ACD timers of every tenant
        (any number of processes may do this at once)."""
        await loops.flip_hours(self)
        for tenant, engine in self.engines.items():
            await self._decide(tenant, "tick", engine.tick)

    async def heartbeat(self, ttl_s: float) -> None:
        for engine in self.engines.values():
            await engine.node_heartbeat(self.node_id, now=time.time(), ttl_s=ttl_s)

    async def recover(self) -> None:
        await loops.recover(self)

    async def push_positions(self, only_moved: bool = False) -> None:
        await loops.push_positions(self, only_moved)

    async def push_snapshots(self, local_supervisors: Callable[[str], list[str]]) -> None:
        await loops.push_snapshots(self, local_supervisors)

    # --- views ---------------------------------------------------------------------------------
    async def pending_offers(self, tenant: str, agent_id: str, now: float) -> list[dict]:
        """Offers waiting for this agent's answer, with the time they have left (a console that reconnects)."""
        offers = [
            views.offer_payload(o.offer_id, o.task_id, o.channel, o.language, o.queue, o.waited_s, o.expires_in_s, o.meta)
            for o in await self.engines[tenant].offers_for(agent_id, now)
        ]
        for offer in offers:  # the customer's first message and a transfer's handover note
            offer.update(await offer_details(self.redis, tenant, offer["conversation_id"]))
        return offers

    async def snapshot(self, tenant: str, now: float) -> dict[str, Any]:
        return await views.snapshot(self.redis, self.engines[tenant], self.config.tenants[tenant], now)

    async def describe(self, tenant: str, conv: Conversation) -> dict:
        return await views.describe(self.redis, self.config, tenant, conv)
