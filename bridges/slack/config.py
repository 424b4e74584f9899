"""The fields of a channel's config the Slack bridge reads (names equal ``ChannelConfig``'s)."""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_API_BASE = "https://slack.com/api/"


@dataclass(frozen=True, slots=True)
class SlackConfig:
    """One Slack app in one workspace: its signing secret, bot token and Web API base.

    ``signing_secret`` and ``token`` stay out of ``repr`` so that logging a config never leaks them."""

    signing_secret: str = field(default="", repr=False)  # checks the v0 signature of every request from Slack
    token: str = field(default="", repr=False)  # the bot token (xoxb-…), sent as Authorization: Bearer
    api_base: str = DEFAULT_API_BASE  # a local stand-in in tests

    @property
    def base(self) -> str:
        """The Web API base with its trailing slash ("" in the config means the real Slack)."""
        base = self.api_base or DEFAULT_API_BASE
        return base if base.endswith("/") else base + "/"
