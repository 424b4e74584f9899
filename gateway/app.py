"""The one app factory: builds the whole gateway from a Config."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from acd import lua_runner
from gateway import appkeys as K
from gateway.abandonment import close_abandoned
from gateway.admin import routes as admin_routes
from gateway.admin.contexts import admin_settings_ctx, admin_sync_ctx
from gateway.alerts.context import alerts_ctx
from gateway.api import (  # apikeys_admin, integrator: API keys and the integrators' routes
    apikeys_admin,
    audit,
    callback_slots,
    conversations,
    directory,
    integrator,
    login,
    openapi,
    ops,
    privacy,
)
from gateway.api import classify as classify_api
from gateway.api import reports as reports_api
from gateway.api import search as search_api
from gateway.api.key_auth import api_key_calls
from gateway.assist import answers_api
from gateway.assist.context import assist_ctx
from gateway.assist.suggestions import answers_ctx
from gateway.auth import Sessions
from gateway.background import Background
from gateway.callbacks import reports as callback_reports
from gateway.callbacks import routes as callback_routes
from gateway.callbacks.dialling import dialling_ctx
from gateway.callbacks.scheduler import callbacks_ctx
from gateway.config.schema import Config
from gateway.conversations import rating_links
from gateway.conversations.bridged import bridged_event
from gateway.conversations.outbound import report_delivery
from gateway.conversations.queue_notices import CHECK_S as QUEUE_NOTICE_S
from gateway.conversations.queue_notices import send_queue_notices
from gateway.crm import routes as crm_routes
from gateway.crm.context import crm_ctx
from gateway.durability import replicas_required, replicated_answers, wait_observer
from gateway.email.listener import smtp_listener_ctx
from gateway.embedded_redis import EmbeddedRedis
from gateway.errors import client_errors
from gateway.event_webhooks import routes as event_webhook_routes
from gateway.event_webhooks.service import event_webhooks_ctx
from gateway.history.service import History
from gateway.http_timeouts import read_body_within
from gateway.live_sessions import SWEEP_S
from gateway.media import routes as media_routes
from gateway.media import uploads as media_uploads
from gateway.metrics import Metrics
from gateway.metrics_sampler import metrics_sampler_ctx
from gateway.pages import add_static
from gateway.pages import routes as page_routes
from gateway.redis_client import FOLLOW_S as SENTINEL_FOLLOW_S
from gateway.redis_client import close as close_redis
from gateway.redis_client import connect, follow_primaries
from gateway.rooms import supervisor_room
from gateway.routing import Router
from gateway.security_headers import security_headers
from gateway.services import Services
from gateway.shutdown import disconnect_clients, socketio_entry
from gateway.slack import routes as slack_routes
from gateway.slack.context import slack_ctx, slack_hooks_ctx
from gateway.sockets.dead_node_tabs import SWEEP_S as TABS_SWEEP_S
from gateway.sockets.reannounce import catch_up
from gateway.sockets.redis_manager import REFRESH_S as PEER_REFRESH_S
from gateway.sockets.server import create_sio, register_namespaces
from gateway.sockets.visitor import VisitorNamespace
from gateway.webhooks.routes import add_webhook_routes
from gateway.webhooks.workers import bridges_ctx

log = logging.getLogger(__name__)

TICK_S = 0.25  # ACD timers (offer expiry, step time-outs, wrap-up, grace) resolve this finely
HEARTBEAT_S = 5.0  # at most; a quarter of server.node_lease_s when that is shorter than 20 s
POSITIONS_S = 5.0  # waiting visitors hear their position at least this often
SNAPSHOT_S = 1.0
ABANDON_CHECK_S = 1.0
# a stopping process records its visitors' leaving within this, or leaves it as a crash would
VISITORS_LEAVE_BOUND_S = 5.0


def create_app(
    config: Config, *, redis_url: str | None = None, data_dir: str | Path | None = None, database: str | None = None
) -> web.Application:
    """The gateway: REST, webhooks, pages, Socket.IO and the ACD timers, on one Redis.

    ``redis_url`` None means: start an embedded redis-server with its data in ``data_dir``.
    ``database``: the history database's DSN, ``"embedded"`` (its own PostgreSQL under ``data_dir``),
    or None: no history database (nothing archived or evicted; tests and tools).
    """
    app = web.Application(
        client_max_size=config.limits.webhook_body_bytes,
        middlewares=[socketio_entry, read_body_within(config.server.http_timeout_s), api_key_calls,
                     client_errors, replicated_answers],  # replicated_answers: gateway/durability.py
    )
    # before the sockets close: every visitor's leaving is recorded at once
    app.on_shutdown.append(_visitors_leave)
    app.on_shutdown.append(disconnect_clients)
    app.on_response_prepare.append(security_headers)  # nosniff, Referrer-Policy, CSP, no framing (gateway/security_headers.py)
    replicas_required(config.server, redis_url)  # a durability that cannot be kept: ValueError now, not at the first ack
    embedded = None
    if redis_url is None:
        embedded = EmbeddedRedis(
            Path(data_dir or os.environ.get("OMNIRELAY_DATA_DIR", "var")).resolve(),
            maxmemory=config.server.redis_maxmemory,
        )
        redis_url = embedded.url
    app[K.CONFIG] = config
    app[K.REDIS_URL] = redis_url
    app[K.METRICS] = Metrics()
    app[K.NODE_ID] = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
    app[K.BACKGROUND] = Background()
    app[K.STOPPING] = asyncio.Event()
    sio = create_sio(redis_url)
    metrics = app[K.METRICS]
    sio.manager.on_resubscribed = lambda: catch_up(sio, metrics)  # what was published meanwhile never reached our sockets
    app[K.SIO] = sio
    sio.attach(app, socketio_path="socket.io")

    app.add_routes(login.routes)
    app.add_routes(directory.routes)
    app.add_routes(callback_slots.routes)
    app.add_routes(conversations.routes)
    app.add_routes(audit.routes)
    app.add_routes(privacy.routes)
    app.add_routes(search_api.routes)
    app.add_routes(reports_api.routes)
    app.add_routes(ops.routes)
    app.add_routes(openapi.routes)
    app.add_routes(admin_routes.routes)
    app.add_routes(event_webhook_routes.routes)  # /api/v1/admin/webhooks… (gateway/event_webhooks)
    app.add_routes(apikeys_admin.routes)  # API keys (gateway/api_keys.py) and the integrators' routes
    app.add_routes(integrator.routes)
    app.add_routes(media_routes.routes)
    app.add_routes(media_uploads.routes)
    app.add_routes(answers_api.routes)
    app.add_routes(classify_api.routes)
    app.add_routes(crm_routes.routes)
    app.add_routes(slack_routes.routes)  # /api/v1/slack/links (gateway/slack)
    app.add_routes(page_routes)
    app.add_routes(rating_links.routes)
    app.add_routes(callback_routes.routes)
    app.add_routes(callback_reports.routes)  # before the general webhook routes: /webhooks/dialer/… is ours
    add_webhook_routes(app)
    add_static(app)

    if embedded is not None:
        app.cleanup_ctx.append(_embedded_redis(embedded))
    app.cleanup_ctx.append(_redis)
    if database is not None:
        app.cleanup_ctx.append(_history(database, Path(data_dir or os.environ.get("OMNIRELAY_DATA_DIR", "var")).resolve()))
    app.cleanup_ctx.append(event_webhooks_ctx)  # after _history: its consumer group exists before ours deletes
    app.cleanup_ctx.append(admin_settings_ctx)  # the admin's stored settings in effect before routing starts
    app.cleanup_ctx.append(_routing)
    app.cleanup_ctx.append(crm_ctx)  # after _routing (Services, the router's hook), before _timers (recover routes)
    app.cleanup_ctx.append(assist_ctx)  # after _routing (on Services), before the bridges bring messages
    app.cleanup_ctx.append(answers_ctx)  # suggestions and automatic answers (gateway/assist/suggestions.py)
    app.cleanup_ctx.append(admin_sync_ctx)
    app.cleanup_ctx.append(_timers)
    app.cleanup_ctx.append(metrics_sampler_ctx)  # queue, ingest, outbox, agent and channel gauges (gateway/metrics_sampler.py)
    app.cleanup_ctx.append(slack_hooks_ctx)  # before bridges_ctx: slack channels' events go to gateway/slack
    app.cleanup_ctx.append(bridges_ctx)
    app.cleanup_ctx.append(slack_ctx)  # after bridges_ctx: the Slack apps and the mirror (gateway/slack)
    app.cleanup_ctx.append(alerts_ctx)  # after bridges_ctx: supervisors' alerts go out through the Slack app
    app.cleanup_ctx.append(media_routes.media_ctx)  # after bridges_ctx: it fetches through the live channels
    app.cleanup_ctx.append(smtp_listener_ctx)  # after bridges_ctx: mail goes to the channels' ingest
    app.cleanup_ctx.append(dialling_ctx)
    app.cleanup_ctx.append(callbacks_ctx)  # after bridges_ctx: dialling and the exhausted mail use the channels
    return app


async def _visitors_leave(app: web.Application) -> None:
    """Stopping: the visitor sockets' leaving recorded together (VisitorNamespace.depart_all), so that
    closing 10,000 of them next (gateway/shutdown.py) takes a moment, not 10,000 disconnect handlers."""
    app[K.STOPPING].set()  # from now on no new Socket.IO session (gateway/shutdown.py's middleware)
    namespace = app[K.SIO].namespace_handlers.get("/visitor")
    if isinstance(namespace, VisitorNamespace):
        sockets = await namespace.depart_all(VISITORS_LEAVE_BOUND_S)
        log.info("visitors left together", extra={"sockets": sockets})


def _embedded_redis(server: EmbeddedRedis):
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        await server.start()
        yield
        await server.stop()

    return ctx


async def _redis(app: web.Application) -> AsyncIterator[None]:
    client = connect(app[K.REDIS_URL])
    app[K.REDIS] = client
    app[K.SESSIONS] = Sessions(client, app[K.CONFIG])
    server = app[K.CONFIG].server  # durability: replicated → acks wait for a replica (gateway/durability.py)
    # the store's and the ACD's Lua calls, pipelined per turn
    async for _ in lua_runner.running(client, replicas=replicas_required(server, app[K.REDIS_URL]),
                                      wait_timeout_ms=server.replica_wait_ms,
                                      observe_wait=wait_observer(app[K.METRICS])):
        yield  # (on the way out: the calls in flight finish before the client closes)
    await close_redis(client)


def _history(database: str, data_dir: Path):
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        def flooded() -> bool:  # the bridges start after the history: looked up when asked
            bridged = app.get(K.BRIDGED)
            return bridged is not None and bridged.arrivals.flooded

        history = History(app[K.REDIS], app[K.CONFIG], app[K.NODE_ID], database, data_dir, app[K.METRICS], flooded)
        await history.start()
        app[K.HISTORY] = history
        yield
        await history.stop()

    return ctx


async def _routing(app: web.Application) -> AsyncIterator[None]:
    router = Router(app[K.REDIS], app[K.CONFIG], app[K.SIO], app[K.METRICS], app[K.NODE_ID])
    app[K.ROUTER] = router
    ctx = Services(
        config=app[K.CONFIG], redis=app[K.REDIS], sio=app[K.SIO], sessions=app[K.SESSIONS],
        router=router, metrics=app[K.METRICS], node_id=app[K.NODE_ID], history=app.get(K.HISTORY),
    )
    app[K.SERVICES] = ctx
    # the bridges' workers hand customer events and reply outcomes to the conversation service
    # (a test may have put its own in place)
    if K.INBOUND_HANDLER not in app:
        app[K.INBOUND_HANDLER] = lambda tenant, channel, event: bridged_event(ctx, tenant, channel, event)
    if K.DELIVERY_REPORTER not in app:
        app[K.DELIVERY_REPORTER] = lambda report: report_delivery(ctx, report)
    register_namespaces(app[K.SIO], ctx)
    await router.start()
    yield
    await app[K.SIO].shutdown()
    await app[K.SIO].manager.close()


async def _timers(app: web.Application) -> AsyncIterator[None]:
    router: Router = app[K.ROUTER]
    bg: Background = app[K.BACKGROUND]
    fanout = app[K.SIO].manager
    redis, node = app[K.REDIS], app[K.NODE_ID]
    peers = await fanout.refresh_peers(redis, node)
    bg.every("fanout-peers", PEER_REFRESH_S, lambda: fanout.refresh_peers(redis, node))
    if peers:  # serve nobody until every other node has seen this one (and so publishes to us)
        await asyncio.sleep(2 * PEER_REFRESH_S)
    lease_s = app[K.CONFIG].server.node_lease_s
    await router.heartbeat(lease_s)
    await router.recover()
    bg.every("acd-tick", TICK_S, router.tick)
    bg.every("sentinel-primary", SENTINEL_FOLLOW_S, follow_primaries)  # (nothing to do without Sentinel)
    bg.every("node-heartbeat", min(HEARTBEAT_S, lease_s / 4), lambda: router.heartbeat(lease_s))
    bg.every("queue-positions", POSITIONS_S, router.push_positions)
    bg.every("queue-positions-moved", TICK_S, lambda: router.push_positions(only_moved=True))
    sio = app[K.SIO]

    def local_supervisors(tenant: str) -> list[str]:
        return [sid for sid, _ in sio.manager.get_participants("/supervisor", supervisor_room(tenant))]

    bg.every("supervisor-snapshots", SNAPSHOT_S, lambda: router.push_snapshots(local_supervisors))
    bg.every("abandoned-visitors", ABANDON_CHECK_S, lambda: close_abandoned(app[K.SERVICES]))
    bg.every("dead-node-tabs", TABS_SWEEP_S, sio.namespace_handlers["/visitor"].tabs.sweep)
    bg.every("messenger-queue-notices", QUEUE_NOTICE_S, lambda: send_queue_notices(app[K.SERVICES]))
    bg.every("ended-sessions", SWEEP_S, lambda: app[K.SERVICES].live.sweep(redis, app[K.SIO]))
    log.info("gateway node started", extra={"node": app[K.NODE_ID], "tenants": list(app[K.CONFIG].tenants)})
    yield
    await bg.stop()
    await fanout.leave(redis, node)
