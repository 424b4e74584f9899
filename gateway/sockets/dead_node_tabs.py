"""The visitor tabs of a gateway node that died (kill -9, a lost machine): recorded as closed by the
nodes still running, once the dead node's ACD lease has run out, just as the ACD lets its agents'
sockets go then (acd/lua/agent_state.lua ``node_expired``).

Each node keeps its open visitor tabs in a set per tenant (``t:{T}:node:{node}:tabs``, written with
the visitor's own set, gateway/abandonment.py) and names itself in ``t:{T}:tabnodes``. Every node
looks every SWEEP_S: a listed node without a live lease has its tabs recorded like any closed tab
(gateway/sockets/departures.py) by one live node at a time (a lock): a visitor with no tab left on a
waiting conversation starts the abandonment grace, the agent of an assigned one hears "left". A tab
leaves the dead node's set in the same pipeline that records it, so a sweeping node that dies half-way
leaves the rest to the next sweep (after its lock ran out). A visitor who came back through another
node already has a new tab, and nothing happens.

A node that was only stalled past its lease (its tabs swept while it lives) finds itself missing
from the list and announces its open tabs again, calling off an abandonment started meanwhile.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

from redis.exceptions import LockError

from acd import replies
from acd.keys import AcdKeys
from gateway.abandonment import TABS_TTL_S, tab_member
from gateway.keys import TenantKeys
from gateway.sockets.departures import Departure, visitors_left

if TYPE_CHECKING:
    import socketio

    from gateway.services import Services

log = logging.getLogger(__name__)

SWEEP_S = 5.0  # how often each node looks for dead nodes' tabs (and whether its own were swept)
BATCH = 500  # tabs taken from a dead node's set at a time
SWEEP_LOCK_S = 60.0  # a sweeping node that died holds a dead node's tabs this long at most


class NodeTabs:
    """The visitor tabs open on this node (a count per tenant), and the sweep of dead nodes' tabs."""

    def __init__(self, ctx: Services, namespace: socketio.AsyncNamespace) -> None:
        self.ctx, self.namespace = ctx, namespace
        self.open: Counter[str] = Counter()  # tenant -> visitor tabs open on this node

    def closed(self, tenant: str) -> None:
        """A tab closed (never below 0: a socket whose connect failed half-way was never counted)."""
        if self.open[tenant] > 0:
            self.open[tenant] -= 1

    async def sweep(self) -> int:
        """Record the tabs of every dead node as closed; announce this node's own again if they were
        swept. Returns how many dead nodes' tabs were recorded."""
        swept = 0
        for tenant in self.ctx.config.tenants:
            swept += await self._sweep_tenant(TenantKeys(tenant))
        return swept

    async def _sweep_tenant(self, keys: TenantKeys) -> int:
        redis, own = self.ctx.redis, self.ctx.node_id
        listed = replies.members(await redis.smembers(keys.tab_nodes()))
        if own not in listed and self.open[keys.tenant] > 0:
            await self._announce(keys)
        others = sorted(listed - {own})
        if not others:
            return 0
        now, swept = time.time(), 0
        leases = await redis.zmscore(AcdKeys(keys.tenant).nodes(), others)
        for node, lease in zip(others, leases, strict=True):
            if lease is None or float(lease) < now:
                swept += await self._take_over(keys, node)
        return swept

    async def _take_over(self, keys: TenantKeys, node: str) -> int:
        """Record every tab of dead ``node`` as closed (under a lock: one live node at a time)."""
        redis, taken = self.ctx.redis, 0
        lock = redis.lock(keys.node_tabs_sweep(node), timeout=SWEEP_LOCK_S, blocking=False)
        if not await lock.acquire():
            return 0  # another live node is at it
        try:
            # read, then record: each batch leaves the set in the pipeline that records it
            while members := replies.texts(list(await redis.srandmember(keys.node_tabs(node), BATCH) or [])):
                if odd := [m for m in members if "|" not in m]:  # not "visitor|sid": nothing to record
                    await redis.srem(keys.node_tabs(node), *odd)
                departures = [Departure(keys.tenant, *m.split("|", 1)) for m in members if "|" in m]
                if departures:
                    await visitors_left(self.ctx, departures, node)
                taken += len(departures)
            await redis.srem(keys.tab_nodes(), node)
        finally:
            with contextlib.suppress(LockError):
                await lock.release()
        if taken:
            log.warning("a dead gateway node's visitor tabs recorded as closed",
                        extra={"tenant": keys.tenant, "node": node, "tabs": taken})
        return taken

    async def _announce(self, keys: TenantKeys) -> None:
        """This node's tabs were swept while it lived (stalled past its lease): they are open again."""
        tabs: list[dict[str, Any]] = []
        namespace = self.namespace
        for sid, _ in namespace.server.manager.get_participants(namespace.namespace, None):
            session = await namespace.get_session(sid)
            if session.get("tenant") == keys.tenant and session.get("visitor_id"):
                tabs.append({"sid": sid, **session})
        if not tabs:
            return
        async with self.ctx.redis.pipeline(transaction=False) as pipe:
            for tab in tabs:
                pipe.sadd(keys.visitor_sockets(tab["visitor_id"]), tab["sid"])
                pipe.expire(keys.visitor_sockets(tab["visitor_id"]), TABS_TTL_S)
                pipe.sadd(keys.node_tabs(self.ctx.node_id), tab_member(tab["visitor_id"], tab["sid"]))
                if tab.get("conversation_id"):
                    pipe.zrem(keys.abandon_due(), tab["conversation_id"])
            pipe.expire(keys.node_tabs(self.ctx.node_id), TABS_TTL_S)
            pipe.sadd(keys.tab_nodes(), self.ctx.node_id)
            await pipe.execute()
        log.warning("this node's visitor tabs were taken for gone (its lease had run out): announced again",
                    extra={"tenant": keys.tenant, "tabs": len(tabs)})
