"""Queue position and estimated wait time (EWT) of waiting tasks.

Position counts within the task's queue *and channel* (chat visitors do not wait behind emails),
1 = next. EWT = position × AHT / slots, where slots = the channel capacity summed over the
agents available for the queue's skill (one slot frees every AHT/slots seconds on average) and
AHT is the queue's measured one (acd.stats.aht_of). None when no slot serves the queue.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.config.schema import WORK_CHANNELS

from . import stats
from .effects import QueuePosition

if TYPE_CHECKING:
    from .engine import Engine


def ewt(position: int, aht_s: float, slots: int) -> float | None:
    """Estimated wait of the task at ``position`` (1 = next)."""
    if slots <= 0:
        return None
    return position * aht_s / slots


async def _ahts(engine: Engine, now: float) -> dict[str, float]:
    sums = await stats.window_sums(engine, now)
    return {q: stats.aht_of(cfg, *sums[q]) for q, cfg in engine.tenant.queues.items()}


async def _slots(engine: Engine) -> dict[str, int]:
    raw = await engine.redis.hgetall(engine.keys.serving())
    return {k: int(v) for k, v in raw.items()}


async def all_positions(engine: Engine, now: float) -> list[QueuePosition]:
    """Every waiting task's position and EWT, queue by queue."""
    k = engine.keys
    ahts, slots = await _ahts(engine, now), await _slots(engine)
    pairs = [(q, ch) for q in engine.tenant.queues for ch in WORK_CHANNELS]
    async with engine.redis.pipeline(transaction=False) as pipe:
        for q, ch in pairs:
            pipe.zrange(k.queue_order(q, ch), 0, -1)
        rows = await pipe.execute()
    out = []
    for (q, ch), ids in zip(pairs, rows, strict=True):
        n = slots.get(f"{engine.tenant.queues[q].skill}:{ch}", 0)
        for i, tid in enumerate(ids, start=1):
            out.append(QueuePosition(tid, q, i, ewt(i, ahts[q], n), ch))
    return out


async def position_of(engine: Engine, task_id: str, now: float) -> QueuePosition | None:
    """One waiting task's position and EWT (None when it is not waiting)."""
    k = engine.keys
    q, ch = await engine.redis.hmget(k.task(task_id), ["inq", "ch"])
    if not q or q not in engine.tenant.queues:
        return None
    rank = await engine.redis.zrank(k.queue_order(q, ch), task_id)
    if rank is None:
        return None
    ahts, slots = await _ahts(engine, now), await _slots(engine)
    n = slots.get(f"{engine.tenant.queues[q].skill}:{ch}", 0)
    return QueuePosition(task_id, q, rank + 1, ewt(rank + 1, ahts[q], n), ch)
