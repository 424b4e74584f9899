"""A discrete-event simulation that drives the real Engine in virtual time.

Poisson arrivals, exponential handle times, single-channel agents that auto-accept and close
with a wrap-up code (no wrap-up time): the M/M/N queue Erlang C describes, so the measured
service level and ASA can be set next to the formula's. Every decision still runs through the
Lua scripts in Redis; only the clock is virtual.
"""

from __future__ import annotations

import heapq
import math
import random
from dataclasses import dataclass

import redis.asyncio as aioredis

from .. import erlang
from ..effects import Assigned, Effect, QueuePosition
from ..engine import Engine
from ..model import Task
from . import builders


@dataclass
class SimResult:
    agents: int
    traffic: float
    contacts: int  # measured contacts (after the warm-up)
    service_level: float
    asa_s: float
    p_wait: float
    erlang_service_level: float
    erlang_asa_s: float
    erlang_p_wait: float
    virtual_s: float
    ewt_samples: int = 0  # measured contacts that had to wait and were given an EWT
    ewt_mae_s: float = 0.0  # mean |EWT at arrival − realised wait|
    ewt_bias_s: float = 0.0  # mean (EWT − realised wait): > 0 means the estimate was pessimistic
    mean_wait_of_waiting_s: float = 0.0  # for scale: the mean realised wait of those contacts
    constant_mae_s: float = 0.0  # the error of telling every one of them that mean: what EWT must beat


async def simulate(
    redis: aioredis.Redis,
    *,
    agents: int = 14,
    arrivals_per_s: float = 100 / 1800,
    aht_s: float = 180.0,
    threshold_s: float = 20.0,
    contacts: int = 20_000,
    warmup: float = 0.02,
    seed: int = 1,
    start: float = 1_000_000.0,
) -> SimResult:
    """Run ``contacts`` arrivals through a fresh tenant ``sim`` and measure the service level."""
    rng = random.Random(seed)
    tenant = builders.tenant(
        [builders.agent(f"a{i}", auto_accept=True) for i in range(agents)],
        [builders.queue("q", wrapup_s=0, aht_s=aht_s, sla_threshold_s=threshold_s)],
        tenant_id="sim",
    )
    engine = Engine(redis, tenant, event_maxlen=50_000)
    await engine.sync_config(start)
    for i in range(agents):
        await engine.set_state(f"a{i}", "available", start)

    events: list[tuple[float, int, str, str]] = []  # (time, seq, kind, task id)
    seq = 0
    arrived_at: dict[str, float] = {}
    waits: list[float] = []
    promised: dict[str, float] = {}  # EWT told to a contact that had to wait
    ewt_errors: list[tuple[float, float]] = []  # (EWT, realised wait)
    skip = int(contacts * warmup)

    def on(effects: list[Effect], now: float) -> None:
        nonlocal seq
        for e in effects:
            if isinstance(e, QueuePosition) and e.ewt_s is not None:
                promised.setdefault(e.task_id, e.ewt_s)
            if isinstance(e, Assigned):
                n = int(e.task_id[1:])
                wait = now - arrived_at.pop(e.task_id)
                ewt = promised.pop(e.task_id, None)
                if n >= skip:
                    waits.append(wait)
                    if ewt is not None:
                        ewt_errors.append((ewt, wait))
                seq += 1
                heapq.heappush(events, (now + rng.expovariate(1 / aht_s), seq, "close", e.task_id))

    now = start
    next_arrival = start + rng.expovariate(arrivals_per_s)
    arrivals = 0
    while arrivals < contacts or len(waits) < contacts - skip:
        if arrivals < contacts and (not events or next_arrival <= events[0][0]):
            now = next_arrival
            tid = f"c{arrivals}"
            arrived_at[tid] = now
            arrivals += 1
            on(await engine.submit(Task(tid, "q", "chat", "en"), now, position=True), now)
            next_arrival = now + rng.expovariate(arrivals_per_s)
        else:
            now, _, _, tid = heapq.heappop(events)
            on(await engine.close(tid, now, wrapup_code="done"), now)

    traffic = arrivals_per_s * aht_s
    measured = len(waits)
    return SimResult(
        agents=agents,
        traffic=traffic,
        contacts=measured,
        service_level=sum(1 for w in waits if w <= threshold_s) / measured,
        asa_s=sum(waits) / measured,
        p_wait=sum(1 for w in waits if w > 1e-9) / measured,
        erlang_service_level=erlang.service_level(agents, traffic, aht_s, threshold_s),
        erlang_asa_s=erlang.asa(agents, traffic, aht_s) if agents > traffic else math.inf,
        erlang_p_wait=erlang.erlang_c(agents, traffic),
        virtual_s=now - start,
        ewt_samples=len(ewt_errors),
        ewt_mae_s=sum(abs(p - w) for p, w in ewt_errors) / len(ewt_errors) if ewt_errors else 0.0,
        ewt_bias_s=sum(p - w for p, w in ewt_errors) / len(ewt_errors) if ewt_errors else 0.0,
        mean_wait_of_waiting_s=(mean_wait := sum(w for _, w in ewt_errors) / len(ewt_errors) if ewt_errors else 0.0),
        constant_mae_s=sum(abs(mean_wait - w) for _, w in ewt_errors) / len(ewt_errors) if ewt_errors else 0.0,
    )
