"""The gateway's email side under test: the demo gateway with its ``email`` channel on free loopback
ports, a customer's mail server (aiosmtpd) that records what we send and answers as scripted, and
hand-made canonical mail events (what the email bridge's ``parse`` yields, per the contract)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

from aiohttp.test_utils import TestServer
from aiosmtpd.smtp import SMTP, Envelope, Session
from conftest import DEMO_CONFIG, Gateway, eventually  # noqa: F401  (re-exported for the tests)
from ports import free_port  # noqa: F401  (re-exported for the tests)

from bridges.events import Customer, DeliveryStatus, Message
from gateway import appkeys as K
from gateway.app import create_app
from gateway.config import load_config

SECRET = "demo-secret-change-me-in-production"  # the demo config's server.secret_key without $OMNIRELAY_SECRET


class CustomerServer:
    """The customer's side of SMTP (and our relay): records every mail; ``script`` holds answers
    (e.g. "451 4.3.0 busy") given to the next DATA commands before the 250s."""

    def __init__(self) -> None:
        self.mails: list[EmailMessage] = []
        self.script: list[str] = []
        self.attempts = 0
        self.port = free_port()
        self._server: asyncio.Server | None = None

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.attempts += 1
        if self.script:
            return self.script.pop(0)
        self.mails.append(message_from_bytes(envelope.original_content or b"", policy=default_policy))  # type: ignore[arg-type]
        return "250 2.0.0 OK"

    async def __aenter__(self) -> CustomerServer:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: SMTP(self, hostname="customer.example", loop=loop),
                                                "127.0.0.1", self.port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()


@contextlib.asynccontextmanager
async def email_gateway(redis_url: str, relay_port: int, *, listen_port: int | None = None,
                        configure=None) -> AsyncIterator[Gateway]:
    """The demo gateway; its email channel sends through ``relay_port`` and listens on ``listen_port``."""
    config = load_config(DEMO_CONFIG, env={})
    channel = config.tenants["demo"].channels["email"]
    channel.smtp_port, channel.smtp_host, channel.smtp_tls = relay_port, "127.0.0.1", "none"
    channel.listen_port = listen_port or free_port()
    if configure is not None:
        configure(config)
    app = create_app(config, redis_url=redis_url)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    gw = Gateway(server)
    try:
        yield gw
    finally:
        await gw.close()
        await server.close()


def services(gw: Gateway) -> Any:
    return gw.app[K.SERVICES]


def mail(sender: str, text: str, *, message_id: str, name: str = "Kim Kunde", subject: str = "Rechnung",
         recipients: tuple[str, ...] = ("support@demo.example",), in_reply_to: str = "", references: tuple[str, ...] = (),
         markers: tuple[str, ...] = (), auto: str = "", quoted: str = "") -> Message:
    """A customer's mail as the email bridge hands it over (``message_id`` with its <>)."""
    details = {
        "subject": subject, "from": f"{name} <{sender}>", "to": list(recipients[:1]), "cc": list(recipients[1:]),
        "message_id": message_id, "in_reply_to": in_reply_to, "references": list(references),
        "recipients": list(recipients), "marker_tokens": list(markers), "quoted": quoted, "html": "", "auto": auto,
    }
    return Message(customer=Customer(id=sender.lower(), name=name), thread=sender.lower(), message_id=message_id,
                   ts=1_700_000_000.0, text=text, details=details)


def bounce(recipient: str, our_message_id: str, reason: str = "550 5.1.1 mailbox unknown") -> DeliveryStatus:
    return DeliveryStatus(thread=recipient, message_id=our_message_id.strip("<>"), status="failed", reason=reason)

