"""``omnirelay channels register|check CHANNEL``: set a platform's webhook through its API and ask
what the platform says about it, so an operator never crafts curl calls (Telegram's setWebhook and
getWebhookInfo; Meta's webhooks are set in the app dashboard, as docs/channels.md explains)."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from aiohttp import ClientSession, ClientTimeout

from bridges.base import BridgeError
from bridges.registry import spec_of
from gateway.config import ConfigError, load_config
from gateway.config.schema import ChannelConfig, Config
from gateway.webhooks.channels import bridge_config


def add_parser(sub: Any) -> None:
    channels = sub.add_parser("channels", help="connect a messenger channel to its platform")
    channels.add_argument("action", choices=["register", "check"])
    channels.add_argument("channel", help="channel id from the config")
    channels.add_argument("--config", help="config file (default $OMNIRELAY_CONFIG)")
    channels.add_argument("--public-url", help="how the platform reaches this gateway, e.g. https://chat.example.com")


def _find(config: Config, channel_id: str) -> ChannelConfig | None:
    for tenant in config.tenants.values():
        if channel_id in tenant.channels:
            return tenant.channels[channel_id]
    return None


def run(args: argparse.Namespace, default_config: str | None) -> int:
    path = args.config or default_config
    if not path:
        print("omnirelay channels: no config (use --config PATH or set OMNIRELAY_CONFIG)")
        return 2
    try:
        config = load_config(path)
    except ConfigError as err:
        print("\n".join(err.lines()))
        return 1
    channel = _find(config, args.channel)
    spec = spec_of(channel.type) if channel else None
    if channel is None or spec is None:
        print(f"omnirelay channels: no messenger channel {args.channel!r} in {path}")
        return 1
    if args.action == "register" and not (args.public_url or config.server.public_url):
        print("omnirelay channels register: give --public-url (or set server.public_url)")
        return 2
    try:
        result = asyncio.run(_call(args, config, channel, spec))
    except (BridgeError, OSError) as err:
        print(f"omnirelay channels {args.action} {args.channel}: {err}")
        return 1
    if result is None:
        print(f"{channel.type} webhooks are set in the platform's app dashboard: see docs/channels.md")
        return 0
    print(json.dumps(result, indent=2, sort_keys=True))
    return 0


async def _call(args: argparse.Namespace, config: Config, channel: ChannelConfig, spec: Any) -> dict[str, Any] | None:
    async with ClientSession(timeout=ClientTimeout(total=30)) as http:
        bridge = spec.factory(bridge_config(spec, channel), http)
        if not hasattr(bridge, "register_webhook"):
            return None
        if args.action == "check":
            return dict(await bridge.webhook_info())
        base = (args.public_url or config.server.public_url).rstrip("/")
        return dict(await bridge.register_webhook(f"{base}/webhooks/{channel.type}/{channel.id}", channel.secret))
