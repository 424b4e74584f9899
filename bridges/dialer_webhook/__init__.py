"""The ``webhook`` dialer: call requests as signed JSON POSTs, reports back on the gateway's route."""

from __future__ import annotations

from bridges.dialer import DialerSpec
from bridges.dialer_webhook.client import WebhookDialer
from bridges.dialer_webhook.config import WebhookDialerConfig

SPEC: DialerSpec[WebhookDialerConfig] = DialerSpec(
    type="webhook", config=WebhookDialerConfig, factory=WebhookDialer, secrets=("url", "secret"),
)

__all__ = ["SPEC", "WebhookDialer", "WebhookDialerConfig"]
