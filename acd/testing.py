"""Small builders of tenant configs for tests, the simulator and the benchmarks."""

from __future__ import annotations

from typing import Any

from gateway.config.schema import AgentConfig, QueueConfig, StepConfig, TenantConfig


def agent(
    agent_id: str,
    skills: dict[str, int] | None = None,
    languages: tuple[str, ...] = ("en",),
    capacity: dict[str, int] | None = None,
    auto_accept: bool = False,
) -> AgentConfig:
    """An agent with skill ``s`` 3, English and one chat slot unless told otherwise."""
    return AgentConfig(
        id=agent_id,
        name=agent_id.capitalize(),
        password_hash="",
        languages=list(languages),
        skills=dict(skills if skills is not None else {"s": 3}),
        capacity=dict(capacity if capacity is not None else {"chat": 1}),
        auto_accept=auto_accept,
    )


def queue(queue_id: str, skill: str = "s", steps: list[StepConfig] | None = None, **kw: Any) -> QueueConfig:
    """A queue on ``skill``; one open step unless told otherwise."""
    q = QueueConfig(id=queue_id, skill=skill, name=queue_id.upper(), **kw)
    if steps is not None:
        q.steps = steps
    return q


def tenant(agents: list[AgentConfig], queues: list[QueueConfig] | None = None, **kw: Any) -> TenantConfig:
    """Tenant ``t`` with these agents and queues (default: one queue ``q`` on skill ``s``)."""
    qs = queues if queues is not None else [queue("q")]
    return TenantConfig(
        id=kw.pop("tenant_id", "t"),
        agents={a.id: a for a in agents},
        queues={q.id: q for q in qs},
        **kw,
    )


T0 = 1_700_000_000.0  # the virtual "now" tests start from


async def started_engine(redis: Any, tenant: TenantConfig, available: tuple[str, ...] = (), *, stagger: bool = False):
    """An Engine with its config loaded at T0 and ``available`` agents set available
    (``stagger``: one second apart, so the first named has been idle longest)."""
    from acd.engine import Engine

    engine = Engine(redis, tenant)
    await engine.sync_config(T0)
    for i, aid in enumerate(available):
        await engine.set_state(aid, "available", T0 + (i if stagger else 0))
    return engine
