"""Asterisk ARI: an outbound-only dialer that rings the agent, then the customer, and bridges them.

Not a messaging bridge (nothing in ``bridges/registry.py``). Unlike the webhook dialer it holds a
connection: after ``ARI_DIALER.factory(config, http, on_outcome)`` the gateway must ``await
dialer.start()`` (the events websocket; ``dial`` answers NotReady until it is open) and ``await
dialer.close()`` before closing the session.
"""

from __future__ import annotations

from bridges.ari.config import AriConfig
from bridges.ari.dialer import AriDialer
from bridges.dialer import DialerSpec

ARI_DIALER: DialerSpec[AriConfig] = DialerSpec(
    type="ari", config=AriConfig, factory=AriDialer, secrets=("username", "password"),
)

__all__ = ["ARI_DIALER", "AriConfig", "AriDialer"]
