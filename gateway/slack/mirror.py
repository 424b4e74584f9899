"""Mirroring conversations into Slack: a consumer group ("slack") on the tenant's archive outbox,
the stream every message and conversation change already goes through, so nothing in the message
path knows about Slack and nothing is lost when a process dies (its entries stay pending and the
next mirror takes them over).

An accept, a supervisor's assign or a transfer changes only the conversation record (the ACD
writes it in its own script, without an outbox entry), so the mirror also reads the tenant's ACD
event log (its own consumer group "slack", acknowledge only: the ACD trims its log itself) and
updates a thread's first message when such an event names its conversation.

One process at a time mirrors a tenant (a lease), so each thread gets its lines in order and its
first message once. The same process deletes in Slack what an erasure queued (gateway/slack/erasure.py). The first message of a mirrored conversation opens its thread; every customer
message (and what agents wrote in the console) follows in it; the first message's state and
controls are updated when the conversation's state changed. Replies written in Slack are not posted
back (they are there already). Posting is spaced to Slack's pace by the client; a refusal that
will pass is retried with back-off, holding the later entries back; a refusal that will not is
logged and passed over.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import LockError, RedisError, ResponseError

from acd import replies
from acd.keys import AcdKeys
from acd.lua_runner import LuaScript, runner
from bridges.base import AuthFailed, Fatal, NotReady
from gateway.config.schema import Config
from gateway.config.validate_slack import slack_app_of
from gateway.keys import TenantKeys
from gateway.slack import blocks
from gateway.slack.apps import SlackApps
from gateway.slack.erasure import Deleter
from gateway.store.conversations import Conversation, get_conversation
from gateway.store.scripts import STREAM_GROUPS_LIB

log = logging.getLogger(__name__)

GROUP = "slack"
MIRROR_ACK = LuaScript.from_file(Path(__file__).parent / "lua" / "mirror_ack.lua", libs=[STREAM_GROUPS_LIB])
MIRROR_LINE = LuaScript.from_file(Path(__file__).parent / "lua" / "mirror_line.lua")
THREAD_SHOWN = LuaScript.from_file(Path(__file__).parent / "lua" / "thread_shown.lua")
# ACD events that change who holds a conversation, or its queue, without an archive outbox entry
HOLDER_EVENTS = frozenset({"assign", "sup_assign", "transfer", "requeue", "overflow"})
BATCH = 50
BLOCK_MS = 1000
LEASE_S = 30.0  # the mirroring process renews it every turn; another takes over this long after it died
CLAIM_IDLE_MS = int(LEASE_S * 1000)
BACKOFF_S = (1.0, 60.0)
MAX_ATTEMPTS = 8  # a post Slack keeps refusing as "not now" this often is passed over (logged)
THREAD_TTL_S = 30 * 24 * 3600
POSTED_TTL_S = 7 * 24 * 3600


def mirrored_tenants(config: Config) -> list[str]:
    return [tid for tid, t in config.tenants.items() if any(q.slack_channel for q in t.queues.values())]


class Mirror:
    """The mirror of every tenant with a mirrored queue."""

    def __init__(self, redis: Redis, config: Config, apps: SlackApps, node_id: str) -> None:
        self.redis, self.config, self.apps, self.node_id = redis, config, apps, node_id
        self._attempts: dict[str, int] = {}
        self.deleter = Deleter(redis, apps)

    async def run(self, tenant: str) -> None:
        """Mirror ``tenant`` until cancelled, whenever this process holds its lease."""
        keys = TenantKeys(tenant)
        lock = self.redis.lock(keys.leader("slack-mirror"), timeout=LEASE_S, blocking=False)
        while True:
            try:
                if not await self.apps.ready(tenant):
                    await asyncio.sleep(1.0)  # no app has proven its token yet: nothing is posted
                    continue
                if not await (lock.reacquire() if await lock.owned() else lock.acquire()):
                    await asyncio.sleep(LEASE_S / 3)
                    continue
                await self._ensure_group(keys)
                await self.step(tenant)
            except asyncio.CancelledError:
                raise
            except LockError:
                await asyncio.sleep(1.0)
            except (RedisError, OSError):
                log.exception("slack mirror step failed", extra={"tenant": tenant})
                await asyncio.sleep(1.0)

    async def start_group(self, tenant: str) -> None:
        """From now on every change of the tenant is kept for the mirror (called once Slack took our token)."""
        if tenant in mirrored_tenants(self.config):
            await self._ensure_group(TenantKeys(tenant))

    async def _ensure_group(self, keys: TenantKeys) -> None:
        for stream in (keys.archive(), AcdKeys(keys.tenant).events()):
            try:
                await self.redis.xgroup_create(stream, GROUP, id="$", mkstream=True)
            except ResponseError as err:
                if "BUSYGROUP" not in str(err):
                    raise

    async def step(self, tenant: str) -> None:
        """Our pending entries first (a failed post, a dead process's), then new ones, of both streams
        (the archive outbox, the ACD event log) in the order they were written; then a few deletes an
        erasure queued."""
        keys = TenantKeys(tenant)
        streams = (keys.archive(), AcdKeys(tenant).events())
        entries: list[tuple[str, str, dict[str, str]]] = []  # (stream, entry id, fields)
        for stream in streams:
            claimed: Any = await self.redis.xautoclaim(stream, GROUP, self.node_id, CLAIM_IDLE_MS, "0-0",
                                                       count=BATCH)
            found = replies.entries(claimed[1]) if claimed and len(claimed) > 1 else []
            own: Any = await self.redis.xreadgroup(GROUP, self.node_id, {stream: "0"}, count=BATCH)
            for _, got in own or ():
                found += [(i, f) for i, f in replies.entries(got) if (i, f) not in found]
            entries += [(stream, i, f) for i, f in found]
        if not entries:
            new: Any = await self.redis.xreadgroup(GROUP, self.node_id, dict.fromkeys(streams, ">"), count=BATCH,
                                                   block=BLOCK_MS)
            for name, got in new or ():
                entries += [(replies.maybe_text(name) or "", i, f) for i, f in replies.entries(got)]
        entries.sort(key=lambda e: tuple(int(p) for p in e[1].split("-")))
        done: dict[str, list[str]] = {stream: [] for stream in streams}
        try:
            for stream, entry_id, fields in entries:
                wait = await self._entry(tenant, entry_id, fields or {}, acd=stream == streams[1])
                if wait is not None:  # later entries wait behind it: a thread keeps its order
                    await asyncio.sleep(wait)
                    break
                done.setdefault(stream, []).append(entry_id)
        finally:
            if done[streams[0]]:
                await runner(self.redis).call(MIRROR_ACK, keys=[streams[0]], args=[GROUP, *done[streams[0]]])
            if done[streams[1]]:  # the ACD's log stays as it is (its statistics replay it; it trims itself)
                await self.redis.xack(streams[1], GROUP, *done[streams[1]])
        await self.deleter.delete_queued(tenant)

    async def _entry(self, tenant: str, entry_id: str, fields: dict[str, str], *, acd: bool = False) -> float | None:
        """Mirror one entry; None when done with it, else seconds to wait before trying it again."""
        if acd:  # an ACD event: only who holds a conversation (or its queue) matters to its thread
            kind, cid = ("conv" if fields.get("ev") in HOLDER_EVENTS else None), fields.get("task", "")
        else:
            kind, cid = fields.get("k"), fields.get("c", "")
        if kind not in ("msg", "conv") or not cid:
            return None
        try:
            if acd:
                await self.holder_changed(tenant, cid)
            else:
                await self.mirror(tenant, cid, int(fields["s"]) if kind == "msg" and fields.get("s") else None)
        except NotReady as err:
            attempts = self._attempts.get(entry_id, 0) + 1
            if attempts >= MAX_ATTEMPTS:
                self._attempts.pop(entry_id, None)
                log.warning("slack mirror gave up on an entry", extra={"tenant": tenant, "conversation": cid,
                                                                     "error": str(err)})
                return None
            self._attempts[entry_id] = attempts
            first, cap = BACKOFF_S
            return max(err.retry_after or 0.0, min(first * 2 ** (attempts - 1), cap))
        except (AuthFailed, Fatal) as err:
            log.warning("slack refused a mirrored post; passed over",
                        extra={"tenant": tenant, "conversation": cid, "error": str(err)})
        self._attempts.pop(entry_id, None)
        return None

    async def mirror(self, tenant_id: str, cid: str, seq: int | None) -> None:
        """Bring a conversation's thread up to date with one change (message ``seq``, or its record)."""
        keys = TenantKeys(tenant_id)
        tenant = self.config.tenants[tenant_id]
        conv = await get_conversation(self.redis, keys, cid)
        if conv is None:
            return
        thread = replies.fields(await self.redis.hgetall(keys.slack_thread(cid)))
        message = await self._message(keys, cid, seq) if seq is not None else None
        if not thread:
            app_id = slack_app_of(tenant, conv.queue)
            if app_id is None or message is None or conv.state == "closed":
                return  # threads open with a message of a mirrored queue's open conversation
            thread = await self._open(tenant_id, app_id, conv)
        app = self.apps.app(tenant_id, thread["app"])
        if app is None:
            return
        if message is not None and _mirrored(message):
            text = blocks.line(message.get("kind", ""), message.get("name", ""), message.get("text", ""))
            ts = await app.tracked(app.client.post_message(thread["channel"], text, thread_ts=thread["ts"],
                                                           metadata=blocks.metadata(cid)))
            await self._line(keys, cid, thread, ts)
        if thread.get("shown") != blocks.shown_state(conv):
            await self.refresh(tenant_id, conv, thread)

    async def holder_changed(self, tenant_id: str, cid: str) -> None:
        """The ACD assigned, transferred or requeued a conversation: its thread's first message shows it
        (nothing when it has no thread yet: the thread opens with the state as it is then)."""
        keys = TenantKeys(tenant_id)
        shown = replies.maybe_text(await self.redis.hget(keys.slack_thread(cid), "shown"))
        if shown is None:
            return
        conv = await get_conversation(self.redis, keys, cid)
        if conv is not None and shown != blocks.shown_state(conv):
            await self.refresh(tenant_id, conv)

    async def refresh(self, tenant_id: str, conv: Conversation, thread: dict[str, str] | None = None) -> None:
        """Show the conversation's state (and the controls it allows) on its thread's first message."""
        keys = TenantKeys(tenant_id)
        thread = thread or replies.fields(await self.redis.hgetall(keys.slack_thread(conv.id)))
        app = self.apps.app(tenant_id, thread.get("app", "")) if thread else None
        if app is None or not thread:
            return
        text, body = blocks.root(conv, self.config.tenants[tenant_id], thread.get("customer", ""))
        await app.tracked(app.client.update(thread["channel"], thread["ts"], text, blocks=body,
                                            metadata=blocks.metadata(conv.id, "root")))
        await runner(self.redis).call(THREAD_SHOWN, keys=[keys.slack_thread(conv.id)], args=[blocks.shown_state(conv)])

    async def _open(self, tenant_id: str, app_id: str, conv: Conversation) -> dict[str, str]:
        keys = TenantKeys(tenant_id)
        tenant = self.config.tenants[tenant_id]
        app = self.apps.app(tenant_id, app_id)
        if app is None:
            raise NotReady("the slack app is not ready")
        channel = tenant.queues[conv.queue].slack_channel
        customer = replies.maybe_text(await self.redis.hget(keys.contact(conv.contact_id), "name")) or ""
        text, body = blocks.root(conv, tenant, customer)
        ts = await app.tracked(app.client.post_message(channel, text, blocks=body,
                                                       metadata=blocks.metadata(conv.id, "root")))
        thread = {"app": app_id, "channel": channel, "ts": ts, "customer": customer, "shown": blocks.shown_state(conv)}
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(keys.slack_thread(conv.id), mapping=replies.mapping(thread))
            pipe.set(keys.slack_thread_of(channel, ts), conv.id, ex=THREAD_TTL_S)
            pipe.set(keys.slack_posted(channel, ts), "1", ex=POSTED_TTL_S)
            await pipe.execute()
        return thread

    async def _line(self, keys: TenantKeys, cid: str, thread: dict[str, str], ts: str) -> None:
        """Remember a line we posted: ours (never an agent's words), and the thread's (an erasure deletes it)."""
        if ts:
            await runner(self.redis).call(
                MIRROR_LINE, keys=[keys.slack_thread(cid), keys.slack_lines(cid),
                                   keys.slack_posted(thread["channel"], ts), keys.slack_erase()],
                args=[thread["app"], thread["channel"], ts, POSTED_TTL_S])

    async def _message(self, keys: TenantKeys, cid: str, seq: int) -> dict[str, str] | None:
        rows = replies.entries(await self.redis.xrange(keys.conv_messages(cid), f"{seq}-0", f"{seq}-0"))
        return dict(rows[0][1]) if rows else None


def _mirrored(message: dict[str, str]) -> bool:
    """Customer messages, and what agents wrote in the console (not system lines, not Slack's own)."""
    if message.get("kind") not in ("visitor", "agent", "note"):
        return False
    if message.get("cid", "").startswith(("slack:", "note:slack:")):  # written in Slack: it is there already
        return False
    extra = json.loads(message["extra"]) if message.get("extra") else {}
    return not (isinstance(extra, dict) and extra.get("via") == "slack")
