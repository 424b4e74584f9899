"""The Socket.IO server of the gateway: the stock one, strict at the protocol boundary.

- Clients may only send the events a namespace handles (its ``on_*`` methods and ``client_events``,
  minus the lifecycle ones): a client-sent ``disconnect`` must not run the server's disconnect handler.
- A frame that does not decode is dropped, counted and logged at debug level (rate-limited), and
  the connection closed: a broken or hostile client must not write a traceback per 20-byte frame.
- An engine.io session that joins no namespace within ``limits.namespace_connect_timeout_s`` is
  closed (python-socketio 5.18 has no such option; the Node server calls it ``connectTimeout``).
- Open connections are counted per client address, for the admission check of the next handshake.
- Each engine.io socket becomes a LeanSocket (gateway/sockets/lean_socket.py): no tasks per idle websocket.
  Once a namespace joined, the connection's environ keeps only what connect handlers read (ENVIRON_KEPT).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

import socketio
from socketio import packet

from gateway.config.schema import Config
from gateway.metrics import Metrics
from gateway.sockets.admission import Admission, ConnectionBudget, GatewayEngineIO, request_address
from gateway.sockets.lean_socket import LeanEngineIO, LeanSocket

log = logging.getLogger(__name__)

LIFECYCLE = frozenset({"connect", "disconnect", "connect_error"})
MAX_ATTACHMENTS = 4  # the gateway's clients send no binary; a few attachments stay allowed, never millions
_DECODE_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError)


# what a namespace's connect handler may read from the environ after the first namespace joined;
# the request (and so every header) stays at "aiohttp.request"
ENVIRON_KEPT = (
    "REQUEST_METHOD",
    "PATH_INFO",
    "QUERY_STRING",
    "REMOTE_ADDR",
    "HTTP_HOST",
    "HTTP_ORIGIN",
    "aiohttp.request",
)


def slim_environ(environ: dict) -> None:
    """Keep only ENVIRON_KEPT, in place: engine.io's handler frames hold the same dict for a websocket's life."""
    if len(environ) > len(ENVIRON_KEPT):
        kept = {key: environ[key] for key in ENVIRON_KEPT if key in environ}
        environ.clear()  # frees the table; deleting keys one by one would keep its size
        environ.update(kept)


class ThrottledLog:
    """At most one debug record per ``every_s`` seconds, telling how many were left out in between."""

    def __init__(self, every_s: float = 10.0):
        self.every_s = every_s
        self.last = float("-inf")
        self.suppressed = 0

    def debug(self, message: str, **extra: object) -> None:
        now = time.monotonic()
        if now - self.last < self.every_s:
            self.suppressed += 1
            return
        log.debug(message, extra={**extra, "suppressed": self.suppressed})
        self.last, self.suppressed = now, 0


class _EngineIO(GatewayEngineIO, LeanEngineIO):
    """The admission checks first (GatewayEngineIO), then engine.io with lean websocket sessions."""


class GatewayServer(socketio.AsyncServer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.metrics: Metrics | None = None
        self.namespace_timeout_s = 0.0
        self.budget = ConnectionBudget()
        self._events_of: dict[str, frozenset[str]] = {}
        self._deadlines: dict[str, asyncio.TimerHandle] = {}
        self._closing: set[asyncio.Task] = set()
        self._bad_frames = ThrottledLog()

    def _engineio_server_class(self):
        return _EngineIO

    def configure(self, config: Config, metrics: Metrics) -> None:
        """Turn the limits on (before the first client connects)."""
        self.metrics = metrics
        self.namespace_timeout_s = config.limits.namespace_connect_timeout_s
        self.eio.admission = Admission(config, metrics, self.budget, self.eio.max_http_buffer_size)

    def register_namespace(self, namespace_handler):
        super().register_namespace(namespace_handler)
        self._events_of.clear()

    def events(self, namespace: str) -> frozenset[str]:
        """The event names clients may send on ``namespace``."""
        if namespace not in self._events_of:
            names = set(self.handlers.get(namespace, {}))
            handler = self.namespace_handlers.get(namespace)
            if handler is not None:
                names |= {
                    n[3:] for n in dir(type(handler)) if n.startswith("on_") and callable(getattr(handler, n))
                }
                # a namespace that dispatches further names itself declares them
                names |= set(getattr(handler, "client_events", ()))
            self._events_of[namespace] = frozenset(names - LIFECYCLE)
        return self._events_of[namespace]

    def _count(self, reason: str) -> None:
        if self.metrics is not None:
            self.metrics.rejected.labels(reason).inc()

    # --- engine.io connections ------------------------------------------------------------------

    async def _handle_eio_connect(self, eio_sid, environ):
        sock = self.eio.sockets.get(eio_sid)
        if sock is not None:  # engine.io's own socket keeps three tasks and a queue per idle websocket
            LeanSocket.adopt(sock, environ)
        await super()._handle_eio_connect(eio_sid, environ)
        request = environ.get("aiohttp.request")
        if request is not None and self.metrics is not None:
            self.budget.opened(eio_sid, request_address(request))
        if self.namespace_timeout_s > 0:
            loop = asyncio.get_running_loop()
            self._deadlines[eio_sid] = loop.call_later(
                self.namespace_timeout_s, self._namespace_deadline, eio_sid
            )

    async def _handle_connect(self, eio_sid, namespace, data):
        await super()._handle_connect(eio_sid, namespace, data)
        if self.manager.sid_from_eio_sid(eio_sid, namespace or "/") is None:
            return  # refused
        handle = self._deadlines.pop(eio_sid, None)
        if handle is not None:
            handle.cancel()
        environ = self.environ.get(eio_sid)
        if environ is not None:
            slim_environ(environ)

    async def _handle_eio_disconnect(self, eio_sid, reason):
        handle = self._deadlines.pop(eio_sid, None)
        if handle is not None:
            handle.cancel()
        try:
            await super()._handle_eio_disconnect(eio_sid, reason)
        finally:
            self.budget.closed(eio_sid)

    def _namespace_deadline(self, eio_sid: str) -> None:
        self._deadlines.pop(eio_sid, None)
        if eio_sid not in self.environ:
            return
        if any(self.manager.sid_from_eio_sid(eio_sid, ns) for ns in list(self.manager.get_namespaces())):
            return
        self._count("namespace_timeout")
        self._close_soon(eio_sid)

    def _close_soon(self, eio_sid: str) -> None:
        task = asyncio.get_running_loop().create_task(self.close_engine(eio_sid))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def close_engine(self, eio_sid: str, bound_s: float = 5.0) -> None:
        """Close the engine.io connection, bounded: engine.io's close waits until a long-polling client
        collects the close packet."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(bound_s):
                await self.eio.disconnect(eio_sid)

    async def shutdown(self):
        for handle in self._deadlines.values():
            handle.cancel()
        self._deadlines.clear()
        for task in list(self._closing):
            task.cancel()
        await asyncio.gather(*self._closing, return_exceptions=True)
        await super().shutdown()

    # --- Socket.IO packets ----------------------------------------------------------------------

    async def _handle_eio_message(self, eio_sid, data):
        try:
            pkt = self._decode(eio_sid, data)
        except _DECODE_ERRORS as err:
            self._binary_packet.pop(eio_sid, None)
            self._count("bad_frame")
            self._bad_frames.debug(
                "malformed Socket.IO frame; closing the connection",
                eio_sid=eio_sid,
                error=f"{type(err).__name__}: {str(err)[:200]}",
            )
            self._close_soon(eio_sid)
            return
        if pkt is None:
            return
        if pkt.packet_type == packet.CONNECT:
            await self._handle_connect(eio_sid, pkt.namespace, pkt.data)
        elif pkt.packet_type == packet.DISCONNECT:
            await self._handle_disconnect(eio_sid, pkt.namespace, self.reason.CLIENT_DISCONNECT)
        elif pkt.packet_type in (packet.EVENT, packet.BINARY_EVENT):
            await self._handle_event(eio_sid, pkt.namespace, pkt.id, pkt.data)
        else:
            await self._handle_ack(eio_sid, pkt.namespace, pkt.id, pkt.data)

    def _decode(self, eio_sid: str, data):
        """The complete packet in ``data``, None while binary attachments are still due; raises on garbage."""
        pending = self._binary_packet.get(eio_sid)
        if pending is not None:
            if not pending.add_attachment(data):
                return None
            del self._binary_packet[eio_sid]
            return pending
        pkt = self.packet_class(encoded_packet=data)
        if pkt.packet_type in (packet.BINARY_EVENT, packet.BINARY_ACK):
            if not 0 < pkt.attachment_count <= MAX_ATTACHMENTS:
                raise ValueError(f"binary packet with {pkt.attachment_count} attachments")
            if not self.manager.sid_from_eio_sid(eio_sid, pkt.namespace or "/"):
                raise ValueError("binary packet outside a connected namespace")
            self._binary_packet[eio_sid] = pkt
            return None
        if pkt.packet_type not in (packet.CONNECT, packet.DISCONNECT, packet.EVENT, packet.ACK):
            raise ValueError(f"packet type {pkt.packet_type!r} is not one a client sends")
        return pkt

    async def _handle_event(self, eio_sid, namespace, id, data):
        namespace = namespace or "/"
        event = data[0] if isinstance(data, list) and data else None
        if isinstance(event, str) and event in self.events(namespace):
            return await super()._handle_event(eio_sid, namespace, id, data)
        self._count("unknown_event")
        sid = self.manager.sid_from_eio_sid(eio_sid, namespace)
        if id is None or sid is None or not self.manager.is_connected(sid, namespace):
            return
        shown = event[:40] if isinstance(event, str) else type(event).__name__
        error = {
            "code": "unknown_event",
            "message": f"'{shown}' is not an event clients may send on {namespace}",
        }
        await self._send_packet(
            eio_sid, self.packet_class(packet.ACK, namespace=namespace, id=id, data=[{"error": error}])
        )
