"""What a routing decision asks the gateway to do: frozen dataclasses, each with a ``kind``.

The gateway turns them into Socket.IO emits (``Offered`` -> ``offer`` to ``agent:{id}``,
``Assigned`` -> ``assigned`` to ``conv:{id}``, ``QueuePosition`` -> ``queue`` …). Every engine call
returns the effects of its decision in the order they happened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson


@dataclass(frozen=True, slots=True)
class Offered:
    """An offer was written for an agent; it expires in ``expires_in_s`` unless accepted."""

    offer_id: str
    task_id: str
    agent_id: str
    channel: str
    queue: str
    language: str
    waited_s: float
    expires_in_s: float
    meta: dict[str, Any] = field(default_factory=dict)
    kind: str = field(default="offered", init=False)


@dataclass(frozen=True, slots=True)
class OfferRevoked:
    """An offer is no longer valid. reason: expired | declined | cancelled."""

    offer_id: str
    task_id: str
    agent_id: str
    reason: str
    queue: str = ""
    channel: str = ""
    kind: str = field(default="offer_revoked", init=False)


@dataclass(frozen=True, slots=True)
class Assigned:
    """The task is now the agent's conversation (accepted, or auto-accepted: then no Offered)."""

    task_id: str
    agent_id: str
    channel: str
    queue: str
    offer_id: str = ""
    waited_s: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)
    kind: str = field(default="assigned", init=False)


@dataclass(frozen=True, slots=True)
class AgentStateChanged:
    """reason: requested | missed_offers | disconnected | …"""

    agent_id: str
    state: str
    reason: str
    kind: str = field(default="agent_state", init=False)


@dataclass(frozen=True, slots=True)
class TaskRequeued:
    """The task waits again. reason: agent_offline | transferred; ``agent_id``: who held it ("" if nobody)."""

    task_id: str
    queue: str
    reason: str
    agent_id: str = ""
    kind: str = field(default="task_requeued", init=False)


@dataclass(frozen=True, slots=True)
class TaskOverflowed:
    task_id: str
    from_queue: str
    to_queue: str
    kind: str = field(default="task_overflowed", init=False)


@dataclass(frozen=True, slots=True)
class EscalationOffered:
    """Offer the customer these alternatives (e.g. ``["email", "callback"]``); the task stays queued."""

    task_id: str
    options: tuple[str, ...]
    queue: str = ""
    kind: str = field(default="escalation_offered", init=False)


@dataclass(frozen=True, slots=True)
class WrapupEnded:
    agent_id: str
    task_id: str
    kind: str = field(default="wrapup_ended", init=False)


@dataclass(frozen=True, slots=True)
class QueuePosition:
    """Where a waiting task stands: 1 = next; ``ewt_s`` None when nobody serves its queue, or when
    the queue is outside its business hours: then ``opens_at`` (epoch seconds, None if not known)."""

    task_id: str
    queue: str
    position: int
    ewt_s: float | None
    channel: str = ""
    closed: bool = False
    opens_at: float | None = None
    opens_at_iso: str | None = None
    kind: str = field(default="queue_position", init=False)


Effect = (
    Offered | OfferRevoked | Assigned | AgentStateChanged | TaskRequeued | TaskOverflowed
    | EscalationOffered | WrapupEnded | QueuePosition
)

_CLASSES = {
    cls.__dataclass_fields__["kind"].default: cls
    for cls in (
        Offered, OfferRevoked, Assigned, AgentStateChanged, TaskRequeued, TaskOverflowed,
        EscalationOffered, WrapupEnded, QueuePosition,
    )
}


def _meta(raw: Any) -> dict[str, Any]:
    if isinstance(raw, str):
        return orjson.loads(raw) if raw else {}
    return raw if isinstance(raw, dict) else {}


def decode_effects(raw: Any) -> list[Effect]:
    """Build effect objects from a script's JSON list (an empty Lua table arrives as ``{}``)."""
    if not isinstance(raw, list):
        return []
    out: list[Effect] = []
    for item in raw:
        item = dict(item)
        cls = _CLASSES[item.pop("kind")]
        if "meta" in item:
            item["meta"] = _meta(item["meta"])
        if cls is EscalationOffered:
            opts = item.get("options")
            item["options"] = tuple(opts) if isinstance(opts, list) else ()
        for name in ("waited_s", "expires_in_s"):
            if name in item:
                item[name] = float(item[name])
        out.append(cls(**item))
    return out
