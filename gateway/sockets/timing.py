"""How long each Socket.IO handler takes, ack included: a histogram by namespace and event."""

from __future__ import annotations

import functools
import time
from typing import Any


def timed(handler):
    """Wrap an ``on_<event>(self, sid, data)`` namespace handler (``self.ctx.metrics``) with a timer."""
    event = handler.__name__.removeprefix("on_")

    @functools.wraps(handler)
    async def timed_handler(self, sid: str, data: Any = None):
        started = time.perf_counter()
        try:
            return await handler(self, sid, data)
        finally:
            # the labelled child, looked up once per namespace object (a labels() call costs twice the observe)
            timers = self.__dict__.setdefault("_handler_timers", {})
            timer = timers.get(event)
            if timer is None:
                timer = timers[event] = self.ctx.metrics.handler_seconds.labels(self.namespace, event)
            timer.observe(time.perf_counter() - started)

    return timed_handler
