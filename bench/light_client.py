"""A light widget connection for bench/connections.py: engine.io v4 and Socket.IO v5 spoken directly
over aiohttp, one task per idle connection, where python-socketio's client keeps several tasks,
queues and events per connection and so takes much of the CPU a benchmark means to give the server.

Only what an idle widget does, the way socket.io-client 4.8 does it: the engine.io handshake within
the connect timeout (over a websocket, or over long-polling followed by the websocket probe and
upgrade), the namespace CONNECT carrying the auth, `session` events, answering the server's pings,
and noticing when the server closes. With transports ``["websocket", "polling"]`` a handshake that
fails over the websocket is tried again over long-polling (socket.io-client's `tryAllTransports`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

# engine.io v4 packet types, then Socket.IO v5 packet types (inside an engine.io MESSAGE)
OPEN, CLOSE, PING, PONG, MESSAGE, UPGRADE, NOOP = "0123456"
CONNECT, DISCONNECT, EVENT, CONNECT_ERROR = "0", "1", "2", "4"
SEPARATOR = "\x1e"  # between the packets of one long-polling payload


class ConnectFailed(Exception):
    """The attempt ended before the namespace said yes (no handshake, a timeout, a lost connection)."""


class Refused(ConnectFailed):
    """The namespace answered CONNECT_ERROR: the server refused this auth."""


class LightSocket:
    """One engine.io session joined to one namespace. ``on_event(name, data)`` gets the server's events;
    ``on_close(reason)`` is called once when a joined session ends, with socket.io-client's reason
    ("transport close", "io server disconnect", "ping timeout", "transport error")."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        url: str,
        namespace: str,
        on_event: Callable[[str, Any], None],
        on_close: Callable[[str], Awaitable[None]],
    ) -> None:
        self.http, self.namespace = http, namespace
        self.base = f"{url}/socket.io/?EIO=4"
        self.on_event, self.on_close = on_event, on_close
        self.sid = ""
        self.deadline_s = 25.0  # a silent server is gone after ping interval + ping timeout
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.upgraded = False
        self.joined: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.tasks: set[asyncio.Task] = set()
        self.ended = False
        self.paused = False  # long-polling stops once the websocket probe answered
        self.on_upgrade: Callable[[], None] | None = None  # called once a websocket carries the session
        self.poller: asyncio.Task | None = None

    # --- connecting -----------------------------------------------------------------------------

    async def connect(self, auth: dict, transports: list[str], timeout_s: float = 10.0) -> None:
        """The handshake within ``timeout_s`` (socket.io-client's `timeout`), then the namespace's answer."""
        try:
            async with asyncio.timeout(timeout_s):
                if transports[0] == "polling":
                    await self._open_polling(upgrade="websocket" in transports)
                elif "polling" not in transports:
                    await self._open_websocket()
                else:
                    try:
                        await self._open_websocket()
                    except (aiohttp.ClientError, OSError, ConnectFailed):
                        await self.close()
                        self.ended, self.ws = False, None
                        await self._open_polling(upgrade=False)
            await self._send(MESSAGE + CONNECT + self.namespace + "," + json.dumps(auth))
            await self.joined
        except TimeoutError as err:
            await self.close()
            raise ConnectFailed("timeout") from err
        except aiohttp.WSServerHandshakeError as err:
            await self.close()
            raise ConnectFailed(f"HTTP {err.status}") from err
        except (aiohttp.ClientError, OSError) as err:
            await self.close()
            raise ConnectFailed(type(err).__name__) from err
        except BaseException:
            await self.close()
            raise

    def _opened(self, packet: str) -> None:
        if not packet.startswith(OPEN):
            raise ConnectFailed(f"no open packet: {packet[:40]!r}")
        info = json.loads(packet[1:])
        self.sid = info["sid"]
        self.deadline_s = (info["pingInterval"] + info["pingTimeout"]) / 1000
        self.upgrades = info.get("upgrades", [])

    async def _open_websocket(self) -> None:
        self.ws = await self.http.ws_connect(
            self.base.replace("http", "ws", 1) + "&transport=websocket", autoping=False
        )
        msg = await self.ws.receive()
        if msg.type != aiohttp.WSMsgType.TEXT:
            raise ConnectFailed("websocket closed before the open packet")
        self._opened(msg.data)
        self.upgraded = True
        self._start(self._read_websocket())

    async def _open_polling(self, upgrade: bool) -> None:
        async with self.http.get(self.base + "&transport=polling") as r:
            if r.status != 200:
                raise ConnectFailed(f"HTTP {r.status}")
            first, *rest = (await r.text()).split(SEPARATOR)
        self._opened(first)
        self.poll_url = f"{self.base}&transport=polling&sid={self.sid}"
        for packet in rest:
            await self._packet(packet)
        self.poller = self._start(self._poll())
        if upgrade and "websocket" in self.upgrades:
            self._start(self._upgrade())

    async def _upgrade(self) -> None:
        """socket.io-client's probe: ping "probe" over a websocket, pause polling, then UPGRADE."""
        url = self.base.replace("http", "ws", 1) + f"&transport=websocket&sid={self.sid}"
        try:
            ws = await self.http.ws_connect(url, autoping=False)
            await ws.send_str(PING + "probe")
            msg = await ws.receive(timeout=self.deadline_s)
            if msg.type != aiohttp.WSMsgType.TEXT or msg.data != PONG + "probe":
                await ws.close()
                raise ConnectFailed("probe")
        except (aiohttp.ClientError, OSError, ConnectFailed):  # (TimeoutError is an OSError)
            # stays on long-polling, as socket.io-client does when the probe fails; the server may
            # have ended the poll in flight for an answer that was lost
            if self.poller is not None and self.poller.done() and not self.ended:
                self.poller = self._start(self._poll())
            return
        self.paused = True
        if self.poller is not None:
            await self.poller  # the poll in flight ends with the server's NOOP
        await ws.send_str(UPGRADE)
        self.ws, self.upgraded = ws, True
        self._start(self._read_websocket())
        if self.on_upgrade is not None:
            self.on_upgrade()

    def _start(self, coro: Awaitable[None]) -> asyncio.Task:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    # --- packets --------------------------------------------------------------------------------

    async def _send(self, packet: str) -> None:
        if self.upgraded and self.ws is not None:
            await self.ws.send_str(packet)
            return
        async with self.http.post(
            self.poll_url, data=packet.encode(), headers={"Content-Type": "text/plain"}
        ) as r:
            if r.status != 200:
                raise ConnectFailed(f"HTTP {r.status} on a long-polling POST")

    async def _packet(self, packet: str) -> None:
        kind = packet[:1]
        if kind == PING:
            await self._send(PONG)
        elif kind == CLOSE:
            await self._end("transport close")
        elif kind == MESSAGE:
            await self._message(packet[1:])

    async def _message(self, body: str) -> None:
        kind, rest = body[:1], body[1:]
        if not rest.startswith(self.namespace):
            return
        payload = rest[len(self.namespace) :].lstrip(",")
        if kind == CONNECT and not self.joined.done():
            self.joined.set_result(None)
        elif kind == CONNECT_ERROR and not self.joined.done():
            self.joined.set_exception(Refused(payload[:80]))
        elif kind == EVENT:
            # an ack id may precede the array; the widget's server events carry none
            name, *args = json.loads(payload[payload.index("[") :])
            self.on_event(name, args[0] if args else None)
        elif kind == DISCONNECT:
            await self._end("io server disconnect")

    async def _read_websocket(self) -> None:
        assert self.ws is not None
        reason = "transport close"
        try:
            while True:
                msg = await self.ws.receive(timeout=self.deadline_s)
                if msg.type != aiohttp.WSMsgType.TEXT:
                    break
                await self._packet(msg.data)
                if self.ended:
                    return
        except TimeoutError:
            reason = "ping timeout"
        except (aiohttp.ClientError, OSError):
            reason = "transport error"
        await self._end(reason)

    async def _poll(self) -> None:
        reason = "transport close"
        try:
            while not self.paused and not self.ended:
                async with self.http.get(
                    self.poll_url, timeout=aiohttp.ClientTimeout(total=self.deadline_s)
                ) as r:
                    if r.status != 200:
                        break
                    packets = (await r.text()).split(SEPARATOR)
                for packet in packets:
                    await self._packet(packet)
                if NOOP in packets:
                    return  # the server ends a poll this way once the websocket probe answered
            if not self.ended and not self.paused:
                await self._end(reason)
        except TimeoutError:
            await self._end("ping timeout")
        except (aiohttp.ClientError, OSError, ConnectFailed):
            await self._end("transport error")

    async def _end(self, reason: str) -> None:
        if self.ended:
            return
        self.ended = True
        if not self.joined.done():
            self.joined.set_exception(ConnectFailed(reason))
            self.joined.exception()  # retrieved: connect() may already have given up on it
        else:
            await self.on_close(reason)
        if self.ws is not None:
            await self.ws.close()

    async def close(self) -> None:
        """Close without telling anyone (the widget going away, or a failed attempt's leftovers)."""
        self.ended = True
        current = asyncio.current_task()
        for task in list(self.tasks):
            if task is not current:
                task.cancel()
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()
