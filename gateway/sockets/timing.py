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
            self.ctx.metrics.handler_seconds.labels(self.namespace, event).observe(time.perf_counter() - started)

    return timed_handler
