"""engine.io sessions whose idle websocket keeps one parked read and nothing else.

python-engineio 4.15's AsyncSocket keeps, per websocket: a writer task parked on an asyncio.Queue
(inside ``wait_for``, so a second task), a task per received frame (``wait_for`` again) and a task
sleeping until the next ping; and engine.io's request handlers stay on the stack with their locals.
LeanSocket reads in the request handler's own task, writes each frame straight to the transport in
the order ``send`` is called (no write ever waits: a slow client's backlog sits in the transport's
buffer, as it sat in engine.io's unbounded queue), and leaves pings and pong deadlines to ticks shared
by every socket (one timer handle per quarter second). LeanEngineIO runs each websocket from its own
handler, a new session's as well as a polling session's upgrade. Long-polling stays engine.io's; the
queue is dropped once a websocket carries the packets. Frames go uncompressed (permessage-deflate
off, the Node server's default too): a deflate context costs hundreds of KB per socket.

Relies on python-engineio internals; tests/test_lean_socket.py fails loudly when they change:
``AsyncServer._handle_connect`` (mirrored by LeanEngineIO for websocket sessions) builds
``AsyncSocket(server, sid)``, queues the OPEN packet, triggers ``connect`` (where ``adopt`` swaps the
class), then calls ``schedule_ping()`` and ``handle_get_request(environ)``, which hands an upgrade to
``_upgrade_websocket(environ)``; ``handle_request``'s and ``handle_get_request``'s checks (mirrored by
LeanEngineIO, which upgrades a polling session itself); the socket attributes
``queue``, ``last_ping``, ``connected``, ``upgrading``, ``upgraded``, ``closing``, ``closed``; the
aiohttp driver's ``translate_request`` and ``aiohttp.request``.
"""

from __future__ import annotations

import asyncio
import math
import time
import urllib.parse
import weakref
from typing import Any

import engineio
from aiohttp import WSMessage, WSMsgType, web
from engineio import exceptions, packet
from engineio.async_socket import AsyncSocket

_DATA = (WSMsgType.TEXT, WSMsgType.BINARY)
# what a slow client has not read yet waits in the transport's buffer, as it waited in engine.io's
# unbounded queue before: a send never waits for it (that is what keeps frames of one packet together)
_NEVER_DRAIN = 2**62
TICK_S = 0.25  # pings and pong deadlines keep this precision
SLOW_READER_BYTES = 4 * 2**20  # unread bytes a websocket client may let pile up before it is cut off
_tasks: set[asyncio.Task] = set()  # pings and deadline closes in flight: a reference until each is done


def _spawn(coro: Any) -> None:
    task = asyncio.get_running_loop().create_task(coro)
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


class _Ticks:
    """The sockets of one event loop due at each tick: a timer handle per tick, not one per socket
    (a handle costs about 500 bytes on uvloop), and one task per tick for all its PINGs."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.due: dict[int, list[LeanSocket]] = {}

    def add(self, sock: LeanSocket, delay: float) -> list[LeanSocket]:
        """Have ``sock._tick()`` called ``delay`` seconds from now (up to TICK_S later); returns the
        tick's list, which ``sock._due`` names until then (a socket re-armed meanwhile is skipped)."""
        tick = math.ceil((self.loop.time() + delay) / TICK_S)
        due = self.due.get(tick)
        if due is None:
            due = self.due[tick] = []
            self.loop.call_at(tick * TICK_S, self._fire, tick)
        due.append(sock)
        return due

    def _fire(self, tick: int) -> None:
        due = self.due.pop(tick)
        pings = [sock for sock in due if sock._due is due and sock._tick()]
        if pings:
            _spawn(_ping(pings))


async def _ping(socks: list[LeanSocket]) -> None:
    for sock in socks:
        await sock._put(packet.Packet(packet.PING))  # never suspends on a websocket


_ticks_of: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Ticks] = weakref.WeakKeyDictionary()


def _ticks(loop: asyncio.AbstractEventLoop) -> _Ticks:
    ticks = _ticks_of.get(loop)
    if ticks is None:
        ticks = _ticks_of[loop] = _Ticks(loop)
    return ticks


class LeanSocket(AsyncSocket):
    # engine.io's BaseSocket sets these in __init__
    server: Any
    sid: str
    queue: asyncio.Queue | None  # None once the websocket carries the packets
    last_ping: float | None
    connected: bool
    upgrading: bool
    upgraded: bool
    closing: bool
    closed: bool
    ws: web.WebSocketResponse | None  # set once the websocket carries the packets
    _due: list | None  # the tick it waits for (the next ping, or the pong's deadline)
    _parked: bool  # the read loop waits for a frame (so a close from elsewhere must wake it)
    _environ: dict | None  # the session's environ (the handshake's), until a websocket upgrade
    _transport: Any  # the websocket's connection, for the size of what waits unread

    def __init__(self, server: Any, sid: str):
        super().__init__(server, sid)
        self.ws, self._due, self._parked, self._environ, self._transport = None, None, False, None, None

    @classmethod
    def adopt(cls, sock: AsyncSocket, environ: dict) -> None:
        """Turn a socket engine.io just created (not yet pinged or upgraded) into a lean one;
        ``environ`` is the one its ``connect`` event got."""
        if type(sock) is AsyncSocket and sock.server.async_mode == "aiohttp":
            sock.__class__ = cls
            # every socket gains its attributes in this one order, so all of them keep sharing one
            # key table (an attribute added in another order gives that socket a dict of its own)
            sock.ws, sock._due, sock._parked, sock._environ, sock._transport = None, None, False, environ, None

    # --- pings: on the shared ticks, not a timer per socket ------------------------------------

    def schedule_ping(self) -> None:
        # as engine.io: only a PONG answering the outstanding PING schedules the next one
        if self.last_ping:
            self.last_ping = None
            self._due = _ticks(asyncio.get_running_loop()).add(self, self.server.ping_interval)

    def _disarm(self) -> None:
        self._due = None

    def _tick(self) -> bool:
        """Its tick came (the next ping, or the deadline of the pong): True when a PING is to go."""
        self._due = None
        if self.closing or self.closed:
            return False
        if self.last_ping:  # the PING went unanswered
            self.server.logger.info("%s: Client is gone, closing socket", self.sid)
            # a CLOSE packet first, as engine.io does: a half-open client learns it is disconnected
            _spawn(self.close(wait=False, abort=False, reason=self.server.reason.PING_TIMEOUT))
            return False
        self.last_ping = time.time()
        self._due = _ticks(asyncio.get_running_loop()).add(self, self.server.ping_timeout)
        return True

    # --- sending --------------------------------------------------------------------------------

    async def send(self, pkt: packet.Packet) -> None:
        """Send a packet: straight onto the websocket, else into engine.io's queue (polling, upgrade)."""
        if await self.check_ping_timeout():
            await self._put(pkt)

    async def _put(self, pkt: packet.Packet) -> None:
        ws = self.ws
        if ws is not None:
            await self._write(ws, pkt.encode())
        elif self.queue is not None:
            self.queue.put_nowait(pkt)

    async def _write(self, ws: web.WebSocketResponse, data: str | bytes) -> None:
        # never suspends: aiohttp writes an uncompressed frame before its first await and, with the
        # writer limit out of reach, never awaits a drain after it. So frames leave in call order and
        # a packet's binary attachments follow it with nothing in between, as from engine.io's queue
        try:
            if isinstance(data, str):
                await ws.send_str(data)
            else:
                await ws.send_bytes(data)
        except ConnectionError:  # the connection is going: the read loop sees it end and closes
            return
        transport = self._transport
        if transport is not None and transport.get_write_buffer_size() > SLOW_READER_BYTES:
            # a client that reads nothing while its messages pile up (a frozen tab, a hostile one) is
            # cut off rather than held in memory; it reconnects and catches up by seq like after any drop
            self.server.logger.info("%s: client reads too slowly, closing", self.sid)
            transport.abort()

    # --- polling (engine.io's, with the queue read once: it is dropped after an upgrade) -------

    async def poll(self) -> list[packet.Packet]:
        queue = self.queue
        if queue is None:  # upgraded meanwhile: nothing more goes this way
            return [packet.Packet(packet.NOOP)]
        try:
            first = await asyncio.wait_for(queue.get(), self.server.ping_interval + self.server.ping_timeout)
            queue.task_done()
        except (TimeoutError, asyncio.CancelledError):
            raise exceptions.QueueEmpty() from None
        if first is None:
            return []
        packets = [first]
        while not queue.empty():
            pkt = queue.get_nowait()
            queue.task_done()
            if pkt is None:
                queue.put_nowait(None)
                break
            packets.append(pkt)
        return packets

    # --- closing --------------------------------------------------------------------------------

    async def close(self, wait: bool = True, abort: bool = False, reason: Any = None) -> None:
        if self.closed or self.closing:
            return
        self.closing = True
        self._disarm()
        await self.server._trigger_event(
            "disconnect", self.sid, reason or self.server.reason.SERVER_DISCONNECT, run_async=False
        )
        if not abort:
            # written without send()'s ping check, which would find the overdue pong again and drop it
            await self._put(packet.Packet(packet.CLOSE))
        self.closed = True
        ws = self.ws
        if ws is None:
            if wait and self.queue is not None:
                await self.queue.join()
        elif self._parked:
            # wake the read loop (it then ends the handler); the CLOSE packet is already written and
            # the transport sends what it holds before it closes, so nothing waits for a drain
            await ws.close(drain=False)

    # --- the websocket transport ----------------------------------------------------------------

    async def _upgrade_websocket(self, environ: dict) -> web.WebSocketResponse:
        if self.upgraded:
            raise OSError("Socket has been upgraded already")
        ws = web.WebSocketResponse(
            max_msg_size=self.server.max_http_buffer_size, compress=False, writer_limit=_NEVER_DRAIN
        )
        await ws.prepare(environ["aiohttp.request"])
        self._transport = environ["aiohttp.request"].transport
        try:
            if await self._handshake(ws):
                self._forget_polling(environ)
                # read in the request handler's own task, one coroutine deep: each frame adds to what
                # every idle connection keeps
                while not self.closed:
                    self._parked = True
                    try:
                        pkt = self._decode(await ws.receive())
                    finally:
                        self._parked = False
                    if pkt is None:
                        break
                    try:
                        await self.receive(pkt)
                    except exceptions.UnknownPacketError:
                        pass
                    except exceptions.SocketIsClosedError:
                        break
                    except Exception:  # as engine.io: a handler's error is logged, the connection goes on
                        self.server.logger.exception("Unknown receive error")
                    pkt = None  # not kept while the socket idles
        finally:
            if self.ws is ws:  # the session ends with its websocket (a failed upgrade leaves it polling)
                await self.close(wait=False, abort=True, reason=self.server.reason.TRANSPORT_CLOSE)
                # engine.io forgets a closed socket when this returns, but not when the handler is
                # cancelled (aiohttp's handler_cancellation: the client went away)
                if self.server.sockets.get(self.sid) is self:
                    del self.server.sockets[self.sid]
            await ws.close()
        return ws

    def _forget_polling(self, environ: dict) -> None:
        """Once a websocket carries the session: the session's environ names the request that holds
        the connection, not the long-poll handshake (which it would keep alive with its headers),
        and the upgrade request's own environ, which the handlers' frames hold while the websocket
        lives and no one reads again, is emptied."""
        session, self._environ = self._environ, None
        if session is not None and session is not environ:
            session["aiohttp.request"] = environ["aiohttp.request"]
            environ.clear()

    def _decode(self, msg: WSMessage) -> packet.Packet | None:
        """The engine.io packet in ``msg``; None once the connection ends or sends something undecodable."""
        if msg.type not in _DATA:
            return None
        try:
            return packet.Packet(encoded_packet=msg.data)
        except (ValueError, TypeError, IndexError, KeyError):
            self.server.logger.info("%s: undecodable websocket frame, closing", self.sid)
            return None

    async def _handshake(self, ws: web.WebSocketResponse) -> bool:
        """A new websocket session, or the probe and UPGRADE of a polling one; True when it carries packets."""
        if not self.connected:
            self.connected = True
            self.upgraded = True
        else:
            assert self.queue is not None
            self.upgrading = True  # engine.io holds the packets in the queue meanwhile
            probe = self._decode(await ws.receive())
            if probe is None or probe.packet_type != packet.PING or probe.data != "probe":
                self.upgrading = False
                return False
            await ws.send_str(packet.Packet(packet.PONG, data="probe").encode())
            self.queue.put_nowait(packet.Packet(packet.NOOP))  # answers the poll in flight
            upgrade = self._decode(await ws.receive())
            self.upgrading = False
            if upgrade is None or upgrade.packet_type != packet.UPGRADE:
                return False
            self.upgraded = True
        # from here on packets go straight to the websocket, first what the queue holds (no write
        # suspends, so nothing sent meanwhile can overtake them)
        queue, self.queue, self.ws = self.queue, None, ws
        assert queue is not None
        while not queue.empty():
            pkt = queue.get_nowait()
            queue.task_done()
            if pkt is not None:
                await self._write(ws, pkt.encode())
        return True


class LeanEngineIO(engineio.AsyncServer):
    """engine.io whose websockets run straight from this handler: a new websocket session
    (socket.io-client with ``transports: ["websocket"]``) on a LeanSocket, and the upgrade of a polling
    session that became lean when it connected (adopt). Through engine.io's ``handle_request`` and
    ``handle_get_request`` (and ``_handle_connect``) these frames, with their locals (the parsed query,
    the upgrade's environ, ...), would stay on the stack for as long as the websocket lives. Every
    other request is engine.io's, as are the checks mirrored here (the EIO version, the transport, the
    Origin, the session's state, the Connection header)."""

    # engine.io's BaseServer sets these in __init__
    start_service_task: bool
    service_task_handle: Any
    sockets: dict[str, AsyncSocket]

    async def handle_request(self, request: web.Request) -> Any:
        # parsed as engine.io parses it, and not kept: request.query would keep its parse on the URL,
        # which is the session's own once it names the sid
        query = urllib.parse.parse_qs(request.query_string)
        if not (
            self.async_mode == "aiohttp"
            and request.method == "GET"
            and query.get("transport", [""])[0] == "websocket"
            and "j" not in query
            and "websocket" in self.transports
            and request.headers.get("Upgrade", "").lower() == "websocket"
            and (self.cors_allowed_origins in ("*", []) or "Origin" not in request.headers)
        ):
            return await super().handle_request(request)
        sid, eio4 = query.get("sid", [None])[0], query.get("EIO") == ["4"]
        del query
        if sid is None:
            if not eio4:
                return await super().handle_request(request)
            environ = self._async["translate_request"](request)
            opened = await self._connect_websocket(environ)
            if not isinstance(opened, LeanSocket):
                return opened  # the application refused it
            sock = opened
        else:
            upgrading = self.sockets.get(sid)
            if not (
                type(upgrading) is LeanSocket
                and upgrading.connected
                and not (upgrading.upgraded or upgrading.closed)
                and _asks_upgrade(request)
            ):
                return await super().handle_request(request)  # engine.io's answer (an error, or a poll)
            self.logger.info("%s: Received request to upgrade to websocket", sid)
            sock, environ = upgrading, {"aiohttp.request": request}  # the session keeps the handshake's
        # awaited here, not in a helper: each frame on the stack stays for as long as the websocket lives
        try:
            return await sock._upgrade_websocket(environ)
        finally:
            if sock.closed and self.sockets.get(sock.sid) is sock:
                del self.sockets[sock.sid]

    async def _connect_websocket(self, environ: dict) -> LeanSocket | web.StreamResponse:
        """A new session on a LeanSocket, as engine.io's ``_handle_connect``; or the refusal to send."""
        if self.start_service_task:  # as engine.io: the check for dead sessions starts with the first one
            self.start_service_task = False
            self.service_task_handle = self.start_background_task(self._service_task)
        sid = self.generate_id()
        sock = self.sockets[sid] = LeanSocket(self, sid)
        opened = {
            "sid": sid,
            "upgrades": [],
            "pingTimeout": int(self.ping_timeout * 1000),
            "pingInterval": int(self.ping_interval + self.ping_interval_grace_period) * 1000,
            "maxPayload": self.max_http_buffer_size,
        }
        assert sock.queue is not None
        sock.queue.put_nowait(packet.Packet(packet.OPEN, opened))
        refused = await self._trigger_event("connect", sid, environ, run_async=False)
        if refused is not None and refused is not True:
            del self.sockets[sid]
            self.logger.warning("Application rejected connection")
            return await self._make_response(self._unauthorized(refused or None), environ)
        sock.schedule_ping()
        return sock


def _asks_upgrade(request: web.Request) -> bool:
    """The Connection header names ``upgrade`` (engine.io serves a poll otherwise)."""
    tokens = ",".join(request.headers.getall("Connection", ())).lower().split(",")
    return "upgrade" in (token.strip() for token in tokens)
