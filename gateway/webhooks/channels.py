"""The live bridges of this process: one Bridge per configured channel whose type has a bridge.

Built once at start-up from the config and the registry; a channel whose required secret is missing
gets no Bridge at all (it fails closed: every webhook 401), and that is logged once, here.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientSession

from bridges.base import Bridge, BridgeSpec
from bridges.registry import spec_of
from gateway.channels_health import missing_secrets
from gateway.config.schema import ChannelConfig, Config

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BridgedChannel:
    """One configured channel with a bridge; ``bridge`` is None while it is disabled (a secret missing)."""

    tenant: str
    id: str
    config: ChannelConfig
    spec: BridgeSpec[Any]
    bridge: Bridge | None


def bridge_config(spec: BridgeSpec[Any], channel: ChannelConfig) -> Any:
    """The bridge's own config model, its fields read from the channel's config by name."""
    names = {f.name for f in dataclasses.fields(spec.config)}
    return spec.config(**{name: getattr(channel, name) for name in names if hasattr(channel, name)})


class Arrivals:
    """How many webhook requests this process is answering right now: while deliveries pour in, the
    ingest worker handles one chat at a time, so the platforms' 200s keep the process first (a
    platform that waits too long retries, and Meta disables a webhook that stays slow); the backlog
    is durable in Redis and caught up as soon as the flood eases."""

    FLOOD = 8  # requests in flight at once from which this process counts as flooded

    def __init__(self) -> None:
        self.in_flight = 0

    @property
    def flooded(self) -> bool:
        return self.in_flight >= self.FLOOD


class BridgedChannels:
    """Every bridged channel of the installation, found by the ids a webhook URL carries."""

    def __init__(self, config: Config, http: Callable[[str], ClientSession]) -> None:
        """``http(type)`` gives the HTTP client of one platform's API (one per type, shared by its channels)."""
        self.arrivals = Arrivals()
        self._by_id: dict[str, list[BridgedChannel]] = {}
        self._by_key: dict[tuple[str, str], BridgedChannel] = {}
        for tid, tenant in config.tenants.items():
            for cid, channel in tenant.channels.items():
                spec = spec_of(channel.type)
                if spec is None:
                    continue
                missing = missing_secrets(channel)
                if missing:
                    log.warning("channel disabled: a required secret is missing; its webhooks are rejected",
                                extra={"tenant": tid, "channel": cid, "missing": missing})
                bridge = None if missing else spec.factory(bridge_config(spec, channel), http(spec.type))
                entry = BridgedChannel(tid, cid, channel, spec, bridge)
                self._by_id.setdefault(cid, []).append(entry)
                self._by_key[(tid, cid)] = entry

    def for_webhook(self, channel_type: str, channel_id: str) -> BridgedChannel | None:
        """The channel a webhook URL names; None when unknown, of another type, or ambiguous."""
        found = [c for c in self._by_id.get(channel_id, ()) if c.spec.type == channel_type]
        return found[0] if len(found) == 1 else None

    def get(self, tenant: str, channel_id: str) -> BridgedChannel | None:
        return self._by_key.get((tenant, channel_id))

    def of_tenant(self, tenant: str) -> list[BridgedChannel]:
        return [c for (tid, _), c in self._by_key.items() if tid == tenant]

    @property
    def tenants(self) -> list[str]:
        """Tenants with at least one bridged channel (the only ones the workers need to watch)."""
        return sorted({tid for tid, _ in self._by_key})
