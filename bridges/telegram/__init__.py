"""Telegram: webhooks with a secret-token header, replies through the Bot API (``SPEC``)."""

from __future__ import annotations

from bridges.base import BridgeSpec, Rates
from bridges.telegram.bridge import TelegramBridge
from bridges.telegram.config import TelegramConfig

SPEC = BridgeSpec(
    type="telegram",
    work_channel="messaging",
    identity_kind="telegram",  # the Telegram user id (from.id), the same in every chat with the bot
    config=TelegramConfig,
    factory=TelegramBridge,
    secrets=("secret", "token"),  # no secret: nothing is verified; no token: nothing can be answered
    # Telegram's FAQ: about one message per second in a chat, about 30 per second over all chats
    rates=Rates(per_chat_s=1.0, per_channel_per_s=30.0),
)

__all__ = ["SPEC", "TelegramBridge", "TelegramConfig"]
