"""What every namespace handler needs, taken from the aiohttp app once at start-up."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import socketio
from redis.asyncio import Redis

from gateway.auth import AuthError, Principal, Sessions
from gateway.config.schema import Config
from gateway.metrics import Metrics
from gateway.routing import Router


@dataclass
class Context:
    config: Config
    redis: Redis
    sio: socketio.AsyncServer
    sessions: Sessions
    router: Router
    metrics: Metrics
    node_id: str


async def authenticate(ctx: Context, auth: Any, role: str) -> Principal:
    """The principal of a connect's ``{token}`` with ``role``, or refuse the connection."""
    token = auth.get("token") if isinstance(auth, dict) else None
    try:
        who = await ctx.sessions.check(token)
    except AuthError as err:
        ctx.metrics.rejected.labels("bad_token").inc()
        raise socketio.exceptions.ConnectionRefusedError({"code": "unauthorized", "message": str(err)}) from err
    if who.role != role:
        raise socketio.exceptions.ConnectionRefusedError({"code": "forbidden", "message": f"not a {role} login"})
    return who
