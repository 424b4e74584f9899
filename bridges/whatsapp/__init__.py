"""WhatsApp Business (Cloud API): signed webhooks in, replies, files and templates out."""

from __future__ import annotations

from bridges.base import BridgeSpec, Rates
from bridges.whatsapp.bridge import WhatsAppBridge
from bridges.whatsapp.config import WhatsAppConfig

SPEC = BridgeSpec(
    type="whatsapp",
    work_channel="messaging",
    identity_kind="whatsapp",
    config=WhatsAppConfig,
    factory=WhatsAppBridge,
    # without either, a forged webhook or a forged subscription could get through: fail closed
    secrets=("app_secret", "verify_token"),
    # Meta's pair limit is about one message per 6 s to one user on average, with bursts allowed
    # (131056 when exceeded, retried after 6 s). An agent typing two quick lines must not wait 6 s,
    # so the gateway spaces sends 1 s apart and lets the platform's answer slow a rare long burst.
    # 80 messages/s is a business number's default throughput (130429 beyond).
    rates=Rates(per_chat_s=1.0, per_channel_per_s=80.0),
    window_s=24 * 3600,  # free text only within 24 h of the customer's last message (131047 after)
)

__all__ = ["SPEC"]
