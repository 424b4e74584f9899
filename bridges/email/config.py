"""The fields of a channel's config the email bridge reads (names equal ``ChannelConfig``'s).

The listener's fields (``listen_host``, ``listen_port``, ``accepted_domains``) are the gateway's:
the bridge only reads mail it is handed and sends through the tenant's SMTP server.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TLS_MODES = ("none", "starttls", "tls")


@dataclass(frozen=True, slots=True)
class EmailConfig:
    """One email channel: the tenant's address, the webhook key and the outbound SMTP server.

    Secrets stay out of ``repr`` so that logging a config never leaks them."""

    address: str = ""  # From of our mails when the gateway's context names none
    display_name: str = ""
    secret: str = field(default="", repr=False)  # HMAC key of POST /webhooks/email/{channel}
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_tls: str = "starttls"  # none | starttls | tls (implicit TLS, usually port 465)
    smtp_username: str = ""  # "" = the server takes mail without a login
    smtp_password: str = field(default="", repr=False)
    language: str = ""  # the channel's language: the quoted history's labels when the context has none
