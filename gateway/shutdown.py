"""What the gateway does the moment it is asked to stop, before draining requests."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from gateway import appkeys as K

log = logging.getLogger(__name__)

DISCONNECT_BOUND_S = 2.0
SOCKETIO_PATH = "/socket.io"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
def socketio_entry(request: web.Request, handler: Handler) -> Awaitable[web.StreamResponse]:
    """The first middleware, for Socket.IO requests:

    - once stopping, no new Socket.IO session: the pages reconnect at once after the close below, and
      on a keep-alive connection their new long-poll would hold the drain up for a whole poll (25 s);
    - a websocket upgrade goes straight to engine.io, past the other middlewares: it has no body (the
      body deadline), no API key (the audit), no JSON envelope and stores nothing (replicated
      answers), and each middleware's frame would stay alive as long as the connection (~2 KB of
      every idle widget's memory, bench/connections.py).

    A plain function returning the handler's awaitable, so this one keeps no frame either."""
    if not request.path.startswith(SOCKETIO_PATH):
        return handler(request)
    if request.app[K.STOPPING].is_set():
        return _stopping()
    if request.method == "GET" and request.headers.get("Upgrade", "").lower() == "websocket" and not request.body_exists:
        return request.match_info.handler(request)
    return handler(request)


async def _stopping() -> web.StreamResponse:
    raise web.HTTPServiceUnavailable(text="the gateway is stopping; reconnect shortly",
                                     headers={"Retry-After": "1", "Connection": "close"})


async def disconnect_clients(app: web.Application) -> None:
    """Close every Socket.IO connection at once, so the pages show "reconnecting" instead of a
    "Connected" that can no longer send; they resend on their own once a gateway is back."""
    app[K.STOPPING].set()
    sio = app[K.SIO]
    sids = list(sio.eio.sockets)
    sockets = len(sids)
    print(f"shutting down: closing {sockets} connection{'' if sockets == 1 else 's'}...", flush=True)
    log.info("shutting down", extra={"connections": sockets})
    if not sockets:
        return
    try:
        # an engine.io close (not a Socket.IO disconnect) so that clients reconnect by themselves;
        # the sockets counted above, as many as are still there (engine.io's close-everything call
        # fails on an empty set when the last one went in between), each without waiting for its
        # send queue to drain: a client that is already gone never drains it, and the close packet
        # is on its way either way (the connection itself closes with the server)
        open_sockets = [s for s in (sio.eio.sockets.get(sid) for sid in sids) if s is not None and not s.closed]
        closes = (s.close(wait=False, reason=sio.eio.reason.SERVER_DISCONNECT) for s in open_sockets)
        try:
            await asyncio.wait_for(asyncio.gather(*closes, return_exceptions=True), DISCONNECT_BOUND_S)
        finally:
            for sid in sids:
                sio.eio.sockets.pop(sid, None)
    except TimeoutError:
        log.warning("some connections did not close in time", extra={"bound_s": DISCONNECT_BOUND_S})
