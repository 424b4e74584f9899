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

        # the history database (gateway/history): how far the archive is behind Redis
        self.archive_lag = Gauge(
            "omnirelay_archive_lag_seconds", "Age of the oldest change not yet archived in PostgreSQL", ["tenant"],
            registry=self.registry,
        )
        self.archive_pending = Gauge(
            "omnirelay_archive_pending", "Changes waiting to be archived in PostgreSQL", ["tenant"], registry=self.registry
        )
        self.history_up = Gauge(
            "omnirelay_history_database_up", "1 while the archive reaches the history database", registry=self.registry
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
