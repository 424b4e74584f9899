"""Which incidents a tenant has right now, from what the dashboard shows (plain functions, no I/O).

An incident has a stable key (``sla:billing``, ``health:telegram``, ``callback:<id>``): the same problem
seen again in the next check is the same incident, so it is posted once and resolved once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gateway.config.schema import AlertsConfig

SLA = "sla"  # a queue's service level under its target
WAIT = "wait"  # a queue's longest wait over the threshold
HEALTH = "health"  # a channel the platform refuses or cannot be reached
OFFLINE = "offline"  # an agent offline while holding open work
CALLBACK = "callback"  # a callback whose attempts ran out and nobody followed up yet
KINDS = (SLA, WAIT, HEALTH, OFFLINE, CALLBACK)


@dataclass(frozen=True)
class Incident:
    key: str
    kind: str
    subject: str  # the queue, channel, agent or callback it is about (its name when it has one)
    figures: Mapping[str, Any] = field(default_factory=dict)  # what the alert text shows


@dataclass(frozen=True)
class FailedCallback:
    """A callback that ended after its last attempt (``state`` failed), as the alert source records it."""

    id: str
    queue: str
    phone: str
    attempts: int
    followed_up: bool  # its conversation was closed or a new callback was booked since


def incidents(
    cfg: AlertsConfig, snapshot: Mapping[str, Any], health: Mapping[str, str], callbacks: Iterable[FailedCallback],
    now: float,
) -> dict[str, Incident]:
    """Every incident in the tenant's live figures: the supervisor ``snapshot`` (acd/snapshot.py),
    the run-time ``health`` of its channels ({channel id: state}, "" or "ok" when fine) and the
    callbacks that ran out of attempts."""
    found: dict[str, Incident] = {}
    for q in snapshot.get("queues", ()):
        name = q.get("name") or q["id"]
        level, target = q.get("service_level"), q.get("sla_target")
        judged = int(q.get("answered") or 0) + int(q.get("abandoned") or 0)
        if (cfg.service_level and level is not None and target is not None and judged >= cfg.min_contacts
                and level < target):
            found[f"{SLA}:{q['id']}"] = Incident(f"{SLA}:{q['id']}", SLA, name, {
                "level": level, "target": target, "contacts": judged})
        wait = float(q.get("longest_wait_s") or 0.0)
        if cfg.longest_wait_s > 0 and q.get("open", True) and wait > cfg.longest_wait_s:
            found[f"{WAIT}:{q['id']}"] = Incident(f"{WAIT}:{q['id']}", WAIT, name, {
                "wait_s": wait, "threshold_s": cfg.longest_wait_s, "waiting": int(q.get("waiting") or 0)})
    for channel, state in health.items():
        if state and state != "ok":
            found[f"{HEALTH}:{channel}"] = Incident(f"{HEALTH}:{channel}", HEALTH, channel, {"state": state})
    for agent in snapshot.get("agents", ()):
        open_work = sum(int(n) for n in (agent.get("load") or {}).values())
        since = now - float(agent.get("state_since", now))
        if agent.get("state") == "offline" and open_work > 0 and since >= cfg.offline_with_work_s:
            found[f"{OFFLINE}:{agent['id']}"] = Incident(f"{OFFLINE}:{agent['id']}", OFFLINE,
                                                         agent.get("name") or agent["id"],
                                                         {"open_work": open_work, "since_s": since})
    for cb in callbacks:
        if not cb.followed_up:
            found[f"{CALLBACK}:{cb.id}"] = Incident(f"{CALLBACK}:{cb.id}", CALLBACK, cb.queue, {
                "phone": cb.phone, "attempts": cb.attempts})
    return found
