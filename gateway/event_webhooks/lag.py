"""How far the webhooks' consumer group is behind on a tenant's ACD event log. That log trims itself
to ``evmax`` entries (the ACD's cfg hash; routing must never wait for a consumer, and Redis memory
stays bounded), so a group further behind than that misses the routing events trimmed in between
(offers, assignments, transfers, ratings). The archive outbox is never trimmed and is not at risk.

Measured every few seconds by each process: a gauge, a line in /healthz, and a warning in the log
when the lag passes half the bound, so an operator sees it coming long before anything is lost."""

from __future__ import annotations

import logging
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from acd import replies
from acd.keys import AcdKeys
from gateway.event_webhooks.scripts import GROUP
from gateway.keys import TenantKeys
from gateway.metrics import Metrics

log = logging.getLogger(__name__)

LAGGING_AT = 0.5  # of evmax: "lagging" from here on
DEFAULT_EVMAX = 250_000  # acd.engine.Engine's default, when the cfg hash does not say
COUNT_CAP = 5_000  # Redis < 7 has no group lag: the unread entries are counted, up to this many


async def acd_lag(redis: Redis, tenant: str) -> tuple[int | None, int]:
    """(entries of the ACD event log the webhooks group has not read yet — None: no group —, the log's
    bound). Redis 7 tells the group's lag; before 7 the entries after its last-delivered id are
    counted, at most ``COUNT_CAP`` (then it is "at least" that)."""
    acd = AcdKeys(tenant)
    evmax = int(replies.maybe_text(await redis.hget(acd.cfg(), "evmax")) or DEFAULT_EVMAX)
    try:
        groups: Any = await redis.xinfo_groups(acd.events())
    except ResponseError:  # no stream yet
        return None, evmax
    for group in groups:
        if replies.maybe_text(group.get("name")) != GROUP:
            continue
        if group.get("lag") is not None:
            return int(group["lag"]), evmax
        last = replies.maybe_text(group.get("last-delivered-id")) or "0-0"
        unread = await redis.xrange(acd.events(), min="(" + last, max="+", count=COUNT_CAP)
        return len(unread or []), evmax
    return None, evmax


class LagWatch:
    """The last measurement per tenant, for /healthz (read without a Redis call)."""

    def __init__(self, redis: Redis, tenants: list[str], metrics: Metrics | None = None) -> None:
        self.redis, self.tenants, self.metrics = redis, tenants, metrics
        self.state: dict[str, dict[str, Any]] = {}

    async def measure(self) -> None:
        for tenant in self.tenants:
            if not await self.redis.scard(TenantKeys(tenant).hook_subs()):
                self.state.pop(tenant, None)  # no subscriptions, no group: nothing can be missed
                continue
            lag, evmax = await acd_lag(self.redis, tenant)
            state = "unknown" if lag is None else "lagging" if lag >= min(evmax * LAGGING_AT, COUNT_CAP) else "ok"
            before = self.state.get(tenant, {}).get("state")
            self.state[tenant] = {"state": state, "acd_lag": lag, "acd_log_max": evmax}
            if self.metrics is not None and lag is not None:
                self.metrics.event_webhook_acd_lag.labels(tenant).set(lag)
            if state == "lagging" and before != "lagging":
                log.warning("event webhooks are far behind on the ACD event log; past its bound routing events are "
                            "trimmed before they are sent", extra={"tenant": tenant, "lag": lag, "bound": evmax})

    def health(self) -> dict[str, dict[str, Any]]:
        return dict(self.state)
