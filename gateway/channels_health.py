"""Health of a configured channel as an explicit state, shown in /healthz.

The static part comes from the config and the bridge registry (no bridge: unavailable; a required
secret missing: disabled); what a channel learns at run time (the platform refused our token, the
platform is down) is kept in Redis, so every gateway process reports the same state.
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bridges.base import Health
from bridges.dialers import DIALERS
from bridges.registry import spec_of
from gateway.config.schema import ChannelConfig, Config
from gateway.event_webhooks.sources import set_health
from gateway.keys import TenantKeys

# Channel types the gateway carries itself, without a bridge (the widget has a live socket).
NATIVE_TYPES = {"widget"}


def missing_secrets(channel: ChannelConfig) -> list[str]:
    """The secrets a bridged channel (or a dialer) needs and its config leaves empty (it then fails closed)."""
    spec: Any = spec_of(channel.type) or DIALERS.get(channel.type)
    return [] if spec is None else [name for name in getattr(spec, "secrets", ()) if not getattr(channel, name, "")]


def channel_health(channel: ChannelConfig, live: str | None = None) -> str:
    """'ok'; 'unavailable: …' for a type this build has no bridge for (its webhooks answer 404);
    'disabled: …' when a secret is missing (its webhooks are then rejected); else the state the
    channel reported at run time (``live``: auth_failed, transient_error), when there is one."""
    if channel.type not in NATIVE_TYPES and spec_of(channel.type) is None and channel.type not in DIALERS:
        return "unavailable: no bridge for this channel type in this version"
    missing = missing_secrets(channel)
    if missing:
        return f"{Health.DISABLED}: {', '.join(missing)} not configured"
    return live or Health.OK.value


async def live_states(redis: Redis, config: Config) -> dict[tuple[str, str], str]:
    """The run-time state of every bridged channel that reported one, by (tenant, channel id);
    empty when Redis is unreachable (/healthz says so on its own)."""
    states: dict[tuple[str, str], str] = {}
    try:
        for tid in config.tenants:
            for cid, state in (await redis.hgetall(TenantKeys(tid).channel_health())).items():
                states[(tid, _text(cid))] = _text(state)
    except (RedisError, OSError):
        return {}
    return states


async def report(redis: Redis, tenant: str, channel: str, state: Health) -> None:
    """Record what a channel just learned; OK clears an earlier failure. A change is also a
    channel.health_changed event for the tenant's webhook subscriptions (gateway/event_webhooks)."""
    await set_health(redis, tenant, channel, "" if state is Health.OK else state.value)


async def state_of(redis: Redis, tenant: str, channel: str) -> Health | None:
    """The failure state a channel is in, or None when it has none."""
    value = await redis.hget(TenantKeys(tenant).channel_health(), channel)
    return Health(_text(value)) if value else None


async def reset(redis: Redis, tenant: str, channels: list[str]) -> None:
    """Forget the failures of these channels: a process starting (maybe with fixed credentials) retries."""
    if channels:
        await redis.hdel(TenantKeys(tenant).channel_health(), *channels)


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value
