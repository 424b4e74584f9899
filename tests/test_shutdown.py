"""Stopping a gateway closes its sockets even when one of them goes away on its own meanwhile."""

from __future__ import annotations

import asyncio
import time

import socketio
from aiohttp import web

from gateway import appkeys as K
from gateway import shutdown


class ClosingSocket:
    """Stands in for an engine.io socket: remembers that the server closed it."""

    def __init__(self) -> None:
        self.closed = False
        self.reasons: list[str] = []

    async def close(self, reason: str = "", **_: object) -> None:
        self.reasons.append(reason)
        self.closed = True


async def test_a_socket_that_closes_on_its_own_during_shutdown_does_not_break_it(monkeypatch):
    sio = socketio.AsyncServer(async_mode="aiohttp")
    staying, leaving = ClosingSocket(), ClosingSocket()
    sio.eio.sockets = {"staying": staying, "leaving": leaving}
    app = web.Application()
    app[K.SIO] = sio
    app[K.STOPPING] = asyncio.Event()

    real_info = shutdown.log.info

    def the_tab_closes_now(*args, **kwargs):
        # between counting the sockets and closing them, one browser tab goes away by itself
        # (the race CI met: engine.io's close-everything call raised on an empty set)
        sio.eio.sockets.pop("leaving", None)
        real_info(*args, **kwargs)

    monkeypatch.setattr(shutdown.log, "info", the_tab_closes_now)
    await shutdown.disconnect_clients(app)
    assert staying.reasons == [sio.eio.reason.SERVER_DISCONNECT]
    assert leaving.reasons == []
    assert "staying" not in sio.eio.sockets


async def test_the_last_socket_closing_on_its_own_leaves_nothing_to_do(monkeypatch):
    sio = socketio.AsyncServer(async_mode="aiohttp")
    sio.eio.sockets = {"only": ClosingSocket()}
    app = web.Application()
    app[K.SIO] = sio
    app[K.STOPPING] = asyncio.Event()
    monkeypatch.setattr(shutdown.log, "info", lambda *a, **k: sio.eio.sockets.clear())
    await shutdown.disconnect_clients(app)  # used to raise "Set of Tasks/Futures is empty"
    assert sio.eio.sockets == {}


class GoneClient(ClosingSocket):
    """A socket whose client has already gone: its send queue never drains."""

    async def close(self, reason: str = "", wait: bool = True, **_: object) -> None:
        await super().close(reason)
        if wait:
            await asyncio.Event().wait()  # what queue.join() does for a client that reads nothing more


async def test_a_client_that_is_already_gone_does_not_hold_up_the_stop():
    sio = socketio.AsyncServer(async_mode="aiohttp")
    sio.eio.sockets = {"gone": GoneClient(), "here": ClosingSocket()}
    app = web.Application()
    app[K.SIO] = sio
    app[K.STOPPING] = asyncio.Event()
    started = time.monotonic()
    await shutdown.disconnect_clients(app)
    assert time.monotonic() - started < shutdown.DISCONNECT_BOUND_S / 2  # not the bound: no wait at all
    assert sio.eio.sockets == {}


async def test_once_stopping_no_new_socketio_session_is_opened(gateway):
    """A page reconnects at once after the close; its new long-poll must not hold the stop up for a whole
    poll: once stopping, a handshake is refused (503, Retry-After) and other requests still go through."""
    import aiohttp

    async with aiohttp.ClientSession() as http:
        async with http.get(f"{gateway.url}/socket.io/?EIO=4&transport=polling") as r:
            assert r.status == 200
        await shutdown.disconnect_clients(gateway.app)
        async with http.get(f"{gateway.url}/socket.io/?EIO=4&transport=polling") as r:
            assert r.status == 503 and r.headers["Retry-After"] == "1"
        async with http.get(f"{gateway.url}/healthz") as r:
            assert r.status in (200, 503)  # answered, not refused as a socket
            assert "stopping" not in await r.text()
