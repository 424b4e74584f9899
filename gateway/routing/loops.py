"""The periodic work of routing: requeue what a dead process left, tell waiting visitors where they
stand, send supervisors their snapshots, flip queues at the boundaries of their business hours."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from gateway.hours.schedule import hours_for, is_open, next_change
from gateway.keys import TenantKeys
from gateway.store.conversations import close_conversation, open_conversations

if TYPE_CHECKING:
    from gateway.routing.service import Router

log = logging.getLogger(__name__)
SERIES_STEP_S = 30  # one sample of waiting contacts per queue every 30 s
HOURS_RETRY_S = 5.0  # a business-hours flip that failed is tried again after this


async def recover(router: Router) -> None:
    """Finish conversations the ACD closed but a dead process did not take out of the open index,
    and queue open conversations the ACD does not know (a process died between storing and routing)."""
    for tenant, engine in router.engines.items():
        keys = TenantKeys(tenant)
        for conv in await open_conversations(router.redis, keys):
            if conv.state == "closed":
                await close_conversation(router.redis, keys, conv.id, conv.close_reason or "agent")
                continue
            if conv.state == "auto_answered":
                continue  # answered automatically: waits for its customer, not for an agent (gateway/assist)
            if conv.seq > 0 and await engine.task(conv.id) is None:
                log.warning("re-queueing conversation unknown to the ACD", extra={"conversation": conv.id})
                await router.submit(conv)


async def push_positions(router: Router, only_moved: bool = False) -> None:
    """Send every waiting visitor its queue position and wait estimate (``only_moved``: just in
    tenants whose lines changed since the last push — called often, so changes show at once)."""
    tenants = list(router.lines_moved) if only_moved else list(router.engines)
    router.lines_moved.difference_update(tenants)
    for tenant in tenants:
        await router.effects.apply(tenant, list(await router.engines[tenant].positions(now=time.time())))


async def push_snapshots(router: Router, local_supervisors: Callable[[str], list[str]]) -> None:
    """Send this process's supervisors a snapshot; sample the waiting series every 30 s (one process)."""
    now = time.time()
    for tenant in router.engines:
        local = local_supervisors(tenant)
        sample_due = await router.redis.set(
            TenantKeys(tenant).leader("series"), router.node_id, nx=True, px=int(SERIES_STEP_S * 1000)
        )
        if local:
            snap = await router.snapshot(tenant, now)
            # per socket, not per room: a room emit would reach every process's supervisors once per process
            await asyncio.gather(*[router.sio.emit("snapshot", snap, to=sid, namespace="/supervisor") for sid in local])
            waiting = {q["id"]: q["waiting"] for q in snap["queues"]}
        elif sample_due:  # nobody watching here: the queues' counters only, not a snapshot of every agent
            waiting = {q: fig["waiting"] for q, fig in (await router.engines[tenant].queue_stats(now)).items()}
        else:
            continue
        if sample_due:
            sample = waiting or {"_": 0}
            await router.redis.xadd(TenantKeys(tenant).waiting_series(), sample, maxlen=3000, approximate=True)


async def flip_hours(router: Router, now: float | None = None) -> None:
    """Tell the ACD each queue's business-hours state when a boundary is due (and once at start).
    Any number of processes may do this: the engine changes a queue once per boundary."""
    now = time.time() if now is None else now
    at = dt.datetime.fromtimestamp(now, dt.UTC)
    for tenant, engine in router.engines.items():
        for qid in engine.config.queues:
            due = router.hours_due.get((tenant, qid), 0.0)
            if due is None or now < due:
                continue
            try:
                hours = hours_for(router.config, tenant, qid)
                open_ = is_open(hours, at)
                change = next_change(hours, at)
                nxt = None if change is None else change.timestamp()
                await router.set_hours(
                    tenant, qid, open_, next_change=nxt, when_closed=hours.when_closed if hours else "wait",
                    next_open_iso="" if open_ or change is None else change.isoformat(),
                )
            except Exception:  # the ACD's own timers must keep running; this queue is tried again soon
                log.exception("business-hours flip failed", extra={"tenant": tenant, "queue": qid})
                router.hours_due[(tenant, qid)] = now + HOURS_RETRY_S
                continue
            router.hours_due[(tenant, qid)] = nxt
