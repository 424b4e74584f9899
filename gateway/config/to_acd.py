"""The one place that knows both models: a tenant of the YAML config -> the ACD's RoutingConfig.

The ACD (acd/) imports nothing from the gateway; logins, channels, topics and widget settings stay
here, and the engine gets only what routing needs.
"""

from __future__ import annotations

from typing import cast

from acd.model import Agent, ChannelRule, Policy, Queue, RoutingConfig, Step
from gateway.config.schema import AgentConfig, QueueConfig, TenantConfig


def to_acd(tenant: TenantConfig) -> RoutingConfig:
    """The routing part of one tenant's config."""
    return RoutingConfig(
        tenant_id=tenant.id,
        queues={qid: _queue(q) for qid, q in tenant.queues.items()},
        agents={aid: _agent(a) for aid, a in tenant.agents.items()},
        rules={
            ch: ChannelRule(blocks=tuple(rule.blocks), max_realtime_occupancy=rule.max_realtime_occupancy)
            for ch, rule in tenant.blending.rules.items()
        },
        disconnect_grace_s=tenant.disconnect_grace_s,
        max_missed_offers=tenant.max_missed_offers,
    )


def _queue(q: QueueConfig) -> Queue:
    return Queue(
        id=q.id, skill=q.skill, name=q.name,
        policy=cast(Policy, q.policy),  # the loader has checked it against POLICIES
        priority=q.priority, aging_per_min=q.aging_per_min,
        sla_threshold_s=q.sla_threshold_s, sla_target=q.sla_target, wrapup_s=q.wrapup_s,
        decline_cooldown_s=q.decline_cooldown_s, aht_s=q.aht_s, offer_timeout_s=dict(q.offer_timeout_s),
        steps=tuple(
            Step(timeout_s=s.timeout_s, min_proficiency=s.min_proficiency, relax_language=s.relax_language,
                 overflow=s.overflow, escalate=tuple(s.escalate))
            for s in q.steps
        ),
    )


def _agent(a: AgentConfig) -> Agent:
    # no password hash, no email: the engine routes, it does not log anyone in; a disabled agent
    # keeps the profile but has no capacity, so nothing is routed to them
    return Agent(
        id=a.id, name=a.name, languages=tuple(a.languages), skills=dict(a.skills),
        capacity={} if a.disabled else dict(a.capacity), auto_accept=a.auto_accept,
    )
