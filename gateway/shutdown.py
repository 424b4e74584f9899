"""What the gateway does the moment it is asked to stop, before draining requests."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from gateway import appkeys as K

log = logging.getLogger(__name__)

DISCONNECT_BOUND_S = 2.0


async def disconnect_clients(app: web.Application) -> None:
    """Close every Socket.IO connection at once, so the pages show "reconnecting" instead of a
    "Connected" that can no longer send; they resend on their own once a gateway is back."""
    sio = app[K.SIO]
    sids = list(sio.eio.sockets)
    sockets = len(sids)
    print(f"shutting down: closing {sockets} connection{'' if sockets == 1 else 's'}...", flush=True)
    log.info("shutting down", extra={"connections": sockets})
    if not sockets:
        return
    try:
        # an engine.io close (not a Socket.IO disconnect) so that clients reconnect by themselves;
        # one sid at a time, because a socket may close on its own meanwhile (engine.io's
        # close-everything call fails on an empty set when the last one went in between)
        closes = (sio.eio.disconnect(sid) for sid in sids)
        await asyncio.wait_for(asyncio.gather(*closes, return_exceptions=True), DISCONNECT_BOUND_S)
    except TimeoutError:
        log.warning("some connections did not close in time", extra={"bound_s": DISCONNECT_BOUND_S})
