"""Prometheus metrics of one gateway process (a registry per app, so tests can run several)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector, generate_latest


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)  # process_cpu_seconds_total, _resident_memory_bytes, _open_fds
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

        # supervisors' alerts (gateway/alerts): opened, resolved, failed (a post Slack refused; tried again)
        self.alerts = Counter(
            "omnirelay_alerts_total", "Supervisor alerts by kind and outcome", ["tenant", "kind", "outcome"],
            registry=self.registry,
        )
        # durability: replicated (gateway/durability.py): each WAIT for a replica, and how long it took
        self.replica_waits = Counter(
            "omnirelay_replica_waits_total", "Waits for a Redis replica before an ack, by outcome (ok, timeout)",
            ["outcome"], registry=self.registry,
        )
        self.replica_wait_seconds = Histogram(
            "omnirelay_replica_wait_seconds", "Time of one wait for a Redis replica (one per pipeline)",
            registry=self.registry, buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2.5),
        )

        # CRM lookups (gateway/crm): ok, not_found, and each kind of failure (counted, shown as "CRM unavailable")
        self.crm_lookups = Counter(
            "omnirelay_crm_lookups_total", "CRM lookups by outcome", ["tenant", "outcome"], registry=self.registry
        )
        self.crm_seconds = Histogram(
            "omnirelay_crm_lookup_seconds", "Time of one CRM lookup request", ["tenant"], registry=self.registry,
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2.5, 5, 10),
        )

        # event webhooks out (gateway/event_webhooks)
        self.event_webhooks = Counter(
            "omnirelay_event_webhook_deliveries_total", "Event webhook attempts by outcome (ok, failed: retried later, "
            "dead_lettered)", ["tenant", "outcome"], registry=self.registry,
        )
        self.event_webhook_queue = Gauge(
            "omnirelay_event_webhook_queue_depth", "Event webhook deliveries waiting to be sent", ["tenant"],
            registry=self.registry,
        )
        self.event_webhook_dead = Gauge(
            "omnirelay_event_webhook_dead_letters", "Event webhook deliveries parked as dead letters", ["tenant"],
            registry=self.registry,
        )
        self.event_webhook_acd_lag = Gauge(
            "omnirelay_event_webhook_acd_lag", "ACD event log entries the event webhooks have not read yet (past the "
            "log's bound, evmax, routing events are missed)", ["tenant"], registry=self.registry,
        )

        # every queue and loop (gateway/metrics_sampler.py samples the gauges; docs/metrics.md lists them all)
        self.handler_seconds = Histogram(
            "omnirelay_socket_handler_seconds", "Time of one Socket.IO event handler, ack included", ["namespace", "event"],
            registry=self.registry, buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
        )
        self.routing_decisions = Counter(
            "omnirelay_routing_decisions_total", "ACD calls by tenant and operation (tick: the timers)", ["tenant", "op"],
            registry=self.registry,
        )
        self.offers = Counter(
            "omnirelay_offers_total", "Offer outcomes: made, accepted, declined, expired, cancelled; assigned = given "
            "to an agent without an offer to answer (a supervisor's assign, an auto-accepting agent)",
            ["tenant", "queue", "channel", "outcome"], registry=self.registry,
        )
        self.requeued = Counter(
            "omnirelay_requeued_total", "Conversations put back in line, by reason (agent_offline, transferred)",
            ["tenant", "queue", "reason"], registry=self.registry,
        )
        self.ingest_pending = Gauge(
            "omnirelay_ingest_pending", "Verified webhook deliveries stored and not yet handled", ["tenant"],
            registry=self.registry,
        )
        self.ingest_lag = Gauge(
            "omnirelay_ingest_lag_seconds", "Age of the oldest verified webhook delivery not yet handled", ["tenant"],
            registry=self.registry,
        )
        self.outbox_conversations = Gauge(
            "omnirelay_outbox_conversations", "Conversations with replies waiting in the outbox to a platform", ["tenant"],
            registry=self.registry,
        )
        self.outbox_oldest_due = Gauge(
            "omnirelay_outbox_oldest_due_seconds", "How long the most overdue outbox head has been due", ["tenant"],
            registry=self.registry,
        )
        self.queue_waiting = Gauge(
            "omnirelay_queue_waiting", "Conversations waiting in a queue (queued or offered)", ["tenant", "queue"],
            registry=self.registry,
        )
        self.queue_longest_wait = Gauge(
            "omnirelay_queue_longest_wait_seconds", "Wait of the longest-waiting conversation in a queue",
            ["tenant", "queue"], registry=self.registry,
        )
        self.queue_service_level = Gauge(
            "omnirelay_queue_service_level", "Share answered within the SLA threshold over the last 15 minutes "
            "(absent while nothing was answered or abandoned)", ["tenant", "queue"], registry=self.registry,
        )
        self.agents = Gauge(
            "omnirelay_agents", "Agents by state", ["tenant", "state"], registry=self.registry,
        )
        self.channel_up = Gauge(
            "omnirelay_channel_up", "1 while a channel is healthy, 0 when disabled, failing or unavailable",
            ["tenant", "channel", "type"], registry=self.registry,
        )
        self.redis_up = Gauge(
            "omnirelay_redis_up", "1 while this process reaches Redis", registry=self.registry,
        )
        self.fanout_resubscribes = Counter(
            "omnirelay_fanout_resubscribes", "Times this process's Socket.IO fan-out subscribed again after losing "
            "Redis (its sockets were then told to catch up)", registry=self.registry,
        )
        self.caught_up_sockets = Counter(
            "omnirelay_caught_up_sockets", "Sockets told to catch up after the fan-out subscribed again",
            ["namespace"], registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
