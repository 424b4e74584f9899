"""The fields a WhatsApp channel reads from its config (names as in the gateway's ChannelConfig)."""

from __future__ import annotations

from dataclasses import dataclass

# Meta's Graph API with the version the Cloud API docs show; a channel's ``api_base`` overrides it
# (the demo and the tests point it at a local stand-in).
DEFAULT_API_BASE = "https://graph.facebook.com/v26.0"


@dataclass(frozen=True, slots=True)
class WhatsAppConfig:
    app_secret: str = ""  # keys the X-Hub-Signature-256 HMAC of every webhook body
    verify_token: str = ""  # what Meta echoes in hub.verify_token when the webhook is subscribed
    token: str = ""  # system-user access token for the Cloud API (Bearer)
    phone_number_id: str = ""  # the business number this channel sends from and answers for
    api_base: str = ""

    @property
    def base_url(self) -> str:
        return (self.api_base or DEFAULT_API_BASE).rstrip("/")
