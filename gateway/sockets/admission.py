"""What may reach engine.io at all: request bodies it can take, pages allowed to open a socket, and
how many connections one client address may hold in this process.

engine.io itself answers an oversized long-polling POST by closing the session and waiting for a poll
that drains the close, so the POST hangs; these checks answer before engine.io sees the request.
"""

from __future__ import annotations

import json
import urllib.parse
from collections import Counter

import engineio
from aiohttp import web

from gateway.api.client_address import address_subject, client_address
from gateway.config.schema import Config
from gateway.metrics import Metrics
from gateway.sockets.origin import origin_allowed


def _refusal(status: int, code: str, message: str, **headers: str) -> web.Response:
    body = json.dumps({"error": {"code": code, "message": message}})
    return web.Response(status=status, text=body, content_type="application/json", headers=headers)


class ConnectionBudget:
    """Open engine.io connections per client address, in this process."""

    def __init__(self) -> None:
        self.per_address: Counter[str] = Counter()
        self.address_of: dict[str, str] = {}

    def count(self, address: str) -> int:
        return self.per_address[address]

    def opened(self, eio_sid: str, address: str) -> None:
        self.address_of[eio_sid] = address
        self.per_address[address] += 1

    def closed(self, eio_sid: str) -> None:
        address = self.address_of.pop(eio_sid, None)
        if address is None:
            return
        self.per_address[address] -= 1
        if self.per_address[address] <= 0:
            del self.per_address[address]


def request_address(request: web.Request) -> str:
    """The client address of a Socket.IO request as a bounded key (the forwarded one behind a trusted proxy)."""
    return address_subject(client_address(request))


class Admission:
    """The checks every Socket.IO HTTP request passes before engine.io handles it."""

    def __init__(self, config: Config, metrics: Metrics, budget: ConnectionBudget, max_body: int):
        self.config = config
        self.metrics = metrics
        self.budget = budget
        self.max_body = max_body

    def refuse(self, request: web.Request) -> web.Response | None:
        """The error response for a request that may not go on, else None."""
        if request.method == "POST":
            if request.content_length is None:
                # engine.io reads exactly Content-Length bytes: a chunked body would be dropped unread
                return self._no("length_required", 411, "a long-polling POST needs a Content-Length")
            if request.content_length > self.max_body:
                return self._no("too_large", 413, f"a long-polling POST may carry at most {self.max_body} bytes")
        if not origin_allowed(self.config, request.headers.get("Origin"), request.headers.get("Host")):
            return self._no("origin_not_allowed", 403, "this page's origin may not open a socket here")
        limit = self.config.limits.connections_per_address
        # parsed and dropped: request.query would keep its parse on the URL, which a websocket upgrade's own
        # sid makes unique to the session, for as long as the websocket lives (~1 KB per connection)
        handshake = request.method == "GET" and "sid" not in urllib.parse.parse_qs(request.query_string)
        if handshake and limit > 0 and self.budget.count(request_address(request)) >= limit:
            return self._no("too_many_connections", 429,
                            f"this address already holds {limit} connections; close one first", **{"Retry-After": "5"})
        return None

    def _no(self, code: str, status: int, message: str, **headers: str) -> web.Response:
        self.metrics.rejected.labels(code).inc()
        return _refusal(status, code, message, **headers)


class GatewayEngineIO(engineio.AsyncServer):
    """engine.io with the admission checks in front (set by GatewayServer.configure)."""

    admission: Admission | None = None

    async def handle_request(self, request: web.Request):  # the aiohttp driver passes the request
        if self.admission is not None:
            refusal = self.admission.refuse(request)
            if refusal is not None:
                return refusal
        return await super().handle_request(request)
