"""A messenger conversation's reply window: until when the business may write freely (WhatsApp and
Messenger: 24 hours after the customer's last message), and what it may do after (a template; with
the page's permission, Messenger's HUMAN_AGENT tag up to 7 days)."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from acd import replies
from bridges.registry import spec_of
from gateway.config.schema import Config
from gateway.keys import TenantKeys
from gateway.store.conversations import Conversation


@dataclass(frozen=True, slots=True)
class Window:
    """When the business may still write freely, and what it may do after."""

    closes_at: float | None  # epoch s; None: no window on this platform
    kind: str | None  # "whatsapp_24h" | "messenger_24h" | None
    tag_until: float | None = None  # Messenger: with HUMAN_AGENT, up to then
    templates: tuple[str, ...] = ()  # languages with a configured template (WhatsApp)

    def wire(self) -> dict:
        return {"window_closes_at": self.closes_at, "window_kind": self.kind, "templates": list(self.templates)}


async def window_of(redis: Redis, config: Config, conv: Conversation) -> Window:
    """The reply window of a messenger conversation (from the customer's last message)."""
    spec = spec_of(conv.channel_type)
    if spec is None or spec.window_s is None:
        return Window(None, None)
    channel = config.tenants[conv.tenant].channels.get(conv.channel)
    raw = replies.maybe_text(await redis.hget(TenantKeys(conv.tenant).conv(conv.id), "last_customer_at"))
    last = float(raw) if raw else conv.created_at
    tag_until = last + spec.tag_window_s if spec.tag_window_s and channel and channel.human_agent_tag else None
    kind = "whatsapp_24h" if spec.type == "whatsapp" else f"{spec.type}_24h"
    return Window(last + spec.window_s, kind, tag_until, tuple(sorted(channel.templates)) if channel else ())
