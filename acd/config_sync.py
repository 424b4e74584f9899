"""Writes a tenant's RoutingConfig (acd.model) into the Redis form the scripts read."""

from __future__ import annotations

from typing import Any

import orjson

from .model import Agent, Queue, RoutingConfig


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def tenant_fields(config: RoutingConfig, event_maxlen: int) -> dict[str, str]:
    """The tenant-wide routing settings (acd:cfg hash)."""
    rules = {
        ch: {
            "blocks": list(rule.blocks),
            **({"max_realtime_occupancy": rule.max_realtime_occupancy}
               if rule.max_realtime_occupancy is not None else {}),
        }
        for ch, rule in config.rules.items()
    }
    return {
        "rules": _json(rules),
        "grace": str(config.disconnect_grace_s),
        "max_missed": str(config.max_missed_offers),
        "queues": _json({q.id: q.skill for q in config.queues.values()}),
        "evmax": str(event_maxlen),
        # the occupancy-scored agent indexes are only kept when some queue routes by them
        "occ": "1" if any(q.policy == "least_occupancy" for q in config.queues.values()) else "0",
    }


def queue_json(queue: Queue) -> str:
    """One queue's config as the scripts read it (None values left out: Lua sees nil)."""
    steps = []
    for st in queue.steps:
        step: dict[str, Any] = {
            "min_proficiency": max(1, min(5, st.min_proficiency)),
            "relax_language": st.relax_language,
            "escalate": list(st.escalate),
        }
        if st.timeout_s is not None:
            step["timeout_s"] = st.timeout_s
        if st.overflow:
            step["overflow"] = st.overflow
        steps.append(step)
    return _json({
        "skill": queue.skill,
        "policy": queue.policy,
        "priority": queue.priority,
        "aging_per_min": queue.aging_per_min,
        "sla_threshold_s": queue.sla_threshold_s,
        "wrapup_s": queue.wrapup_s,
        "decline_cooldown_s": max(0.0, float(queue.decline_cooldown_s)),
        "offer_timeout": dict(queue.offer_timeout_s),
        "steps": steps or [{"min_proficiency": 1, "relax_language": False, "escalate": []}],
    })


def agent_args(agent: Agent) -> list[str]:
    """ARGV[3..7] of sync_agent.lua."""
    skills = {skill: min(5, int(p)) for skill, p in agent.skills.items() if int(p) >= 1}
    return [
        agent.name or agent.id,
        _json(list(agent.languages)),
        _json(skills),
        _json({ch: int(n) for ch, n in agent.capacity.items()}),
        "1" if agent.auto_accept else "0",
    ]
