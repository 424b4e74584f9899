"""The fields of a channel's config the Messenger bridge reads (names as in ``ChannelConfig``)."""

from __future__ import annotations

from dataclasses import dataclass

GRAPH_API = "https://graph.facebook.com/v26.0"  # used when the channel names no api_base


@dataclass(frozen=True, slots=True)
class MessengerConfig:
    app_secret: str = ""  # the Meta app's secret: key of X-Hub-Signature-256
    verify_token: str = ""  # what we typed into the app dashboard: hub.verify_token of the handshake
    token: str = ""  # the Page access token (sent as a bearer header, never in a URL)
    api_base: str = ""  # Graph API base with its version; tests point it at a local stand-in
    human_agent_tag: bool = False  # the page holds Meta's HUMAN_AGENT permission (replies up to 7 days)

    @property
    def graph(self) -> str:
        """The Graph API base to call, without a trailing slash."""
        return (self.api_base or GRAPH_API).rstrip("/")
