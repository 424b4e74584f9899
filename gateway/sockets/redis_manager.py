"""Socket.IO fan-out over Redis pub/sub, with a clean shutdown.

python-socketio's AsyncRedisManager makes a new Redis client on every (re)connect and never
closes them; this subclass keeps one client per manager and closes it, with the listener task,
when the gateway stops.
"""

from __future__ import annotations

import asyncio
import contextlib

import socketio


class RedisFanout(socketio.AsyncRedisManager):
    def _redis_connect(self) -> None:
        if getattr(self, "redis", None) is None:
            super()._redis_connect()
            return
        self.pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        self.connected = True

    async def close(self) -> None:
        """Stop listening and close the Redis connections."""
        thread = getattr(self, "thread", None)
        if isinstance(thread, asyncio.Task):
            thread.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await thread
        pubsub = getattr(self, "pubsub", None)
        if pubsub is not None:
            with contextlib.suppress(Exception):
                await pubsub.aclose()
        redis = getattr(self, "redis", None)
        if redis is not None:
            with contextlib.suppress(Exception):
                await redis.aclose()
            self.redis = None
        self.connected = False
