"""Business hours as the engine keeps them: one state per queue in ``acd:hours``, flipped by the
``set_hours`` script (the gateway works out the schedule). Read here the way acd/lua/hours.lua
reads it, so positions, statistics and the supervisor view agree with the routing decision.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import orjson
from redis.asyncio import Redis

from . import replies
from .keys import AcdKeys

WHEN_CLOSED = ("wait", "escalate")


@dataclass(frozen=True, slots=True)
class QueueHours:
    """One queue's state: see acd/lua/hours.lua for the fields. No record = open around the clock."""

    open: bool = True
    at: float = 0.0
    next: float | None = None  # the next change (closing while open, opening while closed)
    next_iso: str = ""
    mode: str = "wait"
    closed_s: float = 0.0
    closed_at: float | None = None
    opened_at: float | None = None

    @classmethod
    def parse(cls, raw: str | None) -> QueueHours:
        if not raw:
            return cls()
        h: dict[str, Any] = orjson.loads(raw)
        return cls(
            open=bool(h.get("open", True)), at=float(h.get("at") or 0.0),
            next=_num(h.get("next")), next_iso=str(h.get("next_iso") or ""), mode=str(h.get("mode") or "wait"),
            closed_s=float(h.get("closed_s") or 0.0), closed_at=_num(h.get("closed_at")),
            opened_at=_num(h.get("opened_at")),
        )

    def closed(self, now: float) -> bool:
        """Closed at ``now`` (a boundary already passed counts before the flip arrives, as in Lua)."""
        if self.open:
            return self.next is not None and now >= self.next
        return self.next is None or now < self.next

    def opens_at(self, now: float) -> float | None:
        """When a queue closed at ``now`` opens (None: not known, or never)."""
        return self.next if self.closed(now) and not self.open else None

    def next_open_iso(self, now: float) -> str | None:
        """The opening as ISO text while closed (the operator's zone when the gateway gave it)."""
        opens = self.opens_at(now)
        if opens is None:
            return None
        return self.next_iso or dt.datetime.fromtimestamp(opens, dt.UTC).isoformat()

    def closed_seconds_in(self, start: float, end: float) -> float:
        """Seconds of [start, end] inside the last closed period (the statistics window's closed time;
        one closing per window is what any schedule has)."""
        if self.closed_at is None:
            return 0.0
        if self.open:
            stop = self.opened_at if self.opened_at is not None and self.opened_at >= self.closed_at else end
        else:
            stop = end if self.next is None else min(end, self.next)
        return max(0.0, min(end, stop) - max(start, self.closed_at))


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


async def read_all(redis: Redis, k: AcdKeys) -> dict[str, QueueHours]:
    """Every queue's state that has one (a queue missing here is open)."""
    raw = replies.fields(await redis.hgetall(k.hours()))
    return {q: QueueHours.parse(v) for q, v in raw.items()}
