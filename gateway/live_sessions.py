"""Logins that end while their sockets are open: logout and expiry disconnect every socket of the
session, on every gateway process.

Logout tells the session's room at once (through Redis, so every process's sockets hear
``session_ended``) and disconnects the sockets of this process; each process also sweeps its own
logged-in sockets every second and disconnects those whose session expired (known here, from the
token) or was revoked (gateway/revocations.py: one read per tenant, not per socket), so no socket
outlives its token by more than a sweep. A slower round looks up every socket's session key too
(a slice of them each second, all within ``FULL_ROUND_S``), for a login that vanished any other way.
"""

from __future__ import annotations

import itertools
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from redis.asyncio import Redis

from gateway.auth import Principal
from gateway.keys import TenantKeys
from gateway.revocations import revoked_since
from gateway.rooms import session_room

if TYPE_CHECKING:
    import socketio

log = logging.getLogger(__name__)
SWEEP_S = 1.0
FULL_ROUND_S = 30.0  # every open socket's session key is looked up at least this often
REVOKED_LOOKBACK_S = 30.0  # a sweep reads revocations this far back: late sweeps and clock skew between nodes
LOGGED_IN_NAMESPACES = ("/agent", "/supervisor")


@dataclass
class LiveSessions:
    """This process's logged-in sockets: sid -> (namespace, principal)."""

    sockets: dict[str, tuple[str, Principal]] = field(default_factory=dict)
    _round: int = 0  # where the slow round over the session keys goes on
    _due: float = 0.0  # lookups of the slow round owed so far

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
        ending: dict[str, str] = {sid: "expired" for sid, (_, who) in items if who.expires_at <= now}
        tenants = sorted({who.tenant for _, (_, who) in items})
        revoked = await revoked_since(redis, tenants, now - REVOKED_LOOKBACK_S)
        for sid, (_, who) in items:
            if sid not in ending and (who.tenant, who.session_id) in revoked:
                ending[sid] = "logged_out"
        for sid, alive in await self._round_slice(redis, items):
            if not alive and sid not in ending:
                ending[sid] = "logged_out"
        for sid, reason in ending.items():
            namespace = self.sockets[sid][0] if sid in self.sockets else None
            if namespace is None:
                continue
            await _end_socket(sio, sid, namespace, reason)
            self.remove(sid)
        return len(ending)

    async def _round_slice(self, redis: Redis, items: list[tuple[str, tuple[str, Principal]]]) -> list[tuple[str, bool]]:
        """The next slice of the slow round: does each socket's session key still exist?"""
        self._due += len(items) * SWEEP_S / FULL_ROUND_S  # a few sockets: one lookup every few sweeps
        size = min(len(items), int(self._due))
        self._due -= size
        if size == 0:
            return []
        start = self._round % len(items)
        chosen = list(itertools.islice(itertools.chain(items[start:], items[:start]), size))
        self._round = start + size
        async with redis.pipeline(transaction=False) as pipe:
            for _, (_, who) in chosen:
                pipe.exists(TenantKeys(who.tenant).session(who.session_id))
            alive = await pipe.execute()
        return [(sid, bool(exists)) for (sid, _), exists in zip(chosen, alive, strict=True)]


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
