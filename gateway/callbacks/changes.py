"""What a customer does with their waiting callback through the signed page: move it to another
time (its slot booking and due time move together, and the conversation says so) or cancel it.
Neither is possible once the call is being placed."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from gateway.callbacks.figures import tenant_zone
from gateway.callbacks.records import Callback, end_callback, get_callback, move_callback
from gateway.callbacks.requests import announce
from gateway.callbacks.slots import check_slot
from gateway.errors import ClientError
from gateway.hours.schedule import open_for
from gateway.keys import TenantKeys
from gateway.services import Services


async def cancel(ctx: Services, keys: TenantKeys, cb: Callback) -> Callback | None:
    """Cancel a callback that is still waiting (its slot's place is given back); None when it is not."""
    ended = await end_callback(ctx.redis, keys, cb, "cancelled", zone=tenant_zone(ctx.config.tenants[keys.tenant]),
                               only_from=("scheduled",))
    if ended is None:
        return None
    if ended.in_attempt:  # its voice task is still waiting for an agent: take it out of the queue
        await ctx.router.close(keys.tenant, ended.task_id, "cancelled")
    await announce(ctx, keys, ended, scheduled=False)
    return ended


async def reschedule(ctx: Services, keys: TenantKeys, cb: Callback, at: float | None,
                     now: float | None = None) -> Callback:
    """Move a waiting callback to the slot starting at ``at`` (None: as soon as possible, only while
    the queue is open); ClientError (too_late, slot_full, outside_hours, bad_slot) otherwise."""
    now = time.time() if now is None else now
    cfg = ctx.config.tenants[keys.tenant].callbacks
    if cb.state != "scheduled" or cb.in_attempt:
        raise ClientError("too_late", "We are already calling you, or this callback has ended; it can no longer be moved.", 409)
    if at is None:
        if not open_for(ctx.config, keys.tenant, cb.queue, datetime.fromtimestamp(now, UTC)):
            raise ClientError("outside_hours", "We are closed now, so we cannot call you at once; please pick a time.")
        if not cb.at:
            return cb  # already as soon as possible
        slot, capacity, due, at_text = None, 0, now, ""
    else:
        if cb.slot and int(cb.slot) == int(at):
            return cb  # the time it has already
        slot, capacity = await check_slot(ctx.redis, ctx.config, keys.tenant, cb.queue, cb.language, at, now)
        due, at_text = at, datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    await move_callback(ctx.redis, keys, cb, slot=slot, capacity=capacity, due=due, at=at_text, slot_days=cfg.slot_days)
    moved = await get_callback(ctx.redis, keys, cb.id)
    assert moved is not None  # a record is never deleted while its conversation lives
    await announce(ctx, keys, moved, scheduled=True, moved=True)
    return moved
