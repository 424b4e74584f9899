"""Prometheus metrics of one gateway process (a registry per app, so tests can run several)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.messages = Counter(
            "omnirelay_messages_total", "Messages stored", ["tenant", "author"], registry=self.registry
        )
        # Bridge metrics are labelled by channel type (bounded by the bridge registry), not channel id.
        self.webhooks = Counter(
            "omnirelay_webhooks_total", "Webhook requests by outcome", ["type", "outcome"], registry=self.registry
        )
        self.bridge_events = Counter(
            "omnirelay_bridge_events_total", "Canonical events parsed from webhooks, by kind", ["type", "kind"],
            registry=self.registry,
        )
        self.outbound = Counter(
            "omnirelay_outbound_total", "Agent replies through a bridge, by outcome", ["type", "outcome"],
            registry=self.registry,
        )
        self.sockets = Gauge(
            "omnirelay_socket_connections", "Open Socket.IO connections", ["namespace"], registry=self.registry
        )
        self.conversations = Counter(
            "omnirelay_conversations_opened_total", "Conversations opened", ["tenant", "channel"], registry=self.registry
        )
        self.routing_seconds = Histogram(
            "omnirelay_routing_call_seconds", "Time of one ACD call, gateway side", ["op"], registry=self.registry,
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1),
        )
        self.rejected = Counter(
            "omnirelay_rejected_total", "Inputs refused, by reason", ["reason"], registry=self.registry
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
