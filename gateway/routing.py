"""The gateway side of routing: conversations in, ACD effects out to Socket.IO and storage.

The ACD (acd.engine.Engine) decides atomically in Redis and returns effects; this module turns
each effect into what people see (offer, assigned, queue position …) and keeps the conversation's
state field in step. Any gateway process may apply any effect: emits go through the Redis manager.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import socketio
from redis.asyncio import Redis

from acd.engine import Engine
from acd.model import Task
from gateway.config.schema import Config
from gateway.keys import TenantKeys
from gateway.metrics import Metrics
from gateway.rooms import agent_room, supervisor_room, visitor_room
from gateway.store.contacts import get_contact
from gateway.store.conversations import (
    Conversation,
    close_conversation,
    get_conversation,
    open_conversations,
)

log = logging.getLogger(__name__)
SERIES_STEP_S = 30  # one sample of waiting contacts per queue every 30 s
# effects after which people waiting behind may have moved up (or a new one joined)
LINE_MOVERS = {"offered", "assigned", "offer_revoked", "task_requeued", "task_overflowed", "agent_state"}


class Router:
    """One ACD engine per tenant, plus the effect dispatcher."""

    def __init__(self, redis: Redis, config: Config, sio: socketio.AsyncServer, metrics: Metrics, node_id: str):
        self.redis = redis
        self.config = config
        self.sio = sio
        self.metrics = metrics
        self.node_id = node_id
        self.engines = {tid: Engine(redis, tenant) for tid, tenant in config.tenants.items()}
        self._lines_moved: set[str] = set()  # tenants whose waiting lines changed since the last push

    def engine(self, tenant: str) -> Engine:
        return self.engines[tenant]

    async def start(self) -> None:
        now = time.time()
        for engine in self.engines.values():
            await engine.sync_config(now)

    # --- work in -------------------------------------------------------------------------------
    async def submit(self, conv: Conversation, priority: int = 0) -> None:
        """Queue a conversation for an agent (idempotent: a task already known is left alone)."""
        contact = await get_contact(self.redis, TenantKeys(conv.tenant), conv.contact_id)
        meta = {
            "topic": conv.topic,
            "channel_type": conv.channel_type,
            "contact": {
                "id": contact.id if contact else conv.contact_id,
                "name": contact.name if contact else "",
                "email": contact.email if contact else "",
            },
        }
        # the engine keeps the conversation record's state, agent and queue in step with the task,
        # in the same atomic step as each routing decision
        task = Task(
            id=conv.id, queue=conv.queue, channel=conv.work_channel, language=conv.language,
            priority=priority, enqueued_at=conv.created_at, meta=meta, record=TenantKeys(conv.tenant).conv(conv.id),
        )
        await self.run(conv.tenant, "submit", task)

    async def run(self, tenant: str, op: str, *args: Any, **kwargs: Any) -> list:
        """Call ``Engine.<op>(*args, now=…)`` and apply the effects it returns."""
        engine = self.engines[tenant]
        start = time.perf_counter()
        effects = await getattr(engine, op)(*args, now=time.time(), **kwargs)
        self.metrics.routing_seconds.labels(op).observe(time.perf_counter() - start)
        if op in ("submit", "close", "cancel", "transfer"):
            self._lines_moved.add(tenant)
        await self.apply(tenant, effects or [])
        return effects or []

    # --- effects out ---------------------------------------------------------------------------
    async def apply(self, tenant: str, effects: list) -> None:
        keys = TenantKeys(tenant)
        if any(e.kind in LINE_MOVERS for e in effects):
            self._lines_moved.add(tenant)
        for effect in effects:
            handler = getattr(self, f"_on_{effect.kind}", None)
            if handler is None:
                log.debug("effect without handler", extra={"kind": effect.kind})
                continue
            try:
                await handler(tenant, keys, effect)
            except Exception:
                log.exception("applying effect failed", extra={"kind": effect.kind, "tenant": tenant})

    async def _emit_visitor(self, tenant: str, keys: TenantKeys, conversation_id: str, event: str, data: dict) -> None:
        visitor_id = await self.redis.hget(keys.conv(conversation_id), "visitor_id")
        if visitor_id:
            await self.sio.emit(event, data, room=visitor_room(tenant, visitor_id), namespace="/visitor")

    async def _on_offered(self, tenant: str, keys: TenantKeys, e: Any) -> None:
        payload = offer_payload(e.offer_id, e.task_id, e.channel, e.language, e.queue, e.waited_s, e.expires_in_s, e.meta)
        await self.sio.emit("offer", payload, room=agent_room(tenant, e.agent_id), namespace="/agent")

    async def pending_offers(self, tenant: str, agent_id: str, now: float) -> list[dict]:
        """Offers waiting for this agent's answer, with the time they have left (for a console that reconnects)."""
        return [
            offer_payload(o.offer_id, o.task_id, o.channel, o.language, o.queue, o.waited_s, o.expires_in_s, o.meta)
            for o in await self.engines[tenant].offers_for(agent_id, now)
        ]

    async def _on_offer_revoked(self, tenant: str, keys: TenantKeys, e: Any) -> None:
        await self.sio.emit(
            "offer_revoked", {"offer_id": e.offer_id, "conversation_id": e.task_id, "reason": e.reason},
            room=agent_room(tenant, e.agent_id), namespace="/agent",
        )

    async def _on_assigned(self, tenant: str, keys: TenantKeys, e: Any) -> None:
        conv = await get_conversation(self.redis, keys, e.task_id)
        if conv is None:
            return
        agent = self.config.tenants[tenant].agents.get(e.agent_id)
        name = agent.name if agent else e.agent_id
        await self._emit_visitor(tenant, keys, e.task_id, "assigned", {"conversation_id": e.task_id, "agent": {"name": name}})
        await self.sio.emit(
            "assigned", await self.describe(tenant, conv), room=agent_room(tenant, e.agent_id), namespace="/agent"
        )

    async def _on_agent_state(self, tenant: str, keys: TenantKeys, e: Any) -> None:
        await self.sio.emit(
            "state", {"state": e.state, "reason": e.reason}, room=agent_room(tenant, e.agent_id), namespace="/agent"
        )

    async def _on_task_requeued(self, tenant: str, keys: TenantKeys, e: Any) -> None:
        await self._emit_visitor(tenant, keys, e.task_id, "requeued", {"conversation_id": e.task_id, "reason": e.reason})
        if e.agent_id:
            await self.sio.emit(
                "unassigned", {"conversation_id": e.task_id, "reason": e.reason},
                room=agent_room(tenant, e.agent_id), namespace="/agent",
            )

    async def _on_escalation_offered(self, tenant: str, keys: TenantKeys, e: Any) -> None:
        await self._emit_visitor(
            tenant, keys, e.task_id, "escalation_offer", {"conversation_id": e.task_id, "options": list(e.options)}
        )

    async def _on_wrapup_ended(self, tenant: str, keys: TenantKeys, e: Any) -> None:
        await self.sio.emit(
            "wrapup_ended", {"conversation_id": e.task_id}, room=agent_room(tenant, e.agent_id), namespace="/agent"
        )

    async def _on_queue_position(self, tenant: str, keys: TenantKeys, e: Any) -> None:
        await self._emit_visitor(
            tenant, keys, e.task_id, "queue",
            {"conversation_id": e.task_id, "position": e.position, "ewt_s": None if e.ewt_s is None else round(e.ewt_s)},
        )

    # --- periodic work -------------------------------------------------------------------------
    async def recover(self) -> None:
        """Queue open conversations the ACD does not know (a process died between storing and routing)."""
        for tenant in self.engines:
            keys = TenantKeys(tenant)
            for conv in await open_conversations(self.redis, keys):
                if conv.state == "closed":  # the ACD closed it; a process died before the open index heard
                    await close_conversation(self.redis, keys, conv.id, conv.close_reason or "agent")
                    continue
                if conv.seq > 0 and await self.engines[tenant].task(conv.id) is None:
                    log.warning("re-queueing conversation unknown to the ACD", extra={"conversation": conv.id})
                    await self.submit(conv)

    async def tick(self) -> None:
        """Fire due ACD timers of every tenant (any number of processes may do this at once)."""
        for tenant in self.engines:
            await self.run(tenant, "tick")

    async def heartbeat(self, ttl_s: float) -> None:
        for engine in self.engines.values():
            await engine.node_heartbeat(self.node_id, now=time.time(), ttl_s=ttl_s)

    async def push_positions(self, only_moved: bool = False) -> None:
        """Send every waiting visitor its queue position and wait estimate (``only_moved``: just
        in tenants whose lines changed since the last push — called often, so changes show at once)."""
        tenants = list(self._lines_moved) if only_moved else list(self.engines)
        self._lines_moved.difference_update(tenants)
        for tenant in tenants:
            await self.apply(tenant, await self.engines[tenant].positions(now=time.time()))

    async def push_snapshots(self) -> None:
        """Send this process's supervisors a snapshot; sample the waiting series every 30 s (one process)."""
        now = time.time()
        for tenant in self.engines:
            local = [sid for sid, _ in self.sio.manager.get_participants("/supervisor", supervisor_room(tenant))]
            sample_due = await self.redis.set(
                TenantKeys(tenant).leader("series"), self.node_id, nx=True, px=int(SERIES_STEP_S * 1000)
            )
            if not local and not sample_due:
                continue  # nobody watching here: no work (a snapshot costs a few reads per open conversation)
            snap = await self.snapshot(tenant, now)
            # per socket, not per room: a room emit would reach every process's supervisors once per process
            await asyncio.gather(*[self.sio.emit("snapshot", snap, to=sid, namespace="/supervisor") for sid in local])
            if sample_due:
                sample = {q["id"]: q["waiting"] for q in snap["queues"]} or {"_": 0}
                await self.redis.xadd(TenantKeys(tenant).waiting_series(), sample, maxlen=3000, approximate=True)

    async def snapshot(self, tenant: str, now: float) -> dict:
        """The ACD snapshot, the open conversations, and the waiting-contacts series of the last 30 minutes."""
        snap = await self.engines[tenant].snapshot(now=now)
        snap["conversations"] = await self._live_conversations(tenant, now)
        entries = await self.redis.xrange(TenantKeys(tenant).waiting_series(), min=str(int((now - 1800) * 1000)))
        series: dict[str, list] = {}
        for entry_id, fields in entries:
            ts = int(entry_id.split("-")[0]) / 1000
            for queue, waiting in fields.items():
                if queue != "_":
                    series.setdefault(queue, []).append([ts, int(waiting)])
        snap["series"] = series
        return snap

    async def _live_conversations(self, tenant: str, now: float, limit: int = 200) -> list[dict]:
        keys = TenantKeys(tenant)
        convs = (await open_conversations(self.redis, keys))[:limit]
        async with self.redis.pipeline(transaction=False) as pipe:
            for conv in convs:
                pipe.hget(keys.contact(conv.contact_id), "name")
                pipe.xrevrange(keys.conv_messages(conv.id), count=1)
            rows = await pipe.execute()
        agents = self.config.tenants[tenant].agents
        out = []
        for i, conv in enumerate(convs):
            name, last = rows[2 * i], rows[2 * i + 1]
            agent = agents.get(conv.agent_id)
            out.append({
                "id": conv.id, "contact_name": name or "", "queue": conv.queue,
                "agent_id": conv.agent_id, "agent": agent.name if agent else "",
                "state": conv.state, "channel_type": conv.channel_type,
                "waited_s": round((conv.assigned_at or now) - conv.created_at, 1),
                "last_message": last[0][1].get("text", "")[:140] if last else "",
            })
        return out

    async def outbound(self, tenant: str, conv: Conversation, msg: Any) -> None:
        """Send an agent's reply out through the conversation's platform (widget replies go by Socket.IO)."""
        if conv.channel_type == "widget":
            return
        log.warning("no outbound bridge for channel type", extra={"channel_type": conv.channel_type, "conversation": conv.id})

    async def describe(self, tenant: str, conv: Conversation) -> dict:
        """What an agent's console shows of an assigned conversation."""
        contact = await get_contact(self.redis, TenantKeys(tenant), conv.contact_id)
        return {
            "conversation_id": conv.id, "channel": conv.work_channel, "channel_type": conv.channel_type,
            "channel_id": conv.channel, "topic": conv.topic, "language": conv.language, "queue": conv.queue,
            "state": conv.state, "last_seq": conv.seq, "created_at": conv.created_at,
            "contact": contact.to_wire() if contact else {"id": conv.contact_id, "name": ""},
        }


def offer_payload(
    offer_id: str, task_id: str, channel: str, language: str, queue: str, waited_s: float, expires_in_s: float, meta: dict
) -> dict:
    """The contract's ``offer`` event."""
    meta = meta or {}
    return {
        "offer_id": offer_id, "conversation_id": task_id, "channel": channel,
        "channel_type": meta.get("channel_type", ""), "language": language, "topic": meta.get("topic", ""),
        "queue": queue, "waited_s": round(waited_s, 1), "expires_in_s": round(expires_in_s, 1),
        "contact": meta.get("contact", {}),
    }
