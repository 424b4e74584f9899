"""Facebook Messenger (Meta's Messenger Platform): signed page webhooks in, the Send API out."""

from __future__ import annotations

from bridges.base import BridgeSpec, Rates
from bridges.messenger.bridge import MessengerBridge
from bridges.messenger.config import MessengerConfig

SPEC = BridgeSpec(
    type="messenger",
    work_channel="messaging",
    identity_kind="messenger",
    config=MessengerConfig,
    factory=MessengerBridge,
    secrets=("app_secret", "verify_token", "token"),
    # Meta: 300 Send API calls/s per page for text (10/s with audio or video), and "too many messages
    # to a single thread" is throttled without a number: one a second per customer, 250/s per page.
    rates=Rates(per_chat_s=1.0, per_channel_per_s=250.0),
    window_s=24 * 3600,  # the standard messaging window after the customer's last message
    tag_window_s=7 * 24 * 3600,  # HUMAN_AGENT-tagged replies, for pages with that permission
)

__all__ = ["SPEC", "MessengerBridge", "MessengerConfig"]
