"""Routing decisions and offer outcomes as Prometheus counters, counted where the effects of each
decision are applied: every decision runs in exactly one process, so summed over processes each
offer counts once. In memory only (a counter's increment), nothing on Redis."""

from __future__ import annotations

from acd.effects import Assigned, Effect, Offered, OfferRevoked, TaskRequeued
from gateway.metrics import Metrics


def count(metrics: Metrics, tenant: str, op: str, effects: list[Effect]) -> None:
    """Count one ACD call and what its effects say about offers and requeues."""
    metrics.routing_decisions.labels(tenant, op).inc()
    for e in effects:
        if isinstance(e, Offered):
            metrics.offers.labels(tenant, e.queue, e.channel, "made").inc()
        elif isinstance(e, Assigned):
            # an answered offer; otherwise given at once (a supervisor's assign, an auto-accepting agent)
            outcome = "accepted" if op == "accept" else "assigned"
            metrics.offers.labels(tenant, e.queue, e.channel, outcome).inc()
        elif isinstance(e, OfferRevoked):  # declined | expired | cancelled
            metrics.offers.labels(tenant, e.queue, e.channel, e.reason).inc()
        elif isinstance(e, TaskRequeued):
            metrics.requeued.labels(tenant, e.queue, e.reason).inc()
