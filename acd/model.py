"""The engine's input record and state names."""

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
