"""Redis memory stays bounded: a closed conversation leaves Redis ``history.evict_closed_after_s``
after closing, once the archive has acknowledged every change of it; reads then come from
PostgreSQL (gateway/history/reader.py)."""

from __future__ import annotations

import time
from pathlib import Path

from redis.asyncio import Redis

from acd import replies
from acd.lua_runner import LuaScript, runner
from gateway.keys import TenantKeys
from gateway.store.contacts import live_contact_id

EVICT_CONVERSATION = LuaScript.from_file(Path(__file__).parent / "lua" / "evict_conversation.lua")
BATCH = 200
SLACK_KEEP_S = 30 * 86400  # a conversation's Slack thread records outlive its eviction this long (erasure deletes the posts)


async def evict_closed(redis: Redis, tenant: str, after_s: float, now: float | None = None) -> int:
    """Evict the conversations of ``tenant`` closed at least ``after_s`` ago and archived; returns how many."""
    if after_s <= 0:
        return 0
    keys = TenantKeys(tenant)
    now = time.time() if now is None else now
    evicted = 0
    due = replies.texts(await redis.zrangebyscore(keys.archive_closed(), "-inf", now - after_s, start=0, num=BATCH))
    for cid in due:
        contact = replies.maybe_text(await redis.hget(keys.conv(cid), "contact_id")) or ""
        live = await live_contact_id(redis, keys, contact) if contact else ""
        done = await runner(redis).call(
            EVICT_CONVERSATION,
            keys=[keys.conv(cid), keys.conv_messages(cid), keys.conv_client_ids(cid), keys.conv_statuses(cid),
                  keys.archive_closed(), keys.convs_open(), keys.contact_convs(contact), keys.contact_convs(live),
                  keys.slack_thread(cid), keys.slack_lines(cid)],
            args=[cid, SLACK_KEEP_S],
        )
        evicted += done == 1
    return evicted
