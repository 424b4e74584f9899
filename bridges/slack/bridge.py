"""The Slack bridge of one configured app: the ``Bridge`` protocol for its webhook (signature,
url_verification, deliveries, parse) plus the Web API client the gateway posts with.

Slack is where agents answer, not where customers write: ``send`` and ``fetch`` refuse (the gateway
mirrors conversations through ``client`` instead).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import ClientSession
from slack_sdk.signature import Clock

from bridges.base import Delivery, Fatal, HealthTracker, Media, Outbound, Sent
from bridges.events import Event
from bridges.slack import inbound
from bridges.slack.client import SlackClient
from bridges.slack.config import SlackConfig
from bridges.slack.signature import verify


class SlackBridge(HealthTracker):
    """One Slack app, built by ``SPEC.factory`` with the shared Slack session."""

    clock: Clock | None = None  # a test may freeze the signature check's clock

    def __init__(self, config: SlackConfig, http: ClientSession) -> None:
        self.config = config
        self.client = SlackClient(http, config.base, config.token)

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        verify(headers, body, self.config.signing_secret, self.clock)

    def handshake(self, query: Mapping[str, str], body: bytes) -> str | None:
        return inbound.challenge(body) if body else None

    def deliveries(self, body: bytes) -> list[Delivery]:
        return inbound.split(body)

    def parse(self, unit: Any) -> list[Event]:
        return inbound.parse(unit)

    async def send(self, outbound: Outbound) -> Sent:
        raise Fatal("Slack is an agents' channel: customers are not answered on it", code="not_a_customer_channel")

    async def fetch(self, ref: str, max_bytes: int) -> Media:
        raise Fatal("Slack is an agents' channel: it has no customer files", code="not_a_customer_channel")

    async def tracked(self, call: Any) -> Any:
        """A client call whose outcome sets the bridge's health (auth_failed, transient_error, ok)."""
        return await self._tracked(call)
