"""Socket.IO fan-out over Redis pub/sub, skipped while this is the only gateway process.

Every gateway process renews a lease in ``omnirelay:nodes`` and reads who else is alive. While
nobody else is, an emit is delivered to this process's sockets directly: no publish, no echo to
decode. The view of peers is trusted for a short time only; when it is stale (the refresh loop
stalled, Redis is slow), emits go through Redis pub/sub as usual, so a new peer never misses one.
A starting process that finds peers waits two refresh periods before it serves anyone, so they
have seen it by then; a process only trusts that it is alone after two looks in a row agree.

It also keeps one Redis client per manager (python-socketio makes a new one on every reconnect)
and closes it, with the listener task, when the gateway stops. That client comes from
gateway/redis_client.py, so the fan-out follows REDIS_URL's forms: behind Sentinel, a re-subscribe
after a failover reaches the new primary; on a Cluster it is classic pub/sub, which every node
relays to every other (docs/ha.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

import socketio
from socketio.async_manager import AsyncManager

from gateway.keys import GATEWAY_NODES
from gateway.redis_client import connect, is_cluster

log = logging.getLogger(__name__)

REFRESH_S = 0.5  # how often a node renews its lease and looks for peers
LEASE_S = 5.0  # a node not renewed for this long counts as gone
TRUST_S = 1.5  # a peer view older than this is not trusted: publish
RESUBSCRIBE_S = (0.2, 2.0)  # first and longest pause before subscribing again after a Redis error


class RedisFanout(socketio.AsyncRedisManager):
    redis: Any  # a redis.asyncio client from gateway/redis_client.py (None until first used)
    peers_seen_at: float = 0.0  # monotonic time of the last successful look
    alone: bool = False
    _alone_before: bool = False

    async def emit(self, event, data, namespace=None, room=None, skip_sid=None, callback=None, to=None, **kwargs):
        if callback is None and not kwargs.get("ignore_queue") and self.alone and self._view_fresh():
            return await AsyncManager.emit(self, event, data, namespace=namespace or "/", room=to or room, skip_sid=skip_sid)
        return await super().emit(event, data, namespace=namespace, room=room, skip_sid=skip_sid,
                                  callback=callback, to=to, **kwargs)

    def _view_fresh(self) -> bool:
        return time.monotonic() - self.peers_seen_at < TRUST_S

    async def refresh_peers(self, redis, node_id: str) -> bool:
        """Renew this node's lease and note whether any other node is alive; True if one is."""
        now = time.time()
        async with redis.pipeline(transaction=True) as pipe:
            pipe.zadd(GATEWAY_NODES, {node_id: now + LEASE_S})
            pipe.zremrangebyscore(GATEWAY_NODES, "-inf", now)
            pipe.zrange(GATEWAY_NODES, 0, -1)
            _, _, alive = await pipe.execute()
        alone_now = all(n == node_id for n in alive)
        self.alone = alone_now and self._alone_before  # two agreeing looks: nobody started in between
        self._alone_before = alone_now
        self.peers_seen_at = time.monotonic()
        return not alone_now

    async def leave(self, redis, node_id: str) -> None:
        with contextlib.suppress(Exception):
            await redis.zrem(GATEWAY_NODES, node_id)

    async def _redis_listen_with_retries(self):
        """python-socketio's listener, with short pauses: its own back off up to 60 s, and what is
        published while a process is not subscribed never reaches its sockets. A Redis restart or
        a Sentinel failover takes a few seconds, so this one is back within ~2 s of Redis."""
        pause, subscribed = RESUBSCRIBE_S[0], False
        while True:
            try:
                if not subscribed:
                    self._redis_connect()
                    if is_cluster(self.redis):  # its pub/sub needs the slot map before the first command
                        await self.redis.initialize()
                    await self.pubsub.subscribe(self.channel)
                    if pause > RESUBSCRIBE_S[0]:
                        log.warning("socket.io fan-out subscribed again")
                    subscribed, pause = True, RESUBSCRIBE_S[0]
                async for message in self.pubsub.listen():
                    yield message
            except Exception as exc:
                log.warning("socket.io fan-out lost Redis; subscribing again", extra={"pause_s": pause, "error": str(exc)})
                subscribed = False
                await asyncio.sleep(pause)
                pause = min(pause * 2, RESUBSCRIBE_S[1])

    def _redis_connect(self) -> None:
        redis = getattr(self, "redis", None)
        if redis is None:
            redis = self.redis = connect(self.redis_url, max_connections=64, decode_responses=False)
        self.pubsub = redis.pubsub(ignore_subscribe_messages=True)
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
