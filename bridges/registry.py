"""Every bridge this build carries, by channel type: adding a platform is one line here.

The gateway reads this dict at run time (never a copy taken at import), so a test can register a
bridge of its own with ``monkeypatch.setitem(BRIDGES, ...)``.
"""

from __future__ import annotations

from typing import Any

from bridges import email, messenger, slack, telegram, whatsapp
from bridges.base import BridgeSpec

BRIDGES: dict[str, BridgeSpec[Any]] = {
    "telegram": telegram.SPEC,
    "whatsapp": whatsapp.SPEC,
    "messenger": messenger.SPEC,
    "email": email.SPEC,
    "slack": slack.SPEC,  # where agents answer (gateway/slack), not a customer channel
}


def spec_of(channel_type: str) -> BridgeSpec[Any] | None:
    """The spec of a channel type, or None for a type without a bridge (the widget, or not built yet)."""
    return BRIDGES.get(channel_type)
