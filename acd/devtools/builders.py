"""Small builders of routing configs for tests, the simulator and the benchmarks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..engine import Engine
from ..model import Agent, Queue, RoutingConfig, Step


def agent(
    agent_id: str,
    skills: dict[str, int] | None = None,
    languages: tuple[str, ...] = ("en",),
    capacity: dict[str, int] | None = None,
    auto_accept: bool = False,
) -> Agent:
    """An agent with skill ``s`` 3, English and one chat slot unless told otherwise."""
    return Agent(
        id=agent_id,
        name=agent_id.capitalize(),
        languages=tuple(languages),
        skills=dict(skills if skills is not None else {"s": 3}),
        capacity=dict(capacity if capacity is not None else {"chat": 1}),
        auto_accept=auto_accept,
    )


def queue(queue_id: str, skill: str = "s", steps: Sequence[Step] | None = None, **kw: Any) -> Queue:
    """A queue on ``skill``; one open step unless told otherwise."""
    if steps is not None:
        kw["steps"] = tuple(steps)
    return Queue(id=queue_id, skill=skill, name=queue_id.upper(), **kw)


def tenant(agents: list[Agent], queues: list[Queue] | None = None, **kw: Any) -> RoutingConfig:
    """Tenant ``t`` with these agents and queues (default: one queue ``q`` on skill ``s``)."""
    qs = queues if queues is not None else [queue("q")]
    return RoutingConfig(
        tenant_id=kw.pop("tenant_id", "t"),
        agents={a.id: a for a in agents},
        queues={q.id: q for q in qs},
        **kw,
    )


T0 = 1_700_000_000.0  # the virtual "now" tests start from


async def started_engine(
    redis: Any, config: RoutingConfig, available: tuple[str, ...] = (), *, stagger: bool = False
) -> Engine:
    """An Engine with its config loaded at T0 and ``available`` agents set available
    (``stagger``: one second apart, so the first named has been idle longest)."""
    engine = Engine(redis, config)
    await engine.sync_config(T0)
    for i, aid in enumerate(available):
        await engine.set_state(aid, "available", T0 + (i if stagger else 0))
    return engine
