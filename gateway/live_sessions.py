"""Logins that end while their sockets are open: logout and expiry disconnect every socket of the
session, on every gateway process.

Logout tells the session's room at once (through Redis, so every process's sockets hear
``session_ended``) and disconnects the sockets of this process; each process also sweeps its own
logged-in sockets every second and disconnects those whose session was revoked or has expired,
so no socket outlives its token by more than a sweep.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from redis.asyncio import Redis

from gateway.auth import Principal
from gateway.keys import TenantKeys
from gateway.rooms import session_room

if TYPE_CHECKING:
    import socketio

log = logging.getLogger(__name__)
SWEEP_S = 1.0
LOGGED_IN_NAMESPACES = ("/agent", "/supervisor")


@dataclass
class LiveSessions:
    """This process's logged-in sockets: sid -> (namespace, principal)."""

    sockets: dict[str, tuple[str, Principal]] = field(default_factory=dict)

    def add(self, sid: str, namespace: str, who: Principal) -> None:
        self.sockets[sid] = (namespace, who)

    def remove(self, sid: str) -> None:
        self.sockets.pop(sid, None)

    async def sweep(self, redis: Redis, sio: socketio.AsyncServer) -> int:
        """Disconnect local sockets whose session expired or was revoked; returns how many."""
        items = list(self.sockets.items())
        if not items:
            return 0
        now = time.time()
        async with redis.pipeline(transaction=False) as pipe:
            for _, (_, who) in items:
                pipe.exists(TenantKeys(who.tenant).session(who.session_id))
            alive = await pipe.execute()
        ended = 0
        for (sid, (namespace, who)), exists in zip(items, alive, strict=True):
            if exists and who.expires_at > now:
                continue
            reason = "expired" if who.expires_at <= now else "logged_out"
            await _end_socket(sio, sid, namespace, reason)
            self.remove(sid)
            ended += 1
        return ended


async def _end_socket(sio: socketio.AsyncServer, sid: str, namespace: str, reason: str) -> None:
    await sio.emit("session_ended", {"reason": reason}, to=sid, namespace=namespace)
    await sio.disconnect(sid, namespace=namespace)


async def end_session(sio: socketio.AsyncServer, live: LiveSessions, who: Principal, reason: str = "logged_out") -> None:
    """Tell every socket of this login (any process) that it ended, and disconnect this process's."""
    room = session_room(who.tenant, who.session_id)
    for namespace in LOGGED_IN_NAMESPACES:
        await sio.emit("session_ended", {"reason": reason}, room=room, namespace=namespace)
    for sid, (namespace, owner) in list(live.sockets.items()):
        if owner.session_id == who.session_id and owner.tenant == who.tenant:
            await sio.disconnect(sid, namespace=namespace)
            live.remove(sid)
