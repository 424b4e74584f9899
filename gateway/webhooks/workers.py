"""The bridges' cleanup_ctx: HTTP clients, live channels, the ingest and outbox workers of this process.

The conversation service plugs in through two app keys set before this context runs:
``INBOUND_HANDLER`` (a customer event arrived) and ``DELIVERY_REPORTER`` (what became of a reply).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import ClientSession, ClientTimeout, web

from bridges.base import OutboundFile
from bridges.events import Event
from gateway import appkeys as K
from gateway import channels_health
from gateway.background import Background
from gateway.media.storage import read_file
from gateway.outbound import DeliveryReport, Outbox
from gateway.redis_client import close, connect
from gateway.webhooks.channels import BridgedChannels
from gateway.webhooks.ingest import Ingest

log = logging.getLogger(__name__)

HTTP_TIMEOUT = ClientTimeout(total=15)  # one platform call; the outbox lease is longer
STREAM_CONNECTIONS = 64  # blocking stream reads hold a connection each (one per tenant)


async def _unwired_handler(tenant: str, channel: str, event: Event) -> None:
    # Raising keeps the delivery pending (retried), rather than marking unhandled messages done.
    raise RuntimeError("no conversation service is wired to the bridges")


async def _log_report(report: DeliveryReport) -> None:
    log.info("reply delivery", extra={"tenant": report.tenant, "conversation": report.conversation,
                                      "outcome": report.outcome.value, "reason": report.reason})


async def bridges_ctx(app: web.Application) -> AsyncIterator[None]:
    """Start the bridged channels' workers; stop them and close their clients on the way out."""
    sessions: dict[str, ClientSession] = {}

    def http(kind: str) -> ClientSession:
        if kind not in sessions:
            sessions[kind] = ClientSession(timeout=HTTP_TIMEOUT)
        return sessions[kind]

    channels = BridgedChannels(app[K.CONFIG], http)
    raw = connect(app[K.REDIS_URL], max_connections=STREAM_CONNECTIONS, decode_responses=False)
    ingest = Ingest(raw, channels, app.get(K.INBOUND_HANDLER, _unwired_handler), app[K.METRICS], app[K.NODE_ID])
    outbox = Outbox(app[K.REDIS], channels, app.get(K.DELIVERY_REPORTER, _log_report), app[K.METRICS])
    app[K.BRIDGED], app[K.INGEST], app[K.OUTBOX] = channels, ingest, outbox
    if K.SERVICES in app:
        svc = app[K.SERVICES]
        svc.outbox = outbox  # agents' replies in bridged conversations go out through it
        svc.bridged = channels

        async def uploaded(tenant: str, media_id: str) -> OutboundFile:
            data, mime, name = await read_file(svc, tenant, media_id)
            return OutboundFile(name=name, mime=mime, data=data)

        outbox.read_file = uploaded
    tasks = Background()
    for tenant in channels.tenants:
        await channels_health.reset(app[K.REDIS], tenant, [c.id for c in channels.of_tenant(tenant)])
        await outbox.resume(tenant)
        tasks.start(f"webhook-ingest:{tenant}", ingest.run(tenant))
        tasks.start(f"outbox:{tenant}", outbox.run(tenant))
    yield
    await tasks.stop()
    await close(raw)
    for session in sessions.values():
        await session.close()
