"""Agent replies to bridged conversations: a per-conversation ordered outbox in Redis, sent by a worker.

``enqueue`` stores the reply before the agent's ack, so a reply acknowledged is a reply that will
be sent (or reported failed). One process at a time sends a conversation's outbox (a lease), head
first, so the customer reads replies in the agent's order. The bridge's error says what happens:
NotReady → back-off (at least its retry_after), AuthFailed → the channel is marked auth_failed and
its queued replies fail with that reason (until a process starts with new credentials), Fatal →
dropped and reported.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import LockError

from acd import replies
from bridges.base import AuthFailed, Button, Fatal, Health, NotReady, Outbound, OutboundFile, Rates, Template
from gateway import channels_health
from gateway.keys import TenantKeys
from gateway.metrics import Metrics
from gateway.webhooks.channels import BridgedChannels

log = logging.getLogger(__name__)

POLL_S = 0.25  # how often a process looks for due outboxes (its own enqueues wake it at once)
LEASE_S = 3.0  # renewed every LEASE_S / 3 while sending: a process that dies leaves its outboxes this long at most
REFUSED_CREDENTIALS = "the platform refused the channel's credentials; fix the token and restart the gateway"
BACKOFF_S = (1.0, 300.0)  # first retry delay, doubling up to the cap
MAX_ATTEMPTS = 12  # NotReady this often (about half an hour): the reply is dropped and reported
SENT_TTL_S = 24 * 3600
CONCURRENCY = 16  # conversations sent at once per tenant per process


class Outcome(StrEnum):
    SENT = "sent"
    FAILED = "failed"  # dropped: Fatal, given up, or the channel is gone
    HELD = "held"  # kept for later (not used by the outbox today; the console knows it)


@dataclass(frozen=True, slots=True)
class Reply:
    """One queued reply, as stored in the outbox (JSON)."""

    conversation: str
    channel: str
    thread: str
    text: str
    client_id: str
    message_id: str = ""
    reply_to: str = ""
    attempts: int = 0
    media: list[str] = field(default_factory=list)  # ids of uploaded files (gateway/media) sent with it
    tag: str = ""  # Messenger message tag
    template: dict[str, str] | None = None  # {"name", "language"}: a WhatsApp template instead of text
    phone: str = ""  # WhatsApp: the customer's number when known
    context: dict[str, Any] = field(default_factory=dict)  # Outbound.context (email: subject, Message-ID, …)
    choices: list[dict[str, str]] = field(default_factory=list)  # Outbound.choices as {value, label, kind}


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What became of one reply; the conversation service turns it into a message status."""

    tenant: str
    conversation: str
    message_id: str
    client_id: str
    outcome: Outcome
    reason: str = ""
    platform_id: str = ""
    code: str = ""  # the platform's error code of a failure (e.g. "131047": the reply window closed)


DeliveryReporter = Callable[[DeliveryReport], Awaitable[None]]
FileReader = Callable[[str, str], Awaitable[OutboundFile]]  # (tenant, media id) -> the file


def backoff(attempts: int, retry_after: float | None) -> float:
    """Seconds before the next try: doubling from the first delay, never before the platform's retry_after."""
    first, cap = BACKOFF_S
    return max(retry_after or 0.0, min(first * 2**attempts, cap))


class Outbox:
    """The ordered outboxes of every tenant, and the worker that drains them."""

    def __init__(self, redis: Redis, channels: BridgedChannels, report: DeliveryReporter, metrics: Metrics,
                 read_file: FileReader | None = None) -> None:
        self.redis = redis
        self.channels = channels
        self.report = report
        self.metrics = metrics
        self.read_file = read_file  # uploaded files by id (gateway/media), sent as uploads
        self._wake: dict[str, asyncio.Event] = {}

    async def enqueue(self, tenant: str, conversation: str, text: str, client_id: str, *, channel: str,
                      thread: str, message_id: str = "", reply_to: str = "", media: list[str] | None = None,
                      tag: str = "", template: Template | None = None, phone: str = "",
                      context: Mapping[str, Any] | None = None, choices: tuple[Button, ...] = ()) -> None:
        """Queue a reply behind the conversation's earlier ones (call before acknowledging the agent)."""
        keys = TenantKeys(tenant)
        item = Reply(conversation, channel, thread, text, client_id, message_id, reply_to, 0, list(media or []), tag,
                     {"name": template.name, "language": template.language} if template else None, phone,
                     dict(context or {}), [asdict(c) for c in choices])
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.rpush(keys.outbox(conversation), json.dumps(asdict(item)))
            pipe.zadd(keys.outbox_due(), {conversation: time.time()}, nx=True)
            await pipe.execute()
        self._wake_up(tenant)

    async def resume(self, tenant: str) -> None:
        """At start-up: every waiting outbox is due now (held ones may go with fixed credentials)."""
        keys = TenantKeys(tenant)
        later = replies.texts(await self.redis.zrangebyscore(keys.outbox_due(), time.time(), "+inf"))
        if later:
            await self.redis.zadd(keys.outbox_due(), dict.fromkeys(later, time.time()), xx=True)

    async def run(self, tenant: str) -> None:
        """Send ``tenant``'s due outboxes until cancelled. Each conversation is drained on its own (at most
        CONCURRENCY at once): a platform call that hangs holds up its own conversation, never the others."""
        limit = asyncio.Semaphore(CONCURRENCY)
        flying: dict[str, asyncio.Task[None]] = {}

        async def one(cid: str) -> None:
            try:
                async with limit:
                    await self.drain(tenant, cid)
            except Exception:
                log.exception("outbox drain failed", extra={"tenant": tenant, "conversation": cid})
            finally:
                flying.pop(cid, None)
                self._wake_up(tenant)  # it may be due again at once (the next reply), or others wait

        try:
            while True:
                try:
                    due = replies.texts(await self.redis.zrangebyscore(
                        TenantKeys(tenant).outbox_due(), "-inf", time.time(), 0, 64 + len(flying)
                    ))
                    for cid in due:
                        if cid not in flying:
                            flying[cid] = asyncio.create_task(one(cid))
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("outbox step failed", extra={"tenant": tenant})
                wake = self._wake.setdefault(tenant, asyncio.Event())
                try:
                    await asyncio.wait_for(wake.wait(), POLL_S)
                except TimeoutError:
                    pass
                wake.clear()
        finally:
            for task in flying.values():
                task.cancel()
            await asyncio.gather(*flying.values(), return_exceptions=True)

    def _wake_up(self, tenant: str) -> None:
        self._wake.setdefault(tenant, asyncio.Event()).set()

    async def drain(self, tenant: str, cid: str) -> None:
        """Send one conversation's replies in order, while this process holds its lease."""
        keys = TenantKeys(tenant)
        lock = self.redis.lock(keys.outbox_lock(cid), timeout=LEASE_S, blocking=False)
        if not await lock.acquire():
            return  # another process is sending this conversation
        keeper = asyncio.create_task(self._keep(lock, tenant, cid))
        try:
            while await self._send_head(tenant, cid):
                pass
        finally:
            keeper.cancel()
            await asyncio.gather(keeper, return_exceptions=True)
            try:
                await lock.release()
            except LockError:
                log.warning("outbox lease expired while sending", extra={"tenant": tenant, "conversation": cid})

    async def _keep(self, lock: Any, tenant: str, cid: str) -> None:
        """Renew the lease while this process sends (a send may take the HTTP client's whole timeout),
        so that it stays short for the case that matters: a process killed mid-send."""
        while True:
            await asyncio.sleep(LEASE_S / 3)
            try:
                await lock.reacquire()
            except LockError:
                log.warning("outbox lease lost while sending", extra={"tenant": tenant, "conversation": cid})
                return
            except Exception:  # Redis away for a moment: try again at the next turn
                log.warning("outbox lease renewal failed", extra={"tenant": tenant, "conversation": cid})

    async def _send_head(self, tenant: str, cid: str) -> bool:
        """Try the oldest reply; True when it is done with (sent or dropped) and the next may go."""
        keys = TenantKeys(tenant)
        raw = await self.redis.lindex(keys.outbox(cid), 0)
        if raw is None:
            await self.redis.zrem(keys.outbox_due(), cid)
            if await self.redis.llen(keys.outbox(cid)):  # an enqueue raced the removal
                await self.redis.zadd(keys.outbox_due(), {cid: time.time()})
            return False
        item = Reply(**json.loads(raw))
        if await self.redis.sismember(keys.outbox_sent(cid), item.client_id):
            await self.redis.lpop(keys.outbox(cid))  # enqueued twice (the agent resent): sent once
            return True
        channel = self.channels.get(tenant, item.channel)
        if channel is None or channel.bridge is None:
            return await self._drop(tenant, item, "the channel is not configured or is disabled", "")
        if await channels_health.state_of(self.redis, tenant, item.channel) is Health.AUTH_FAILED:
            # queued replies fail with the reason rather than wait for a token nobody may fix soon
            return await self._drop(tenant, item, REFUSED_CREDENTIALS, channel.spec.type, "auth_failed")
        kind = channel.spec.type
        wait = await self._pace(tenant, item, channel.spec.rates)
        if wait > 0:  # the platform's pace for this chat (or the whole channel): only this chat waits
            return await self._retry_at(tenant, cid, time.time() + wait)
        try:
            files = tuple([await self.read_file(tenant, m) for m in item.media]) if self.read_file else ()
            template = Template(**item.template) if item.template else None
            sent = await channel.bridge.send(Outbound(
                item.thread, item.text, item.client_id, item.reply_to, files, item.tag, template, item.phone,
                item.context, tuple(Button(**c) for c in item.choices),
            ))
        except NotReady as err:
            self.metrics.outbound.labels(kind, "not_ready").inc()
            await channels_health.report(self.redis, tenant, item.channel, Health.TRANSIENT_ERROR)
            if item.attempts + 1 >= MAX_ATTEMPTS:
                return await self._drop(tenant, item, f"gave up after {MAX_ATTEMPTS} attempts: {err}", kind)
            await self.redis.lset(keys.outbox(cid), 0, json.dumps(asdict(replace(item, attempts=item.attempts + 1))))
            return await self._retry_at(tenant, cid, time.time() + backoff(item.attempts, err.retry_after))
        except AuthFailed as err:
            self.metrics.outbound.labels(kind, "auth_failed").inc()
            log.error("channel credentials refused: its replies are held",
                      extra={"tenant": tenant, "channel": item.channel, "error": str(err)})
            await channels_health.report(self.redis, tenant, item.channel, Health.AUTH_FAILED)
            return await self._drop(tenant, item, f"{REFUSED_CREDENTIALS} ({err})", kind, "auth_failed")
        except Fatal as err:
            return await self._drop(tenant, item, err.reason or str(err), kind, err.code)
        except (OSError, LookupError) as err:  # an uploaded file is gone from storage: it can never be sent
            return await self._drop(tenant, item, f"the attached file is not available: {err}", kind)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.lpop(keys.outbox(cid))
            pipe.sadd(keys.outbox_sent(cid), item.client_id)
            pipe.expire(keys.outbox_sent(cid), SENT_TTL_S)
            await pipe.execute()
        self.metrics.outbound.labels(kind, "sent").inc()
        await channels_health.report(self.redis, tenant, item.channel, Health.OK)
        await self._tell(tenant, item, Outcome.SENT, platform_id=sent.message_id)
        return True

    async def _retry_at(self, tenant: str, cid: str, when: float) -> bool:
        await self.redis.zadd(TenantKeys(tenant).outbox_due(), {cid: when})
        return False

    async def _pace(self, tenant: str, item: Reply, rates: Rates) -> float:
        """Seconds this reply must still wait for the platform's pace (0: it may go now, and counts)."""
        keys, now = TenantKeys(tenant), time.time()
        if rates.per_chat_s > 0:
            last = replies.maybe_text(await self.redis.get(keys.outbox_last(item.conversation)))
            if last and now - float(last) < rates.per_chat_s:
                return float(last) + rates.per_chat_s - now
        if rates.per_channel_per_s > 0:
            second = keys.outbox_rate(item.channel, int(now))
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.incr(second)
                pipe.expire(second, 2)
                count, _ = await pipe.execute()
            if count > rates.per_channel_per_s:
                return 1.0 - (now % 1.0)  # the next second
        if rates.per_chat_s > 0:
            await self.redis.set(keys.outbox_last(item.conversation), repr(now), ex=max(int(rates.per_chat_s) + 1, 2))
        return 0.0

    async def _drop(self, tenant: str, item: Reply, reason: str, kind: str, code: str = "") -> bool:
        await self.redis.lpop(TenantKeys(tenant).outbox(item.conversation))
        self.metrics.outbound.labels(kind or "unknown", "failed").inc()
        log.warning("reply dropped", extra={"tenant": tenant, "conversation": item.conversation, "reason": reason})
        await self._tell(tenant, item, Outcome.FAILED, reason, code=code)
        return True

    async def _tell(self, tenant: str, item: Reply, outcome: Outcome, reason: str = "", platform_id: str = "",
                    code: str = "") -> None:
        report = DeliveryReport(tenant, item.conversation, item.message_id, item.client_id, outcome, reason, platform_id,
                                code)
        try:
            await self.report(report)
        except Exception:  # the reply's fate is settled; a failing status update must not resend it
            log.exception("delivery report failed", extra={"tenant": tenant, "conversation": item.conversation})
