"""The fields of a channel's config the Telegram bridge reads (names equal ``ChannelConfig``'s)."""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_API_BASE = "https://api.telegram.org"


@dataclass(frozen=True, slots=True)
class TelegramConfig:
    """One Telegram channel: its webhook secret, bot token and API base.

    ``secret`` and ``token`` stay out of ``repr`` so that logging a config never leaks them."""

    secret: str = field(default="", repr=False)  # X-Telegram-Bot-Api-Secret-Token, set with setWebhook
    token: str = field(default="", repr=False)  # the bot token from @BotFather; it is part of every URL
    api_base: str = DEFAULT_API_BASE  # a local stand-in in tests and in the demo
    allow_groups: bool = False  # take group and supergroup messages too (private chats only by default)

    @property
    def base(self) -> str:
        """The API base without a trailing slash ("" in the config means the real Bot API)."""
        return (self.api_base or DEFAULT_API_BASE).rstrip("/")
