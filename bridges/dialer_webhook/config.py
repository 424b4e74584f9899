"""The fields a webhook dialer channel reads from its config (names as in the gateway's channel config)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class WebhookDialerConfig:
    url: str  # where call requests are POSTed (the phone system's endpoint)
    secret: str  # HMAC-SHA256 key of X-Omnirelay-Signature, both ways
