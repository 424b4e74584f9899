"""The engine's input record, its read views and state names.

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
from typing import Any

AGENT_STATES = ("available", "away", "offline")
TASK_STATES = ("queued", "offered", "assigned", "wrapup", "closed")


@dataclass
class Task:
    """A conversation that needs an agent. ``id`` is the conversation id."""

    id: str
    queue: str
    channel: str
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
