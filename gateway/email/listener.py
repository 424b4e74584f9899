"""The gateway's own SMTP listener (aiosmtpd): mail for the accepted domains goes to the same
durable ingest stream as the webhooks, *before* the ``250``: a mail we acknowledged is a mail we keep.

One listener per configured ``listen_host``/``listen_port``, bound with ``SO_REUSEPORT`` so that
several gateway processes on one host can share the port. A port that cannot be bound is logged
once and the rest of the gateway runs (mail then arrives through ``POST /webhooks/email/…``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web
from aiosmtpd.smtp import SMTP, Envelope, Session
from redis.exceptions import RedisError

from bridges.base import Malformed
from gateway import appkeys as K
from gateway.webhooks import ingest
from gateway.webhooks.channels import BridgedChannel

log = logging.getLogger(__name__)

TIMEOUT_S = 60  # an idle SMTP client is dropped after this (RFC 5321 asks for minutes; senders retry)


class _SMTP(SMTP):
    """aiosmtpd's protocol, with a size refusal that tells the sender what the limit is."""

    async def push(self, status: Any) -> None:
        if isinstance(status, str) and status.startswith("552 Error"):
            status = f"552 5.3.4 Message too big: this server accepts at most {self.data_size_limit} bytes"
        await super().push(status)


class Listener:
    """The SMTP handler of one host:port; its channels are told apart by the recipient's domain."""

    def __init__(self, app: web.Application, channels: list[BridgedChannel]) -> None:
        self.app = app
        self.channels = channels

    def channel_for(self, address: str) -> BridgedChannel | None:
        domain = address.rpartition("@")[2].strip().lower().rstrip(">")
        for channel in self.channels:
            if domain in {d.lower() for d in channel.config.accepted_domains}:
                return channel
        return None

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        channel = self.channel_for(address)
        if channel is None:
            return f"550 5.7.1 <{address}>: relay not permitted, this server accepts no mail for that domain"
        first = self.channel_for(envelope.rcpt_tos[0]) if envelope.rcpt_tos else channel
        if first is not channel:  # one mail, one channel: the sender sends another copy for the other
            return f"452 4.5.3 <{address}>: too many recipients, send this one separately"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        limit = self.app[K.CONFIG].limits.webhook_body_bytes
        if len(raw) > limit:
            return f"552 5.3.4 Message too big: this server accepts at most {limit} bytes"
        channel = self.channel_for(envelope.rcpt_tos[0]) if envelope.rcpt_tos else None
        if channel is None or channel.bridge is None:
            return "451 4.3.0 This mailbox is not available right now; try again later"
        # the envelope's recipients, as a receiving MTA records them: a token in a Bcc is found too
        stamped = b"".join(f"Delivered-To: {rcpt}\r\n".encode() for rcpt in envelope.rcpt_tos if rcpt.isascii()) + raw
        try:
            deliveries = channel.bridge.deliveries(stamped)
        except Malformed:
            return "554 5.6.0 The message cannot be read"
        try:
            if deliveries:
                await ingest.append(self.app[K.REDIS], channel.tenant, channel.id, stamped, [d for d, _ in deliveries])
        except (RedisError, OSError):
            log.exception("mail not stored; the sender will retry", extra={"channel": channel.id})
            return "451 4.3.0 Temporary failure, try again later"
        return "250 2.0.0 OK: queued"


def _groups(app: web.Application) -> dict[tuple[str, int], list[BridgedChannel]]:
    """The email channels with a listener, by the address they listen on."""
    bridged = app[K.BRIDGED]
    out: dict[tuple[str, int], list[BridgedChannel]] = {}
    for tenant in bridged.tenants:
        for channel in bridged.of_tenant(tenant):
            if channel.spec.type == "email" and channel.config.listen_host:
                out.setdefault((channel.config.listen_host, channel.config.listen_port), []).append(channel)
    return out


async def smtp_listener_ctx(app: web.Application) -> AsyncIterator[None]:
    """Listen for mail on every configured address while the gateway runs."""
    loop = asyncio.get_running_loop()
    servers: list[asyncio.Server] = []
    limit = app[K.CONFIG].limits.webhook_body_bytes
    for (host, port), channels in _groups(app).items():
        handler = Listener(app, channels)
        name = channels[0].config.address.rpartition("@")[2] or "omnirelay"

        def protocol(handler: Listener = handler, name: str = name) -> _SMTP:
            return _SMTP(handler, data_size_limit=limit, enable_SMTPUTF8=True, hostname=name, ident="omnirelay",
                         timeout=TIMEOUT_S, loop=loop)

        try:
            servers.append(await loop.create_server(protocol, host=host, port=port, reuse_port=True))
        except OSError as err:
            log.error("SMTP listener not started: the address cannot be bound; mail can still arrive by webhook",
                      extra={"host": host, "port": port, "error": str(err)})
            continue
        log.info("SMTP listener started", extra={"host": host, "port": port, "channels": [c.id for c in channels]})
    yield
    for server in servers:
        server.close()
    for server in servers:
        await server.wait_closed()
