"""Email: raw MIME in (the gateway's SMTP listener, or ``POST /webhooks/email/{channel}`` signed
with ``X-Omnirelay-Signature``), threaded replies out through the tenant's SMTP server (``SPEC``)."""

from __future__ import annotations

from bridges.base import BridgeSpec
from bridges.email.bridge import EmailBridge
from bridges.email.config import EmailConfig

SPEC = BridgeSpec(
    type="email",
    work_channel="email",
    identity_kind="email",  # the sender's address, lower-cased: merged with the contact's other channels
    config=EmailConfig,
    factory=EmailBridge,
    secrets=("secret",),  # no secret: POST /webhooks/email/… fails closed (the SMTP listener needs none)
)

__all__ = ["SPEC", "EmailBridge", "EmailConfig"]
