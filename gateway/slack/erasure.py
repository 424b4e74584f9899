"""Erasing a contact (gateway/history/privacy.py) reaches Slack: each of its conversations' thread
records here goes (``slack:conv:<id>``, its lines, the lookup by ts), and every message the gateway
posted in those threads is queued for ``chat.delete``; the mirror (which holds the tenant's lease and
its Slack apps) works the queue off (``delete_queued``). A bot may delete only its own posts: replies
the agents wrote in a thread are theirs, and an operator deletes them in Slack (docs/slack.md).

The queue lives in Redis, so an erasure from the command line (no Slack app running there) or a
gateway that stops halfway loses nothing: the next mirror of the tenant finishes it.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from redis.asyncio import Redis

from acd import replies
from acd.lua_runner import LuaScript, runner
from bridges.base import AuthFailed, Fatal, NotReady
from gateway.keys import TenantKeys

if TYPE_CHECKING:  # (the erasure itself runs without Slack, e.g. from the command line)
    from gateway.slack.apps import SlackApps

log = logging.getLogger(__name__)

FORGET_THREAD = LuaScript.from_file(Path(__file__).parent / "lua" / "forget_thread.lua")
DELETES_PER_TURN = 20  # chat.delete is a Tier 3 method (~50 a minute): the mirror's own posts go first
GONE = frozenset({"message_not_found", "channel_not_found", "thread_not_found", "is_archived",
                  "cant_delete_message", "not_in_channel"})  # deleted already, or never ours to delete
WAIT_S = (5.0, 300.0)  # a Slack that will not take a delete now: the next try after this long (doubling)


async def forget_threads(redis: Redis, keys: TenantKeys, conversation_ids: Iterable[str]) -> int:
    """Forget the Slack threads of these conversations and queue our posts in them for deletion in
    Slack; how many posts were queued. Conversations without a thread cost one read each."""
    queued = 0
    for cid in sorted(conversation_ids):
        thread = replies.fields(await redis.hgetall(keys.slack_thread(cid)))
        lines = replies.texts(await redis.lrange(keys.slack_lines(cid), 0, -1))
        if not thread and not lines:
            continue
        channel, root = thread.get("channel", ""), thread.get("ts", "")
        extra = [keys.slack_posted(channel, ts) for ts in (*lines, root) if channel and ts]
        if channel and root:
            extra.append(keys.slack_thread_of(channel, root))
        queued += int(await runner(redis).call(
            FORGET_THREAD, keys=[keys.slack_erase(), keys.slack_thread(cid), keys.slack_lines(cid), *extra],
            args=[thread.get("app", ""), channel, root]))
    return queued


class Deleter:
    """Works off a tenant's queue of posts to delete in Slack, a few per turn of the mirror."""

    def __init__(self, redis: Redis, apps: SlackApps) -> None:
        self.redis, self.apps = redis, apps
        self._not_before: dict[str, tuple[float, int]] = {}  # tenant -> (monotonic time, failures): back-off

    async def delete_queued(self, tenant: str) -> int:
        """Delete up to DELETES_PER_TURN queued posts; how many left the queue."""
        keys = TenantKeys(tenant)
        after, failures = self._not_before.get(tenant, (0.0, 0))
        if time.monotonic() < after:
            return 0
        done = 0
        for _ in range(DELETES_PER_TURN):
            raw = replies.maybe_text(await self.redis.lindex(keys.slack_erase(), 0))
            if raw is None:
                break
            try:
                job = json.loads(raw)
                app_id, channel, ts = str(job["app"]), str(job["channel"]), str(job["ts"])
            except (ValueError, KeyError, TypeError):
                job = None
            app = self.apps.app(tenant, app_id) if job is not None else None
            if app is not None:
                try:
                    await app.tracked(app.client.delete(channel, ts))
                except (NotReady, AuthFailed) as err:  # kept at the head: tried again after a while
                    first, cap = WAIT_S
                    wait = max(getattr(err, "retry_after", None) or 0.0, min(first * 2 ** failures, cap))
                    self._not_before[tenant] = (time.monotonic() + wait, failures + 1)
                    log.warning("slack did not take a delete of an erased contact's post; trying again later",
                                extra={"tenant": tenant, "error": str(err), "retry_s": wait})
                    return done
                except Fatal as err:
                    if err.code not in GONE:
                        log.warning("slack refused to delete an erased contact's post; passed over",
                                    extra={"tenant": tenant, "error": str(err)})
            elif job is not None:
                log.warning("an erased contact's slack post was left: its app is not configured any more",
                            extra={"tenant": tenant, "app": app_id})
            await self.redis.lrem(keys.slack_erase(), 1, raw)
            done += 1
        self._not_before.pop(tenant, None)
        return done
