"""The routing engine's Python face: one Engine per tenant, every decision one Lua script.

Every method takes ``now`` (epoch seconds) instead of reading a clock, so a simulation can drive
the real engine in virtual time. Decisions return the effects the gateway must emit.
"""

from __future__ import annotations

from typing import Any

import orjson
import redis.asyncio as aioredis

from . import config_sync, hours, positions, replies, scripts, snapshot, stats
from .effects import Effect, QueuePosition, decode_effects
from .errors import BadRequest, InvalidState, UnknownAgent, UnknownTask
from .hours import WHEN_CLOSED, QueueHours
from .keys import AcdKeys
from .model import AGENT_STATES, WORK_CHANNELS, OfferView, RoutingConfig, Task


class Engine:
    """The ACD of one tenant, atomic in Redis; any number of processes may share it."""

    def __init__(
        self,
        redis: aioredis.Redis,
        config: RoutingConfig,
        *,
        event_maxlen: int = 250_000,
        node_ttl_s: float = 30.0,
        tick_batch: int = 256,
    ) -> None:
        self.redis = redis
        self.config = config
        self.keys = AcdKeys(config.tenant_id)
        self.event_maxlen = event_maxlen
        self.node_ttl_s = node_ttl_s
        self.tick_batch = tick_batch

    async def _run(self, name: str, keys: list[str], args: list[Any]) -> dict[str, Any]:
        return await scripts.run(self.redis, name, [self.keys.prefix, *keys], args)

    async def _decide(self, name: str, keys: list[str], args: list[Any]) -> list[Effect]:
        return decode_effects((await self._run(name, keys, args)).get("effects"))

    # --- config ------------------------------------------------------------------------------
    async def sync_config(self, now: float) -> list[Effect]:
        """Load queues and agent profiles into Redis; idempotent, keeps live state and load."""
        k = self.keys
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(k.cfg(), mapping=replies.mapping(config_sync.tenant_fields(self.config, self.event_maxlen)))
            for q in self.config.queues.values():
                pipe.hset(k.queue(q.id), "cfg", config_sync.queue_json(q))
            await pipe.execute()
        effects: list[Effect] = []
        for agent in self.config.agents.values():
            effects += await self._decide(
                "sync_agent", [k.agent(agent.id)], [now, agent.id, *config_sync.agent_args(agent)]
            )
        return effects

    # --- tasks -------------------------------------------------------------------------------
    async def submit(self, task: Task, now: float, *, position: bool = True) -> list[Effect]:
        """Queue a task and route it; a task still waiting gets its QueuePosition in the result
        (``position=False`` skips that extra read, e.g. in the simulator)."""
        if task.channel not in WORK_CHANNELS:
            raise BadRequest(f"unknown channel {task.channel!r}")
        prefix = self.keys.prefix
        if task.record and (not task.record.startswith(prefix) or task.record.startswith(prefix + "acd:")):
            raise BadRequest(
                f"The conversation record {task.record!r} must be a key of tenant {self.config.tenant_id!r} "
                f"(starting with {prefix!r}) outside the ACD's own keys."
            )
        enq = now if task.enqueued_at is None else task.enqueued_at
        reply = await self._run(
            "submit",
            [self.keys.task(task.id)],
            [now, task.id, task.queue, task.channel, task.language or "", task.priority, enq,
             orjson.dumps(task.meta).decode(), task.record],
        )
        effects = decode_effects(reply.get("effects"))
        if position and reply.get("state") == "queued" and not reply.get("duplicate"):
            effects.append(await positions.position_of(self.redis, self.keys, self.config, task.id, reply["queue"],
                                                       task.channel, int(reply["rank"]) + 1, now))
        return effects

    async def accept(self, agent_id: str, offer_id: str, now: float) -> list[Effect]:
        """Accept an offer. Raises OfferGone or NotYourOffer."""
        return await self._decide("accept", [self.keys.offers()], [now, agent_id, offer_id])

    async def decline(self, agent_id: str, offer_id: str, now: float) -> list[Effect]:
        """Decline an offer; the task goes to the next agent. Raises OfferGone or NotYourOffer."""
        return await self._decide("decline", [self.keys.offers()], [now, agent_id, offer_id])

    async def close(
        self, task_id: str, now: float, wrapup_code: str | None = None, reason: str = "agent"
    ) -> list[Effect]:
        """The conversation ended: wrap-up (or freed at once with a code); unanswered = abandoned.
        ``reason`` becomes the record's ``close_reason``."""
        return await self._decide(
            "close", [self.keys.task(task_id)], [now, task_id, wrapup_code or "", reason or "agent"]
        )

    async def wrapup_done(self, agent_id: str, task_id: str, code: str, now: float) -> list[Effect]:
        """The agent's wrap-up code: frees the slot now. Only in wrap-up (InvalidState while the
        conversation is open: ``close`` it, with the code, instead)."""
        return await self._decide(
            "wrapup_done", [self.keys.task(task_id)], [now, agent_id, task_id, code or "-"]
        )

    async def cancel(self, task_id: str, reason: str, now: float) -> list[Effect]:
        """The visitor abandoned while waiting (answered: like close); ``reason`` is the close reason."""
        return await self._decide("cancel", [self.keys.task(task_id)], [now, task_id, reason or "abandoned"])

    async def transfer(
        self, task_id: str, now: float, queue: str | None = None, agent: str | None = None,
        *, only_waiting: bool = False,
    ) -> list[Effect]:
        """Move a task to another queue, or offer it to one agent (exactly one of the two).
        ``only_waiting``: refuse (InvalidState) unless the task is still queued or offered."""
        if (queue is None) == (agent is None):
            raise BadRequest("transfer needs exactly one of queue or agent")
        return await self._decide(
            "transfer", [self.keys.task(task_id)],
            [now, task_id, queue or "", agent or "", "1" if only_waiting else "0"],
        )

    async def relanguage(self, task_id: str, language: str, now: float) -> list[Effect]:
        """A waiting task's language changed: it keeps its place in line and is routed by the new
        language (offered at once to a free agent who speaks it). Raises InvalidState unless it is
        still queued (an offered or answered task keeps its language), UnknownTask, BadRequest."""
        if not language:
            raise BadRequest("a task needs a language")
        return await self._decide("relanguage", [self.keys.task(task_id)], [now, task_id, language])

    async def assign(self, task_id: str, agent_id: str, now: float) -> list[Effect]:
        """Give a waiting (queued or offered) task to one agent at once, within its capacity; an
        open offer is withdrawn in the same step. Raises InvalidState once it was answered,
        AgentUnavailable (offline), OverCapacity, UnknownAgent, UnknownTask."""
        return await self._decide("assign", [self.keys.task(task_id)], [now, task_id, agent_id])

    async def rate(self, task_id: str, score: int, agent_id: str, now: float, comment: str = "") -> bool:
        """The customer's rating (1..5) of an ended task, logged as a ``rated`` event (the comment kept on
        the task in the same step). True when recorded; False when it was rated before. Raises
        InvalidState while not yet ended, UnknownTask."""
        if not 1 <= score <= 5:
            raise BadRequest(f"score {score!r} is not 1..5")
        reply = await self._run("rate", [self.keys.task(task_id)], [now, task_id, score, agent_id or "", comment])
        if reply.get("state") == "unknown":
            raise UnknownTask(f"no task {task_id!r}")
        if reply.get("state") not in ("closed", "wrapup"):
            raise InvalidState(f"task {task_id!r} is {reply.get('state')}, not ended")
        return bool(reply.get("rated"))

    # --- agents ------------------------------------------------------------------------------
    async def set_state(
        self, agent_id: str, state: str, now: float, reason: str = "requested", *, calm: bool = False
    ) -> list[Effect]:
        """available | away | offline. Going available returns the offers it gets at once. Offline gives
        the conversations back; ``calm`` requeues them as ``transferred`` (someone chose to hand them
        on: a supervisor, an admin, the agent itself) rather than ``agent_offline``."""
        if state not in AGENT_STATES:
            raise BadRequest(f"unknown agent state {state!r}")
        return await self._decide(
            "set_state", [self.keys.agent(agent_id)], [now, agent_id, state, reason, "1" if calm else "0"]
        )

    async def agent_connected(self, agent_id: str, sid: str, node_id: str, now: float) -> list[Effect]:
        """Register a socket of the agent on a gateway node (cancels a running grace period)."""
        return await self._decide(
            "agent_connected", [self.keys.agent_sockets(agent_id)], [now, agent_id, sid, node_id, self.node_ttl_s]
        )

    async def agent_disconnected(self, agent_id: str, sid: str, node_id: str, now: float) -> list[Effect]:
        """A socket went away; with none left, the agent goes offline after the grace period."""
        return await self._decide(
            "agent_disconnected", [self.keys.agent_sockets(agent_id)], [now, agent_id, sid, node_id]
        )

    async def node_heartbeat(self, node_id: str, now: float, ttl_s: float) -> list[Effect]:
        """Renew a gateway node's lease; when it lapses its sockets count as gone."""
        return await self._decide("node_heartbeat", [self.keys.nodes()], [now, node_id, ttl_s])

    # --- business hours ------------------------------------------------------------------------
    async def set_hours(
        self, queue: str, open_: bool, now: float, *, next_change: float | None = None, next_open_iso: str = "",
        when_closed: str = "wait",
    ) -> list[Effect]:
        """The queue's business-hours state at ``now`` (open or closed, and when that changes next).
        Idempotent: the same flip from many processes changes things once; the opening offers the
        waiting tasks to free agents. ``when_closed``: wait | escalate (work arriving closed)."""
        if when_closed not in WHEN_CLOSED:
            raise BadRequest(f"when_closed must be one of {', '.join(WHEN_CLOSED)}, not {when_closed!r}")
        nxt = "" if next_change is None else repr(round(next_change, 3))
        return await self._decide(
            "set_hours", [self.keys.hours()],
            [now, queue, "1" if open_ else "0", nxt, next_open_iso if not open_ else "", when_closed],
        )

    async def hours(self) -> dict[str, QueueHours]:
        """Each queue's business-hours state (a queue not listed is open)."""
        return await hours.read_all(self.redis, self.keys)

    # --- timers ------------------------------------------------------------------------------
    async def tick(self, now: float) -> list[Effect]:
        """Fire every timer due at ``now``; safe to call from many processes at once."""
        effects: list[Effect] = []
        while True:
            reply = await self._run("tick", [self.keys.timers()], [now, self.tick_batch])
            effects += decode_effects(reply.get("effects"))
            if not reply.get("more"):
                return effects

    # --- reads -------------------------------------------------------------------------------
    async def task(self, task_id: str) -> dict[str, Any] | None:
        """A task's state (queued|offered|assigned|wrapup|closed), agent, queue and open offer."""
        h = await self.redis.hgetall(self.keys.task(task_id))
        if not h:
            return None
        offer = None
        if h.get("state") == "offered":
            offer = {"offer_id": h["offer"], "agent_id": h["agent"], "expires_at": float(h["offer_exp"]),
                     "direct": h.get("direct") == "1"}
        return {
            "id": task_id,
            "state": h.get("state"),
            "agent": h.get("agent") or None,
            "queue": h.get("queue"),
            "entry_queue": h.get("entry_queue"),
            "channel": h.get("ch"),
            "language": h.get("lang"),
            "priority": int(float(h.get("prio", 0))),
            "enqueued_at": float(h["enq"]),
            "step": int(float(h.get("step", 1))),
            "offer": offer,
            "meta": orjson.loads(h["meta"]) if h.get("meta") else {},
        }

    async def agent(self, agent_id: str) -> dict[str, Any]:
        """An agent's state, load and capacity per channel, occupancy and open task ids."""
        h = replies.fields(await self.redis.hgetall(self.keys.agent(agent_id)))
        if not h:
            raise UnknownAgent(agent_id)
        tasks = sorted(await self.redis.smembers(self.keys.agent_tasks(agent_id)))
        return {**snapshot.agent_view(agent_id, h), "tasks": tasks, "missed": int(float(h.get("missed", 0)))}

    async def agents_online(self) -> int:
        """How many configured agents are not offline (one read per agent; no snapshot)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for agent_id in self.config.agents:
                pipe.hget(self.keys.agent(agent_id), "state")
            states = await pipe.execute()
        return sum(1 for state in states if state and state != "offline")

    async def assigned_tasks(self, agent_id: str) -> list[str]:
        """Ids of the tasks the agent holds in state assigned."""
        ids = sorted(replies.members(await self.redis.smembers(self.keys.agent_tasks(agent_id))))
        if not ids:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for tid in ids:
                pipe.hget(self.keys.task(tid), "state")
            states = await pipe.execute()
        return [tid for tid, st in zip(ids, states, strict=True) if st == "assigned"]

    async def offers_for(self, agent_id: str, now: float) -> list[OfferView]:
        """The agent's offers still open at ``now``, soonest to expire first (reads only its own tasks)."""
        ids = sorted(replies.members(await self.redis.smembers(self.keys.agent_tasks(agent_id))))
        async with self.redis.pipeline(transaction=False) as pipe:
            for tid in ids:
                pipe.hmget(self.keys.task(tid), "state", "agent", "offer", "offer_exp", "ch", "lang", "queue",
                           "enq", "meta")
            rows = await pipe.execute() if ids else []
        out = []
        for tid, (state, agent, offer, exp, ch, lang, queue, enq, meta) in zip(ids, rows, strict=True):
            if state != "offered" or agent != agent_id or not offer or float(exp) <= now:
                continue
            out.append(OfferView(offer, tid, ch, lang, queue, now - float(enq), float(exp) - now,
                                 orjson.loads(meta) if meta else {}))
        return sorted(out, key=lambda o: (o.expires_in_s, o.offer_id))

    async def state_history(self, agent_id: str, since: float, *, max_events: int = 20_000) -> list[dict[str, Any]]:
        """The agent's state changes since ``since`` from the event log, oldest first (reads at most
        ``max_events`` log entries)."""
        out: list[dict[str, Any]] = []
        start, read = f"{int(since * 1000)}-0", 0
        while read < max_events:
            rows = replies.entries(await self.redis.xrange(self.keys.events(), min=start, count=1000))
            for _, f in rows:
                if f.get("ev") == "state" and f.get("agent") == agent_id:
                    out.append({"ts": float(f.get("ts", 0)), "state": f.get("state", ""), "from": f.get("from", ""),
                                "reason": f.get("reason", "")})
            read += len(rows)
            if len(rows) < 1000:
                break
            start = "(" + rows[-1][0]
        return out

    async def positions(self, now: float) -> list[QueuePosition]:
        """Position and estimated wait of every waiting task (queued or offered)."""
        return await positions.all_positions(self.redis, self.keys, self.config, now)

    async def snapshot(self, now: float) -> dict[str, Any]:
        """The supervisor view: agents and queues."""
        return await snapshot.build(self.redis, self.keys, self.config, now)

    async def agent_states(self) -> dict[str, str]:
        """agent id -> state (available, away, offline, …), for counting."""
        return await snapshot.agent_states(self.redis, self.keys, self.config)

    async def queue_stats(self, now: float) -> dict[str, dict[str, Any]]:
        """Per-queue statistics from the live counters."""
        return await stats.live(self.redis, self.keys, self.config, now)

    async def stats_replay(self, now: float) -> dict[str, dict[str, Any]]:
        """The same statistics recomputed from the event log alone."""
        return await stats.replay(self.redis, self.keys, self.config, now)
