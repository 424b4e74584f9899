"""The /supervisor namespace: live snapshots of the tenant's agents and queues."""

from __future__ import annotations

import time
from typing import Any

import socketio

from gateway.rooms import session_room, supervisor_room
from gateway.services import Services
from gateway.sockets.authenticate import authenticate


class SupervisorNamespace(socketio.AsyncNamespace):
    def __init__(self, ctx: Services):
        super().__init__("/supervisor")
        self.ctx = ctx

    async def on_connect(self, sid: str, environ: dict, auth: Any = None) -> None:
        who = await authenticate(self.ctx, auth, "supervisor")
        await self.save_session(sid, {"principal": who})
        await self.enter_room(sid, supervisor_room(who.tenant))
        await self.enter_room(sid, session_room(who.tenant, who.session_id))
        self.ctx.live.add(sid, "/supervisor", who)
        self.ctx.metrics.sockets.labels("/supervisor").inc()
        snapshot = await self.ctx.router.snapshot(who.tenant, time.time())
        await self.emit("snapshot", snapshot, to=sid)

    async def on_disconnect(self, sid: str, *args: Any) -> None:
        self.ctx.metrics.sockets.labels("/supervisor").dec()
        self.ctx.live.remove(sid)
