"""Who is behind a logged-in socket: the connect's ``{token}`` checked for a role."""

from __future__ import annotations

from typing import Any

from gateway.auth import AuthError, Principal
from gateway.services import Services
from gateway.sockets.acked import refuse


async def authenticate(ctx: Services, auth: Any, role: str) -> Principal:
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
