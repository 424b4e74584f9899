"""Health of a configured channel as an explicit state, shown in /healthz."""

from __future__ import annotations

from gateway.config.schema import ChannelConfig

# Which secret each channel type needs before its webhooks are accepted.
REQUIRED_SECRETS = {
    "telegram": ("secret",),
    "whatsapp": ("app_secret", "verify_token"),
    "messenger": ("app_secret", "verify_token"),
    "slack": ("signing_secret",),
}


# Channel types whose traffic this build can carry (a bridge, or the widget's own socket).
IMPLEMENTED_TYPES = {"widget"}


def channel_health(channel: ChannelConfig) -> str:
    """'ok'; 'unavailable: …' for a type this build has no bridge for (its webhooks answer 404);
    'disabled: …' when a secret is missing (its webhooks are then rejected)."""
    if channel.type not in IMPLEMENTED_TYPES:
        return "unavailable: no bridge for this channel type in this version"
    missing = [name for name in REQUIRED_SECRETS.get(channel.type, ()) if not getattr(channel, name)]
    if missing:
        return f"disabled: {', '.join(missing)} not configured"
    return "ok"
