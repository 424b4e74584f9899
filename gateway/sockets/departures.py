"""Visitor sockets that closed, recorded together.

What a visitor socket's closing records (its tab leaves the visitor's set; a waiting conversation
whose last tab closed starts its abandonment grace, gateway/abandonment.py; the
agent of an assigned one hears "left") is recorded for every socket that closed within BATCH_S in
two pipelines per tenant. One disconnect handler per socket with its own round trips meant, when
10,000 sockets closed at once (a gateway stopping, a load balancer restarting), 10,000 handlers
racing for the Redis pool: the stop took 20 s and most of the bookkeeping failed half-way.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import socketio

from acd import replies
from gateway.abandonment import tab_member
from gateway.customer_presence import tell_presence
from gateway.keys import TenantKeys
from gateway.sockets.redis_manager import RedisFanout

if TYPE_CHECKING:
    from gateway.services import Services

log = logging.getLogger(__name__)
BATCH_S = 0.05  # a closing socket waits this long for others to be recorded with
WAITING = ("queued", "offered")  # a conversation in these states starts its abandonment grace


@dataclass(frozen=True)
class Departure:
    tenant: str
    visitor_id: str
    sid: str


class Departures:
    """The closed sockets not recorded yet, and the one task that records them."""

    def __init__(self, ctx: Services) -> None:
        self.ctx = ctx
        self.pending: list[Departure] = []
        self.task: asyncio.Task | None = None

    def add(self, departure: Departure) -> None:
        self.pending.append(departure)
        if self.task is None:
            self.task = asyncio.get_running_loop().create_task(self._record(BATCH_S))

    async def flush(self, departures: list[Departure]) -> None:
        """Record ``departures`` and whatever else is pending, now (a stopping process)."""
        self.pending.extend(departures)
        await self._record(0.0)

    async def _record(self, wait_s: float) -> None:
        await asyncio.sleep(wait_s)
        try:
            while self.pending:
                batch, self.pending = self.pending, []
                try:
                    await visitors_left(self.ctx, batch, self.ctx.node_id)
                except Exception:  # what it could not record stays as after a crash (a stale tab)
                    log.exception("visitors' leaving not recorded", extra={"sockets": len(batch)})
        finally:
            if self.task is asyncio.current_task():
                self.task = None


async def visitors_left(ctx: Services, departures: list[Departure], node: str | None) -> int:
    """Record that every socket in ``departures`` closed (their tabs leave the set of gateway ``node``;
    None: already taken out of it); returns how many visitors have no tab left."""
    by_tenant: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for d in departures:
        by_tenant[d.tenant][d.visitor_id].append(d.sid)
    gone = 0
    for tenant, visitors in by_tenant.items():
        gone += await _tenant_left(ctx, TenantKeys(tenant), visitors, node)
    return gone


async def _tenant_left(ctx: Services, keys: TenantKeys, visitors: dict[str, list[str]], node: str | None) -> int:
    ids = list(visitors)
    async with ctx.redis.pipeline(transaction=False) as pipe:
        for vid in ids:
            pipe.srem(keys.visitor_sockets(vid), *visitors[vid])
            pipe.scard(keys.visitor_sockets(vid))
            pipe.hget(keys.visitor(vid), "conversation_id")
        if node is not None:
            pipe.srem(keys.node_tabs(node), *(tab_member(vid, sid) for vid in ids for sid in visitors[vid]))
        answers = await pipe.execute()
    left = [replies.maybe_text(answers[3 * i + 2]) for i in range(len(ids)) if int(answers[3 * i + 1]) == 0]
    current = [cid for cid in left if cid]
    if not current:
        return len(left)
    async with ctx.redis.pipeline(transaction=False) as pipe:
        for cid in current:
            pipe.hget(keys.conv(cid), "state")
        states = replies.texts(await pipe.execute())
    grace = ctx.config.tenants[keys.tenant].widget.abandon_after_s
    due = time.time() + grace
    waiting = {cid: due for cid, state in zip(current, states, strict=True) if state in WAITING}
    if waiting:
        await ctx.redis.zadd(keys.abandon_due(), waiting)
    for cid, state in zip(current, states, strict=True):
        if state == "assigned":  # at most the agents' capacity of them
            await tell_presence(ctx, keys, cid, "left")
    return len(left)


async def depart_all(namespace: socketio.AsyncNamespace, departures: Departures, bound_s: float) -> int:
    """A stopping process: every socket of ``namespace`` leaves at once. Their leaving is recorded
    (within ``bound_s``; what that cuts off stays as after a crash), then they are taken out of
    Socket.IO together, so that closing them runs no handler. Returns how many sockets left."""
    manager = namespace.server.manager
    sids = [sid for sid, _ in manager.get_participants(namespace.namespace, None)]
    leaving = []
    for sid in sids:
        session = await namespace.get_session(sid)
        if session.get("visitor_id"):
            leaving.append(Departure(session["tenant"], session["visitor_id"], sid))
    try:
        async with asyncio.timeout(bound_s):
            await departures.flush(leaving)
    except TimeoutError:
        log.warning(
            "visitors' leaving not recorded in time", extra={"sockets": len(leaving), "bound_s": bound_s}
        )
    # their leaving is recorded: the namespace's tables, dropped whole, are where they all end up, and
    # closing them next runs no disconnect handler each
    if isinstance(manager, RedisFanout):  # the gateway's manager (gateway/sockets/server.py)
        manager.forget_namespace(namespace.namespace)
    for sid in sids:
        departures.ctx.typing.forget(sid)
    departures.ctx.metrics.sockets.labels(namespace.namespace).dec(len(leaving))
    return len(leaving)
