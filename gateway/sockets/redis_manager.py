"""Socket.IO fan-out over Redis pub/sub, skipped while this is the only gateway process.

Every gateway process renews a lease in ``omnirelay:nodes`` and reads who else is alive. While
nobody else is, an emit is delivered to this process's sockets directly: no publish, no echo to
decode. The view of peers is trusted for a short time only; when it is stale (the refresh loop
stalled, Redis is slow), emits go through Redis pub/sub as usual, so a new peer never misses one.
A starting process that finds peers waits two refresh periods before it serves anyone, so they
have seen it by then; a process only trusts that it is alone after two looks in a row agree, and
not within a lease of Redis failing it: across a restart or a Sentinel failover the peers' leases
may have lapsed (or been lost with the old primary) while the peers themselves go on.

What is published while a process is not subscribed never reaches its sockets: once it is
subscribed again, ``on_resubscribed`` runs (gateway/sockets/reannounce.py tells its sockets to
catch up).

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
from collections.abc import Awaitable, Callable
from typing import Any

import socketio
from engineio import packet as eio_packet
from socketio import packet
from socketio.async_manager import AsyncManager

from gateway.keys import GATEWAY_NODES
from gateway.redis_client import close, connect, is_cluster

log = logging.getLogger(__name__)

REFRESH_S = 0.5  # how often a node renews its lease and looks for peers
LEASE_S = 5.0  # a node not renewed for this long counts as gone
TRUST_S = 1.5  # a peer view older than this is not trusted: publish
RESUBSCRIBE_S = (0.2, 2.0)  # first and longest pause before subscribing again after a Redis error


class DirectEmit(AsyncManager):
    """python-socketio's local delivery without a task per recipient: it starts one task for each socket
    an emit reaches and waits for them all, though a send here never waits (the lean socket writes its
    frame before returning, a long-polling one queues it: gateway/sockets/lean_socket.py). Sent one
    after the other, in the emit's own task; an emit with a callback goes the stock way."""

    async def emit(self, event, data, namespace, room=None, skip_sid=None, callback=None, to=None, **kwargs):
        if callback is not None:
            return await super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback,
                                      to=to, **kwargs)
        if namespace not in self.rooms:
            return None
        args = list(data) if isinstance(data, tuple) else [] if data is None else [data]
        skip = skip_sid if isinstance(skip_sid, list) else [skip_sid]
        encoded = None
        for sid, eio_sid in self.get_participants(namespace, to or room):  # (a copy: sockets may go meanwhile)
            if sid in skip:
                continue
            if encoded is None:  # encoded once, for the first recipient (none: nothing to encode)
                pkt = self.server.packet_class(packet.EVENT, namespace=namespace, data=[event, *args])
                parts = pkt.encode()
                encoded = [eio_packet.Packet(eio_packet.MESSAGE, p) for p in (parts if isinstance(parts, list) else [parts])]
            for eio_pkt in encoded:
                try:
                    await self.server._send_eio_packet(eio_sid, eio_pkt)
                except Exception:  # one broken socket never keeps the others from their copy
                    log.warning("could not send to a socket", extra={"sid": sid, "event": event}, exc_info=True)
        return None


class RedisFanout(socketio.AsyncRedisManager, DirectEmit):
    redis: Any  # a redis.asyncio client from gateway/redis_client.py (None until first used)
    peers_seen_at: float = 0.0  # monotonic time of the last successful look
    alone: bool = False
    _alone_before: bool = False
    _unsure_until: float = 0.0  # monotonic: "alone" is not trusted before this (Redis failed us lately)
    on_resubscribed: Callable[[], Awaitable[Any]] | None = None  # run once the fan-out listens again

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # namespace -> sid -> the rooms the socket is in (None: "connected"). python-socketio finds a
        # leaving socket's rooms by scanning every room of the namespace: 2 ms per disconnect with
        # 10,000 widgets open, and minutes of CPU when they all drop at once.
        self.rooms_of: dict[str, dict[str, list]] = {}
        self._catching_up: set[asyncio.Future] = set()

    def basic_enter_room(self, sid, namespace, room, eio_sid=None):
        super().basic_enter_room(sid, namespace, room, eio_sid=eio_sid)
        rooms = self.rooms_of.setdefault(namespace, {}).setdefault(sid, [])
        if room not in rooms:
            rooms.append(room)

    def basic_leave_room(self, sid, namespace, room):
        super().basic_leave_room(sid, namespace, room)
        rooms = self.rooms_of.get(namespace, {}).get(sid)
        if rooms is not None and room in rooms:
            rooms.remove(room)

    def basic_disconnect(self, sid, namespace, **kwargs):
        """python-socketio's, with the socket's rooms from the index instead of a scan of all of them."""
        if namespace not in self.rooms:
            return
        for room in self.rooms_of.get(namespace, {}).pop(sid, ()):
            super().basic_leave_room(sid, namespace, room)
        self.callbacks.pop(sid, None)
        for pending in (self.pending_connect, self.pending_disconnect):
            if sid in pending.get(namespace, ()):
                pending[namespace].remove(sid)
                if not pending[namespace]:
                    del pending[namespace]

    def get_rooms(self, sid, namespace):
        return [room for room in self.rooms_of.get(namespace, {}).get(sid, ()) if room is not None]

    def forget_namespace(self, namespace: str) -> None:
        """Every socket of ``namespace`` gone at once, without a disconnect each (a stopping process)."""
        for table in (self.rooms, self.pending_connect, self.pending_disconnect, self.rooms_of):
            table.pop(namespace, None)

    async def emit(self, event, data, namespace=None, room=None, skip_sid=None, callback=None, to=None, **kwargs):
        if callback is None and not kwargs.get("ignore_queue") and self.alone and self._view_fresh():
            return await DirectEmit.emit(self, event, data, namespace=namespace or "/", room=to or room, skip_sid=skip_sid)
        return await super().emit(event, data, namespace=namespace, room=room, skip_sid=skip_sid,
                                  callback=callback, to=to, **kwargs)

    def _view_fresh(self) -> bool:
        return time.monotonic() - self.peers_seen_at < TRUST_S

    async def refresh_peers(self, redis, node_id: str) -> bool:
        """Renew this node's lease and note whether any other node is alive; True if one is."""
        now = time.time()
        try:
            async with redis.pipeline(transaction=True) as pipe:
                pipe.zadd(GATEWAY_NODES, {node_id: now + LEASE_S})
                pipe.zremrangebyscore(GATEWAY_NODES, "-inf", now)
                pipe.zrange(GATEWAY_NODES, 0, -1)
                _, _, alive = await pipe.execute()
        except Exception:
            self._redis_failed()
            raise
        alone_now = all(n == node_id for n in alive)
        # two agreeing looks (nobody started in between), and a whole lease since Redis last failed us
        # (every peer alive then has renewed since)
        self.alone = alone_now and self._alone_before and time.monotonic() >= self._unsure_until
        self._alone_before = alone_now
        self.peers_seen_at = time.monotonic()
        return not alone_now

    def _redis_failed(self) -> None:
        """Peers may have missed renewals too, and their leases lapsed while they live: publish until a
        whole lease has passed with Redis answering."""
        self.alone = self._alone_before = False
        self._unsure_until = time.monotonic() + LEASE_S

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
                        self._tell_sockets_to_catch_up()
                    subscribed, pause = True, RESUBSCRIBE_S[0]
                async for message in self.pubsub.listen():
                    yield message
            except Exception as exc:
                log.warning("socket.io fan-out lost Redis; subscribing again", extra={"pause_s": pause, "error": str(exc)})
                self._redis_failed()
                subscribed = False
                await asyncio.sleep(pause)
                pause = min(pause * 2, RESUBSCRIBE_S[1])

    def _tell_sockets_to_catch_up(self) -> None:
        """Start ``on_resubscribed`` (in its own task: the listener goes on meanwhile)."""
        if self.on_resubscribed is None:
            return
        task = asyncio.ensure_future(self.on_resubscribed())
        self._catching_up.add(task)
        task.add_done_callback(self._catching_up.discard)

    def _redis_connect(self) -> None:
        redis = getattr(self, "redis", None)
        if redis is None:
            redis = self.redis = connect(self.redis_url, max_connections=64, decode_responses=False)
        self.pubsub = redis.pubsub(ignore_subscribe_messages=True)
        self.connected = True

    async def close(self) -> None:
        """Stop listening and close the Redis connections."""
        for task in list(self._catching_up):
            task.cancel()
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
                await close(redis)
            self.redis = None
        self.connected = False
