"""One pace of posting per Slack channel for every gateway process.

Slack takes about one ``chat.postMessage`` per second per channel, whoever posts. A tenant's mirror
runs in one process at a time, but its lease can move while the old holder still posts, and
supervisors' alerts are posted by whichever process saw the incident: several processes do post to
one channel. Each post reserves the next free slot of its channel in Redis (``lua/post_slot.lua``: the slot
after the last one reserved, on Redis's clock) and waits for it. Without Redis the client falls back
to its own spacing (bridges/slack/client.py), and Slack's 429 with its Retry-After is the last guard.
"""

from __future__ import annotations

from pathlib import Path

from redis.asyncio import Redis

from acd.lua_runner import LuaScript, runner
from bridges.slack.client import Spacer
from gateway.keys import TenantKeys

POST_SLOT = LuaScript.from_file(Path(__file__).parent / "lua" / "post_slot.lua")


def shared_spacer(redis: Redis, tenant: str, app_id: str) -> Spacer:
    """The spacer of one Slack app of a tenant: its channels' slots in the tenant's keys."""
    keys = TenantKeys(tenant)

    async def reserve(channel: str, interval_s: float) -> float:
        waited_ms = await runner(redis).call(POST_SLOT, keys=[keys.slack_post_slot(app_id, channel)],
                                             args=[max(1, round(interval_s * 1000))])
        return int(waited_ms) / 1000

    return reserve
