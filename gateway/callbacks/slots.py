"""The times a customer may book a callback for: every ``slot_minutes`` (local wall-clock time of the
queue's hours) over ``slot_days`` days, each lying wholly inside business hours, each holding as many
callbacks as the tenant's voice agents for that queue's skill and language can take in it:

    capacity = agents (voice capacity > 0, the queue's skill, the customer's language) × slot length / handle_s

less what is booked already. The booking itself is checked again inside the Lua script that creates
or moves the callback (gateway/callbacks/lua/), so two customers racing for the last place cannot both
get it. An agent who serves several queues or languages counts in each of them (see docs/callbacks.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from redis.asyncio import Redis

from gateway.config.schema import Config, HoursConfig, TenantConfig
from gateway.errors import ClientError
from gateway.hours.schedule import hours_for, is_open
from gateway.keys import TenantKeys


@dataclass(frozen=True, slots=True)
class Slot:
    start: float  # epoch s
    end: float
    capacity: int
    booked: int

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.booked)

    def to_wire(self) -> dict:
        return {"start": _iso(self.start), "end": _iso(self.end), "free": self.free}


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _inside(hours: HoursConfig | None, start: float, end: float) -> bool:
    return all(is_open(hours, datetime.fromtimestamp(t, UTC)) for t in (start, (start + end) / 2, end - 1))


def slot_times(hours: HoursConfig | None, now: float, minutes: int, days: int) -> list[tuple[float, float]]:
    """(start, end) of every slot still ahead, from today (local) for ``days`` days, wholly inside the hours."""
    zone = ZoneInfo(hours.timezone if hours else "UTC")
    today = datetime.fromtimestamp(now, UTC).astimezone(zone).date()
    out = []
    for d in range(days):
        day = today + timedelta(days=d)
        for m in range(0, 24 * 60, minutes):
            wall = datetime.combine(day, time(m // 60, m % 60), tzinfo=zone)
            utc = wall.astimezone(UTC)
            if utc.astimezone(zone).replace(tzinfo=None) != wall.replace(tzinfo=None):
                continue  # a wall time skipped by a DST switch
            start = utc.timestamp()
            if start > now and _inside(hours, start, start + minutes * 60):
                out.append((start, start + minutes * 60))
    return out


def voice_agents(tenant: TenantConfig, queue_id: str, language: str) -> list[str]:
    """Agents who may take this queue's voice work in ``language`` ("" = any language)."""
    queue = tenant.queues[queue_id]
    level = min((s.min_proficiency for s in queue.steps), default=1)
    return [a.id for a in tenant.agents.values()
            if a.capacity.get("voice", 0) > 0 and a.skills.get(queue.skill, 0) >= level
            and (not language or language in a.languages)]


def capacity(tenant: TenantConfig, queue_id: str, language: str) -> int:
    """Callbacks one slot holds for this queue and language."""
    cfg = tenant.callbacks
    return math.floor(len(voice_agents(tenant, queue_id, language)) * cfg.slot_minutes * 60 / cfg.handle_s)


async def offered(redis: Redis, config: Config, tenant_id: str, queue_id: str, language: str, now: float,
                  *, keep: str = "") -> list[Slot]:
    """The slots with room left (and the slot ``keep``, a callback's own, even when full)."""
    tenant = config.tenants[tenant_id]
    cfg = tenant.callbacks
    times = slot_times(hours_for(config, tenant_id, queue_id), now, cfg.slot_minutes, cfg.slot_days)
    cap = capacity(tenant, queue_id, language)
    if not times or cap <= 0:
        return []
    booked = await redis.hmget(TenantKeys(tenant_id).callback_slots(queue_id, language), [str(int(s)) for s, _ in times])
    slots = [Slot(s, e, cap, int(b or 0)) for (s, e), b in zip(times, booked, strict=True)]
    return [s for s in slots if s.free > 0 or str(int(s.start)) == keep]


async def check_slot(redis: Redis, config: Config, tenant_id: str, queue_id: str, language: str,
                     at: float, now: float) -> tuple[float, int]:
    """(start, capacity) of the offered slot holding the time ``at`` (a slot's start, or a time inside
    it, as the agent console's free time field gives); ClientError when it cannot be booked."""
    tenant = config.tenants[tenant_id]
    cfg = tenant.callbacks
    hours = hours_for(config, tenant_id, queue_id)
    if at <= now:
        raise ClientError("bad_slot", "This time has passed; please pick one of the times offered.")
    if not is_open(hours, datetime.fromtimestamp(at, UTC)):
        raise ClientError("outside_hours", "We do not call at that time: it is outside our business hours. "
                                           "Please pick one of the times offered.")
    start = next((s for s, e in slot_times(hours, now, cfg.slot_minutes, cfg.slot_days) if s <= at < e), None)
    if start is None:
        raise ClientError("bad_slot", f"Please pick one of the times offered (every {cfg.slot_minutes} minutes, "
                                      f"within the next {cfg.slot_days} days, inside our business hours).")
    cap = capacity(tenant, queue_id, language)
    booked = int(await redis.hget(TenantKeys(tenant_id).callback_slots(queue_id, language), str(int(start))) or 0)
    if booked >= cap:
        raise ClientError("slot_full", "This time is fully booked; please pick another one.", 409)
    return start, cap
