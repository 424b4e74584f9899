"""Every dialer this build carries, by channel type (outbound-only; not in ``bridges/registry.py``)."""

from __future__ import annotations

from typing import Any

from bridges import dialer_webhook
from bridges.ari import ARI_DIALER
from bridges.dialer import DialerSpec

DIALERS: dict[str, DialerSpec[Any]] = {
    "webhook": dialer_webhook.SPEC,
    "ari": ARI_DIALER,
}
