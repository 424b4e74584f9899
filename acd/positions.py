"""Queue position and estimated wait time (EWT) of waiting tasks.

Position counts within the task's queue *and channel* (chat visitors do not wait behind emails),
1 = next. EWT = position × AHT / slots, where slots = the channel capacity summed over the
agents available for the queue's skill (one slot frees every AHT/slots seconds on average) and
AHT is the queue's measured one (acd.stats.aht_of). None when no slot serves the queue, and
while the queue is outside its business hours: then the position carries the opening instead.
"""

from __future__ import annotations

from redis.asyncio import Redis

from . import stats
from .effects import QueuePosition
from .hours import QueueHours, read_all
from .keys import AcdKeys
from .model import WORK_CHANNELS, RoutingConfig


def ewt(position: int, aht_s: float, slots: int) -> float | None:
    """Estimated wait of the task at ``position`` (1 = next)."""
    if slots <= 0:
        return None
    return position * aht_s / slots


def _position(task_id: str, queue: str, position: int, ewt_s: float | None, channel: str,
              hours: QueueHours | None, now: float) -> QueuePosition:
    if hours is not None and hours.closed(now):
        return QueuePosition(task_id, queue, position, None, channel, closed=True, opens_at=hours.opens_at(now),
                             opens_at_iso=hours.next_open_iso(now))
    return QueuePosition(task_id, queue, position, ewt_s, channel)


async def _ahts(redis: Redis, k: AcdKeys, config: RoutingConfig, now: float) -> dict[str, float]:
    sums = await stats.window_sums(redis, k, config, now)
    return {q: stats.aht_of(cfg, *sums[q]) for q, cfg in config.queues.items()}


async def all_positions(redis: Redis, k: AcdKeys, config: RoutingConfig, now: float) -> list[QueuePosition]:
    """Every waiting task's position and EWT, queue by queue."""
    ahts = await _ahts(redis, k, config, now)
    hours = await read_all(redis, k)
    pairs = [(q, ch) for q in config.queues for ch in WORK_CHANNELS]
    async with redis.pipeline(transaction=False) as pipe:
        pipe.hgetall(k.serving())
        for q, ch in pairs:
            pipe.zrange(k.queue_order(q, ch), 0, -1)
        rows = await pipe.execute()
    slots = {key: int(v) for key, v in rows[0].items()}
    out = []
    for (q, ch), ids in zip(pairs, rows[1:], strict=True):
        n = slots.get(f"{config.queues[q].skill}:{ch}", 0)
        for i, tid in enumerate(ids, start=1):
            out.append(_position(tid, q, i, ewt(i, ahts[q], n), ch, hours.get(q), now))
    return out


async def position_of(
    redis: Redis, k: AcdKeys, config: RoutingConfig, task_id: str, queue: str, channel: str, position: int,
    now: float,
) -> QueuePosition:
    """The QueuePosition of a task known to wait at ``position`` (one round trip for AHT and slots)."""
    cfg = config.queues[queue]
    async with redis.pipeline(transaction=False) as pipe:
        for m in stats.window_minutes(now):
            pipe.hmget(k.queue_minute(queue, m), ["handled", "handle_ms"])
        pipe.hmget(k.queue_totals(queue), ["handled", "handle_ms"])
        pipe.hget(k.serving(), f"{cfg.skill}:{channel}")
        pipe.hget(k.hours(), queue)
        rows = await pipe.execute()
    hours = QueueHours.parse(rows.pop())
    window = {"handled": 0, "handle_ms": 0}
    for handled, handle_ms in rows[:-2]:
        window["handled"] += int(handled or 0)
        window["handle_ms"] += int(handle_ms or 0)
    handled, handle_ms = rows[-2]
    totals = {"handled": int(handled or 0), "handle_ms": int(handle_ms or 0)}
    aht = stats.aht_of(cfg, window, totals)
    return _position(task_id, queue, position, ewt(position, aht, int(rows[-1] or 0)), channel, hours, now)
