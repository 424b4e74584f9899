"""``durability: replicated``: an acknowledgement waits until what it acknowledges is on a Redis replica.

Redis replicates asynchronously, so a primary that dies can take its last acknowledged writes with
it; the replica that Sentinel promotes never saw them. With ``replicated`` every ack boundary waits
for ``WAIT 1 <replica_wait_ms>`` (through the Lua runner's pipeline, acd/lua_runner.py):
- a socket handler's ack (gateway/sockets/acked.py),
- any REST/webhook answer 2xx to a POST, PUT, PATCH or DELETE (``replicated_answers`` below).
When no replica confirms in time the client hears ``not_replicated`` (Socket.IO ack, or HTTP 503):
the write is on the primary, and sending the same request again (same client_id, same webhook
delivery) stores nothing twice and is acknowledged once a replica confirms.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable

from aiohttp import web

from acd.lua_runner import NotReplicated, WaitObserver, runner
from gateway import appkeys as K
from gateway.config.schema import ServerConfig
from gateway.errors import ClientError
from gateway.metrics import Metrics
from gateway.redis_client import kind

log = logging.getLogger(__name__)

ENV = "OMNIRELAY_DURABILITY"
_STORING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def not_replicated() -> ClientError:
    return ClientError("not_replicated",
                       "stored, but not yet confirmed by a replica; send it again (it will not be stored twice)", 503)


NOT_REPLICATED = not_replicated().envelope()


def mode(server: ServerConfig, env: dict[str, str] | None = None) -> str:
    """``local`` or ``replicated``: $OMNIRELAY_DURABILITY when set, else ``server.durability``."""
    chosen = (os.environ if env is None else env).get(ENV) or server.durability
    if chosen not in ("local", "replicated"):
        raise ValueError(f"{ENV} must be local or replicated, not {chosen!r}")
    return chosen


def replicas_required(server: ServerConfig, redis_url: str | None) -> int:
    """How many replicas an ack waits for: 1 with ``replicated``, else 0. ValueError when
    ``replicated`` is asked for on a Redis Cluster (a WAIT would be due on every primary written)."""
    if mode(server) != "replicated":
        return 0
    if redis_url and kind(redis_url) == "cluster":
        raise ValueError("durability: replicated is not supported on a Redis Cluster (redis+cluster://); "
                         "use a primary with replicas behind Sentinel, or durability: local (docs/ha.md)")
    return 1


def wait_observer(metrics: Metrics) -> WaitObserver:
    def observe(seconds: float, ok: bool) -> None:
        metrics.replica_wait_seconds.observe(seconds)
        metrics.replica_waits.labels("ok" if ok else "timeout").inc()

    return observe


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def replicated_answers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A 2xx answer to a storing request leaves only once a replica has what it stored."""
    response = await handler(request)
    if (request.method in _STORING and 200 <= response.status < 300 and not response.prepared
            and not request.path.startswith("/socket.io/")):
        try:
            await runner(request.config_dict[K.REDIS]).replicated()  # no-op with durability: local
        except NotReplicated:
            log.warning("no replica confirmed a write in time", extra={"path": request.path})
            return not_replicated().response()
    return response
