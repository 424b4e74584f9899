"""Typing indicators, throttled: a burst of ``typing`` events from one socket is forwarded as
changes (on/off) plus at most one repeat of "on" per interval."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

REPEAT_S = 2.0  # a held "on" is forwarded again at most this often (front ends time it out at 8 s)


@dataclass
class TypingThrottle:
    last: dict[str, tuple[bool, float]] = field(default_factory=dict)  # sid -> (on, when forwarded)

    def should_forward(self, sid: str, on: bool, now: float | None = None) -> bool:
        """True when this event changes what the other side sees (or refreshes a held "on")."""
        now = time.monotonic() if now is None else now
        prev = self.last.get(sid)
        if prev is not None and prev[0] == on and (not on or now - prev[1] < REPEAT_S):
            return False
        self.last[sid] = (on, now)
        return True

    def forget(self, sid: str) -> None:
        self.last.pop(sid, None)
