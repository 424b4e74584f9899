"""The tenant's Slack apps (channels of type slack) as this process knows them: their bridge (and
Web API client) and who their token is (auth.test: the workspace and our bot user), proven once at
start-up and again after a failure. Until an app has proven its token nothing is mirrored through it,
so a demo or a misconfigured app costs no more than one refused call now and then."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from acd.keys import AcdKeys
from bridges.base import AuthFailed, BridgeError, Health
from bridges.slack import SlackBridge
from gateway import channels_health
from gateway.keys import TenantKeys
from gateway.webhooks.channels import BridgedChannels

log = logging.getLogger(__name__)

RETRY_S = (5.0, 300.0)  # the next auth.test after a failure: doubling from the first, up to the cap


@dataclass(frozen=True, slots=True)
class Identity:
    team_id: str
    user_id: str  # our bot's user id: its posts are ours
    bot_id: str


class SlackApps:
    def __init__(self, redis: Redis, bridged: BridgedChannels) -> None:
        self.redis = redis
        self.bridged = bridged
        self.identity: dict[tuple[str, str], Identity] = {}
        self.on_ready: Callable[[str], Awaitable[None]] | None = None  # a tenant's first app proved its token

    def app(self, tenant: str, app_id: str) -> SlackBridge | None:
        channel = self.bridged.get(tenant, app_id)
        if channel is None or channel.spec.type != "slack" or not isinstance(channel.bridge, SlackBridge):
            return None
        return channel.bridge

    def of_tenant(self, tenant: str) -> list[str]:
        return [c.id for c in self.bridged.of_tenant(tenant) if c.spec.type == "slack" and c.bridge is not None]

    def first_ready(self, tenant: str) -> SlackBridge | None:
        """The first app of the tenant that has proven its token (what links are looked up with)."""
        found = [a for a in self.of_tenant(tenant) if (tenant, a) in self.identity]
        return self.app(tenant, found[0]) if found else None

    async def ready(self, tenant: str) -> bool:
        """Whether any app of the tenant has proven its token."""
        return any((tenant, app_id) in self.identity for app_id in self.of_tenant(tenant))

    async def prove(self, tenant: str, app_id: str) -> None:
        """auth.test until it succeeds (then the app is used) or the token is refused (health red,
        the mirror's backlog dropped: an operator has to fix the token)."""
        attempt = 0
        bridge = self.app(tenant, app_id)
        if bridge is None:
            return
        while True:
            try:
                me = await bridge.tracked(bridge.client.auth_test())
            except AuthFailed as err:
                log.error("slack app token refused: nothing is mirrored through it",
                          extra={"tenant": tenant, "channel": app_id, "error": str(err)})
                await channels_health.report(self.redis, tenant, app_id, Health.AUTH_FAILED)
                if not await self.ready(tenant):
                    for stream in (TenantKeys(tenant).archive(), AcdKeys(tenant).events()):
                        try:
                            await self.redis.xgroup_destroy(stream, "slack")
                        except ResponseError:
                            pass
                return
            except BridgeError as err:
                first, cap = RETRY_S
                wait = min(first * 2 ** attempt, cap)
                if attempt == 0:
                    log.warning("slack app not reachable yet; retrying", extra={"tenant": tenant, "channel": app_id,
                                                                               "error": str(err), "retry_s": wait})
                attempt += 1
                await asyncio.sleep(wait)
                continue
            if self.on_ready is not None:  # (the mirror's group exists before anyone may rely on it)
                await self.on_ready(tenant)
            self.identity[(tenant, app_id)] = Identity(str(me.get("team_id", "")), str(me.get("user_id", "")),
                                                       str(me.get("bot_id", "")))
            await channels_health.report(self.redis, tenant, app_id, Health.OK)
            log.info("slack app ready", extra={"tenant": tenant, "channel": app_id})
            return
