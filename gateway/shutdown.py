"""What the gateway does the moment it is asked to stop, before draining requests."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from gateway import appkeys as K

log = logging.getLogger(__name__)

DISCONNECT_BOUND_S = 2.0
SOCKETIO_PATH = "/socket.io"


@web.middleware
async def refuse_sockets_while_stopping(request: web.Request, handler):
    """Once stopping, no new Socket.IO session: the pages reconnect at once after the close below, and
    on a keep-alive connection their new long-poll would hold the drain up for a whole poll (25 s)."""
    if request.app[K.STOPPING].is_set() and request.path.startswith(SOCKETIO_PATH):
        raise web.HTTPServiceUnavailable(text="the gateway is stopping; reconnect shortly",
                                         headers={"Retry-After": "1", "Connection": "close"})
    return await handler(request)


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
