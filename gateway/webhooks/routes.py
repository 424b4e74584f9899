"""/webhooks/<type>/<channel>, the same for every bridge: verify → durable append → 200.

Nothing is parsed into the domain here: a verified body goes to the tenant's stream as it came, and
the ingest worker does the rest. So the platform gets its 200 fast, and a 200 means "kept".
"""

from __future__ import annotations

import logging

from aiohttp import web
from redis.exceptions import RedisError

from bridges.base import AuthFailed, Malformed
from bridges.registry import spec_of
from gateway import appkeys as K
from gateway.errors import ClientError, unavailable
from gateway.webhooks import ingest
from gateway.webhooks.channels import BridgedChannel

log = logging.getLogger(__name__)


def add_webhook_routes(app: web.Application) -> None:
    """``/webhooks/{type}/{channel}`` on the app's own router (a sub-app would cost every delivery a
    second dispatch and middleware pass)."""
    app.router.add_post("/webhooks/{type}/{channel}", receive)
    app.router.add_get("/webhooks/{type}/{channel}", handshake)


_OK = b'{"ok": true}'


def _ok() -> web.Response:
    return web.Response(body=_OK, content_type="application/json")


def _channel(request: web.Request) -> BridgedChannel:
    found = request.config_dict[K.BRIDGED].for_webhook(request.match_info["type"], request.match_info["channel"])
    if found is None:
        _count(request, "unknown")
        raise ClientError("not_found", "no such channel", 404)
    return found


def _count(request: web.Request, outcome: str) -> None:
    kind = request.match_info["type"]
    kind = kind if spec_of(kind) else "unknown"  # a label per registered type only: URLs are anyone's
    request.config_dict[K.METRICS].webhooks.labels(kind, outcome).inc()


async def receive(request: web.Request) -> web.Response:
    """A platform's POST: 404 unknown channel, 413 too big, 401 unsigned, 400 unreadable, 200 kept."""
    arrivals = request.config_dict[K.BRIDGED].arrivals
    arrivals.in_flight += 1
    try:
        return await _receive(request)
    finally:
        arrivals.in_flight -= 1


async def _receive(request: web.Request) -> web.Response:
    try:
        channel = _channel(request)
        limit = request.config_dict[K.CONFIG].limits.webhook_body_bytes
        if request.content_length is not None and request.content_length > limit:
            _count(request, "too_large")
            raise ClientError("too_large", f"body over {limit} bytes", 413)
        body = await request.read()  # the app's client_max_size answers 413 for a chunked body
        if channel.bridge is None:  # fail closed: a secret is missing (logged once at start-up)
            _count(request, "disabled")
            raise ClientError("unauthorized", "signature check failed", 401)
        try:
            channel.bridge.verify(request.headers, body)
        except AuthFailed:
            _count(request, "bad_signature")
            raise ClientError("unauthorized", "signature check failed", 401) from None
        answer = channel.bridge.handshake(request.query, body)
        if answer is not None:
            return web.Response(text=answer)
        try:
            deliveries = channel.bridge.deliveries(body)
        except Malformed as err:
            _count(request, "malformed")
            raise ClientError("malformed", str(err) or "unreadable body", 400) from None
        redis = request.config_dict[K.REDIS]
        try:
            if deliveries and not await ingest.append(redis, channel.tenant, channel.id, body,
                                                      [d for d, _ in deliveries]):
                _count(request, "repeated")
                return _ok()
        except (RedisError, OSError):
            _count(request, "unavailable")
            raise unavailable() from None  # 503: the platform retries later
        _count(request, "accepted")
        return _ok()
    except ClientError as err:
        return err.response()


async def handshake(request: web.Request) -> web.Response:
    """A platform's GET subscription check (Meta's hub.challenge): 403 with a wrong token."""
    try:
        channel = _channel(request)
        if channel.bridge is None:
            raise ClientError("forbidden", "handshake refused", 403)
        try:
            answer = channel.bridge.handshake(request.query, b"")
        except AuthFailed:
            _count(request, "bad_handshake")
            raise ClientError("forbidden", "handshake refused", 403) from None
        if answer is None:
            raise ClientError("method_not_allowed", "this channel type has no GET handshake", 405)
        _count(request, "handshake")
        return web.Response(text=answer)
    except ClientError as err:
        return err.response()
