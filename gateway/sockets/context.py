"""What every namespace handler needs, taken from the aiohttp app once at start-up."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import socketio
from redis.asyncio import Redis

from gateway.auth import AuthError, Principal, Sessions
from gateway.config.schema import Config
from gateway.live_sessions import LiveSessions
from gateway.metrics import Metrics
from gateway.routing import Router
from gateway.sockets.typing import TypingThrottle
from gateway.sockets.validation import refuse


@dataclass
class Context:
    config: Config
    redis: Redis
    sio: socketio.AsyncServer
    sessions: Sessions
    router: Router
    metrics: Metrics
    node_id: str
    live: LiveSessions = field(default_factory=LiveSessions)  # this process's logged-in sockets
    typing: TypingThrottle = field(default_factory=lambda: TypingThrottle())


async def authenticate(ctx: Context, auth: Any, role: str) -> Principal:
    """The principal of a connect's ``{token}`` with ``role``, or refuse the connection."""
    token = auth.get("token") if isinstance(auth, dict) else None
    try:
        who = await ctx.sessions.check(token)
    except AuthError as err:
        ctx.metrics.rejected.labels("bad_token").inc()
        raise refuse("unauthorized", str(err)) from err
    if who.role != role:
        raise refuse("forbidden", f"not a {role} login")
    return who
