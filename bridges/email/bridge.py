"""The email bridge of one channel: the ``Bridge`` protocol over ``inbound``, ``compose`` and the
SMTP client.

Health follows what the SMTP server last said: a refused login turns it ``auth_failed``, a 4xx or
an unreachable server ``transient_error``, any mail it took ``ok`` again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import ClientSession

from bridges.base import Delivery, Fatal, HealthTracker, Media, Outbound, Sent
from bridges.email import inbound
from bridges.email.client import SmtpClient
from bridges.email.compose import compose
from bridges.email.config import EmailConfig
from bridges.events import Event


class EmailBridge(HealthTracker):
    """One configured mailbox, built by ``SPEC.factory`` (the HTTP session is not needed: SMTP)."""

    def __init__(self, config: EmailConfig, http: ClientSession | None = None) -> None:
        self.config = config
        self.client = SmtpClient(config)

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        inbound.verify_signature(headers, body, self.config.secret)

    def handshake(self, query: Mapping[str, str], body: bytes) -> str | None:
        return None  # a mail forwarder posts mail, it never asks to subscribe

    def deliveries(self, body: bytes) -> list[Delivery]:
        return inbound.split(body)

    def parse(self, unit: Any) -> list[Event]:
        return inbound.parse(unit)

    async def send(self, outbound: Outbound) -> Sent:
        """Compose the reply and hand it to the SMTP server once; ``Sent.message_id`` is ours, without <>."""
        msg = compose(outbound, self.config)
        sender = str(msg["From"].addresses[0].addr_spec)
        answer = await self._tracked(self.client.send(msg, sender, outbound.thread))
        return Sent(message_id=str(msg["Message-ID"]).strip().strip("<>"), raw=answer)

    async def fetch(self, ref: str, max_bytes: int) -> Media:
        raise Fatal("email attachments arrive with the mail", code="inline")
