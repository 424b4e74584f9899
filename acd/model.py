"""The vocabulary the engine reasons in: work channels, policies, states, one tenant's routing
config, the input record (``Task``) and the read views. Frozen; no logins, no channel secrets.

The conversation record (``Task.record``): the name of a Redis HASH of the caller's (for the
gateway: its conversation, ``t:{tenant}:conv:<id>``) that the engine keeps in step with the task
inside the same script as every change, so no other event can come between the two. It must
start with the tenant's key prefix (same Cluster slot) and is never created: a record that does
not exist (deleted by retention) stays deleted. Fields written, with ``updated_at`` = now:

=========== ============================================================================
task        record
=========== ============================================================================
queued      ``state=queued``, ``agent_id=""``, ``queue``
offered     ``state=offered``, ``agent_id`` = the offered agent, ``queue``
assigned    ``state=assigned``, ``agent_id``, ``assigned_at``, ``queue``
wrapup      ``state=closed``, ``closed_at`` (when the conversation closed), ``close_reason``,
            ``agent_id``, ``queue`` — the customer's conversation is over; only the slot is busy
closed      as wrapup; the end of wrap-up changes nothing. Closed before an answer (abandoned):
            ``agent_id=""`` too
=========== ============================================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

WorkChannel = Literal["chat", "messaging", "email", "voice"]
WORK_CHANNELS: tuple[WorkChannel, ...] = ("chat", "messaging", "email", "voice")
REALTIME_CHANNELS: tuple[WorkChannel, ...] = ("chat", "messaging", "voice")  # count towards occupancy

Policy = Literal["longest_idle", "least_occupancy", "best_proficiency"]
POLICIES: tuple[Policy, ...] = ("longest_idle", "least_occupancy", "best_proficiency")

AgentState = Literal["available", "away", "offline"]
AGENT_STATES: tuple[AgentState, ...] = ("available", "away", "offline")

# "between" lives only inside one script (a task taken from its holder, not yet queued or offered
# again); every other state can be read from Redis.
TaskState = Literal["queued", "between", "offered", "assigned", "wrapup", "closed"]
TASK_STATES: tuple[TaskState, ...] = ("queued", "between", "offered", "assigned", "wrapup", "closed")


@dataclass(frozen=True, slots=True)
class Step:
    """One routing step of a queue; steps run in order while the task waits."""

    timeout_s: float | None = None  # None on the last step: forever
    min_proficiency: int = 1
    relax_language: bool = False  # any language may take the task in this step
    overflow: str | None = None  # move the task to this queue (keeps its enqueue time)
    escalate: tuple[str, ...] = ()  # offer the customer these alternatives ("email", "callback")


def _offer_timeouts() -> dict[str, float]:
    return {"chat": 20.0, "messaging": 20.0, "email": 60.0, "voice": 15.0}


@dataclass(frozen=True, slots=True)
class Queue:
    id: str
    skill: str
    name: str = ""
    policy: Policy = "longest_idle"
    priority: int = 0  # base priority of tasks entering this queue (higher first)
    aging_per_min: float = 0.0  # priority points a waiting task gains per minute
    sla_threshold_s: float = 20.0
    sla_target: float = 0.8
    wrapup_s: float = 30.0
    decline_cooldown_s: float = 30.0  # a declined/missed task comes back to that agent after this
    aht_s: float = 180.0  # until measured
    offer_timeout_s: dict[str, float] = field(default_factory=_offer_timeouts)  # per work channel
    steps: tuple[Step, ...] = (Step(),)


@dataclass(frozen=True, slots=True)
class Agent:
    id: str
    name: str = ""
    languages: tuple[str, ...] = ()
    skills: dict[str, int] = field(default_factory=dict)  # skill -> proficiency 1..5
    capacity: dict[str, int] = field(default_factory=dict)  # work channel -> max open items
    auto_accept: bool = False


@dataclass(frozen=True, slots=True)
class ChannelRule:
    """Blending rule of one work channel."""

    blocks: tuple[str, ...] = ()  # while work of this channel is open: no new offers of these
    max_realtime_occupancy: float | None = None  # offered only while real-time occupancy is below this


def _default_rules() -> dict[str, ChannelRule]:
    return {"voice": ChannelRule(blocks=("chat", "messaging")), "email": ChannelRule(max_realtime_occupancy=0.5)}


@dataclass(frozen=True, slots=True)
class RoutingConfig:
    """One tenant's routing: what ``Engine.sync_config`` writes into Redis."""

    tenant_id: str
    queues: dict[str, Queue] = field(default_factory=dict)
    agents: dict[str, Agent] = field(default_factory=dict)
    rules: dict[str, ChannelRule] = field(default_factory=_default_rules)  # work channel -> rule
    disconnect_grace_s: float = 30.0  # an agent with no socket this long goes offline
    max_missed_offers: int = 2  # missed offers in a row before the agent is set away


@dataclass(frozen=True, slots=True)
class Task:
    """A conversation that needs an agent. ``id`` is the conversation id."""

    id: str
    queue: str
    channel: str  # a WorkChannel; checked by Engine.submit
    language: str
    priority: int = 0
    enqueued_at: float | None = None  # None: the submit time; kept across requeue and overflow
    meta: dict[str, Any] = field(default_factory=dict)  # handed back in Offered/Assigned
    record: str = ""  # HASH kept in step with the task (see the module docstring); "" = none


@dataclass(frozen=True, slots=True)
class OfferView:
    """An offer still waiting for an agent's answer, as a reconnecting console shows it."""

    offer_id: str
    task_id: str
    channel: str
    language: str
    queue: str
    waited_s: float
    expires_in_s: float
    meta: dict[str, Any] = field(default_factory=dict)
