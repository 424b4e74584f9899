"""The supervisor snapshot: every agent's state and load, every queue's figures."""

from __future__ import annotations

from typing import Any

import orjson
from redis.asyncio import Redis

from . import positions, stats
from .hours import read_all
from .keys import AcdKeys
from .model import WORK_CHANNELS, RoutingConfig


def agent_view(agent_id: str, h: dict[str, str]) -> dict[str, Any]:
    """One agent as the supervisor sees it; occupancy = sum of load/capacity, at most 1."""
    cap = {ch: int(n) for ch, n in orjson.loads(h.get("cap", "{}")).items()}
    load = {ch: int(float(h.get(f"l:{ch}", 0))) for ch in WORK_CHANNELS}
    occ = sum(load[ch] / cap[ch] for ch in WORK_CHANNELS if cap.get(ch, 0) > 0)
    return {
        "id": agent_id,
        "name": h.get("name", agent_id),
        "state": h.get("state", "offline"),
        "state_since": float(h.get("state_since", 0)),
        "load": load,
        "capacity": {ch: cap.get(ch, 0) for ch in WORK_CHANNELS},
        "occupancy": min(1.0, occ),
    }


async def agent_states(redis: Redis, k: AcdKeys, config: RoutingConfig) -> dict[str, str]:
    """agent id -> state, of every agent the ACD knows (one field each: cheaper than ``build``)."""
    ids = sorted(config.agents)
    async with redis.pipeline(transaction=False) as pipe:
        for aid in ids:
            pipe.hmget(k.agent(aid), ["state", "name"])
        rows = await pipe.execute()
    return {aid: state or "offline" for aid, (state, name) in zip(ids, rows, strict=True) if state or name}


async def build(redis: Redis, k: AcdKeys, config: RoutingConfig, now: float) -> dict[str, Any]:
    """The supervisor's ``snapshot``: {ts, agents: [...], queues: [...]}."""
    ids = sorted(config.agents)
    async with redis.pipeline(transaction=False) as pipe:
        for aid in ids:
            pipe.hgetall(k.agent(aid))
        pipe.hgetall(k.serving())
        for q in config.queues:
            for ch in WORK_CHANNELS:
                pipe.zcard(k.queue_order(q, ch))
        rows = await pipe.execute()
    agents = []
    for aid, h in zip(ids, rows[: len(ids)], strict=True):
        if h:
            view = agent_view(aid, h)
            view["time_in_state_s"] = max(0.0, now - view["state_since"])
            agents.append(view)
    serving = {key: int(v) for key, v in rows[len(ids)].items()}
    counts = rows[len(ids) + 1:]
    figures = await stats.live(redis, k, config, now)
    hours = await read_all(redis, k)
    queues = []
    for i, (q, cfg) in enumerate(config.queues.items()):
        fig = figures[q]
        # Queue EWT: the wait of the last task in line, on its worst channel.
        ewt: float | None = 0.0
        for j, ch in enumerate(WORK_CHANNELS):
            n = counts[i * len(WORK_CHANNELS) + j]
            if n:
                e = positions.ewt(n, fig["aht_s"], serving.get(f"{cfg.skill}:{ch}", 0))
                ewt = None if e is None or ewt is None else max(ewt, e)
        queues.append({
            "id": q,
            "name": cfg.name or q,
            **fig,
            "ewt_s": None if q in hours and hours[q].closed(now) else ewt,  # closed: it waits for the opening
            "sla_threshold_s": cfg.sla_threshold_s,  # the supervisor's long-wait highlight
            "agents_serving": serving.get(cfg.skill, 0),
            # business hours as routing applies them: closed = work waits; next_open while closed
            "open": not hours[q].closed(now) if q in hours else True,
            "next_open": hours[q].next_open_iso(now) if q in hours else None,
        })
    return {"ts": now, "agents": agents, "queues": queues}
