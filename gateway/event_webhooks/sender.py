"""Sending queued deliveries: any process takes a due queue (one subscription, one conversation)
under a lease, posts its head signed, and settles the outcome in one Lua step — delivered, retried
later with exponential back-off and jitter, or after the subscription's retry window parked as a
dead letter. A later delivery of the same conversation waits behind its head; other conversations
go on. Nothing on a request path waits for any of this."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
import time
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

from acd import replies
from acd.lua_runner import runner
from gateway.config.schema import EventWebhooksConfig
from gateway.event_webhooks.scripts import CLAIM, SETTLE
from gateway.event_webhooks.targets import PublicResolver, TargetRefused, check_url
from gateway.keys import TenantKeys
from gateway.metrics import Metrics
from gateway.signing import SIGNATURE_HEADER, SigningError, sign

log = logging.getLogger(__name__)

RECENT = 50  # attempts kept per subscription for the admin screen
RESPONSE_BYTES = 4096  # of a receiver's answer we read (and drop): the status is what counts
HOLD_S = 30.0  # a disabled subscription's queue is looked at again after this
USER_AGENT = "omnirelay-webhooks/1"


def backoff(attempts: int, first: float, cap: float) -> float:
    """Seconds before retry number ``attempts`` (1, 2, …): doubling, capped, half of it random ("equal jitter")."""
    delay = min(cap, first * 2 ** max(attempts - 1, 0))
    return delay / 2 + random.uniform(0, delay / 2)


class Sender:
    """The sending side of one gateway process, for every tenant."""

    def __init__(self, redis: Redis, settings: EventWebhooksConfig, metrics: Metrics | None = None) -> None:
        self.redis, self.settings, self.metrics = redis, settings, metrics
        self.lease_s = settings.timeout_s + 5  # longer than one attempt, however it ends (the settle follows at once)
        self.limit = asyncio.Semaphore(max(1, settings.max_in_flight))
        self.session: aiohttp.ClientSession | None = None
        self.trusted: aiohttp.ClientSession | None = None  # for the config file's subscriptions: any address
        self._wake: dict[str, asyncio.Event] = {}
        self._active: set[tuple[str, str]] = set()
        self._tasks: set[asyncio.Task] = set()

    async def start(self) -> None:
        self.session = self._session(public_only=not self.settings.allow_private_targets)
        self.trusted = self._session(public_only=False)

    def _session(self, *, public_only: bool) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(limit=max(1, self.settings.max_in_flight),
                                         resolver=PublicResolver() if public_only else None)
        return aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=self.settings.timeout_s),
            headers={"User-Agent": USER_AGENT}, cookie_jar=aiohttp.DummyCookieJar(),
        )

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5)
        for session in (self.session, self.trusted):
            if session is not None:
                await session.close()

    def wake(self, tenant: str) -> None:
        self._wake.setdefault(tenant, asyncio.Event()).set()

    async def run(self, tenant: str) -> None:
        """Send ``tenant``'s due queues until cancelled."""
        keys = TenantKeys(tenant)
        wake = self._wake.setdefault(tenant, asyncio.Event())
        while True:
            wake.clear()
            try:
                room = self.settings.max_in_flight - len(self._active)
                if room > 0:
                    due = replies.texts(await self.redis.zrangebyscore(keys.hook_due(), "-inf", time.time(), 0, room * 2))
                    for member in due:
                        if (tenant, member) not in self._active and len(self._active) < self.settings.max_in_flight:
                            self._active.add((tenant, member))
                            task = asyncio.ensure_future(self._drain(tenant, member))
                            self._tasks.add(task)
                            task.add_done_callback(self._tasks.discard)
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as err:
                log.warning("event webhook sender cannot reach Redis", extra={"tenant": tenant, "error": str(err)})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), self.settings.poll_s)

    async def _drain(self, tenant: str, member: str) -> None:
        """Send one queue's deliveries in order while this process holds its lease."""
        try:
            async with self.limit:
                token = secrets.token_hex(8)
                while await self._claim(tenant, member, token):
                    if not await self.attempt(tenant, member, token):
                        break
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("event webhook delivery step failed", extra={"tenant": tenant, "queue": member})
        finally:
            self._active.discard((tenant, member))

    async def _claim(self, tenant: str, member: str, token: str) -> bool:
        keys, (sid, key) = TenantKeys(tenant), member.split("|", 1)
        return bool(await runner(self.redis).call(
            CLAIM, keys=[keys.hook_due(), keys.hook_leases(), keys.hook_inflight(sid)],
            args=[member, repr(time.time()), repr(self.lease_s), token, self.settings.per_subscription, key]))

    async def attempt(self, tenant: str, member: str, token: str) -> bool:
        """Try the queue's head once; True when it left the queue (the next one may go at once)."""
        keys, (sid, key) = TenantKeys(tenant), member.split("|", 1)
        did = replies.maybe_text(await self.redis.lindex(keys.hook_queue(sid, key), 0))
        if did is None:
            await self._settle(tenant, member, token, "", "release")
            return False
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(keys.hook_delivery(did))
            pipe.hgetall(keys.hook_sub(sid))
            d, sub = (replies.fields(x) for x in await pipe.execute())
        if not sub:  # the subscription is being deleted: its queues go with it
            await self._settle(tenant, member, token, "", "release")
            return False
        if sub.get("enabled") != "1":
            await self._settle(tenant, member, token, did, "hold", next_at=time.time() + HOLD_S)
            return False
        if not d:  # its record expired (should not happen while queued): nothing to send, let the rest go
            return await self._settle(tenant, member, token, did, "ok", recent={"delivery_id": did, "outcome": "missing"})
        status, error, started = 0, "", time.monotonic()
        body = d.get("body", "").encode()
        try:
            # the operator's config file may name a receiver inside the network (like crm.url); an admin's may not
            configured = sub.get("origin") == "config"
            url = check_url(sub.get("url", ""), self.settings.allow_private_targets or configured)
            session = self.trusted if configured else self.session
            assert session is not None
            headers = {"Content-Type": "application/json", "X-Omnirelay-Event": d.get("type", ""),
                       "X-Omnirelay-Delivery": did, SIGNATURE_HEADER: sign(sub.get("secret", ""), body)}
            async with session.post(url, data=body, headers=headers, allow_redirects=False) as r:
                status = r.status
                await r.content.read(RESPONSE_BYTES)
        except (TargetRefused, SigningError) as err:  # no secret: never sent unsigned (fail closed)
            error = str(err)
        except (aiohttp.ClientError, TimeoutError, OSError) as err:
            error = _describe(err)
        latency_ms = round((time.monotonic() - started) * 1000, 1)
        now = time.time()
        attempts = int(d.get("attempts") or 0) + 1
        fields: dict[str, Any] = {"attempts": attempts, "last_status": status, "last_error": error,
                                  "last_latency_ms": latency_ms, "last_attempt_at": repr(now)}
        if 200 <= status < 300:
            outcome = "ok"
            fields |= {"status": "delivered", "delivered_at": repr(now), "next_at": ""}
        else:
            delay = backoff(attempts, self.settings.backoff_first_s, self.settings.backoff_max_s)
            window = float(sub.get("retry_window_s") or self.settings.retry_window_s)
            if now + delay > float(d.get("queued_at") or now) + window:
                outcome = "dead"
                fields |= {"status": "dead", "dead_at": repr(now), "next_at": ""}
            else:
                outcome = "retry"
                fields |= {"status": "retrying", "next_at": repr(now + delay)}
        recent = {"delivery_id": did, "event_id": d.get("event"), "type": d.get("type"), "key": key,
                  "status": status, "error": error, "latency_ms": latency_ms, "attempts": attempts,
                  "at": round(now, 3), "outcome": {"ok": "delivered", "retry": "failed", "dead": "dead_lettered"}[outcome]}
        if self.metrics is not None:
            self.metrics.event_webhooks.labels(tenant, recent["outcome"]).inc()
        if outcome != "ok":
            log.info("event webhook attempt failed", extra={
                "tenant": tenant, "subscription": sid, "delivery": did, "host": urlsplit(sub.get("url", "")).hostname,
                "status": status, "error": error, "attempts": attempts, "outcome": recent["outcome"]})
        left = await self._settle(tenant, member, token, did, outcome, next_at=now + (delay if outcome == "retry" else 0),
                                  fields=fields, recent=recent)
        return left and outcome != "retry"

    async def _settle(self, tenant: str, member: str, token: str, did: str, outcome: str, *, next_at: float = 0.0,
                      fields: dict[str, Any] | None = None, recent: dict[str, Any] | None = None) -> bool:
        keys, (sid, key) = TenantKeys(tenant), member.split("|", 1)
        keep = self.settings.keep_dead_s if outcome == "dead" else self.settings.keep_delivered_s
        flat = [str(x) for k, v in (fields or {}).items() for x in (k, v)]
        done = await runner(self.redis).call(
            SETTLE,
            keys=[keys.hook_due(), keys.hook_leases(), keys.hook_inflight(sid), keys.hook_queue(sid, key),
                  keys.hook_delivery(did or "-"), keys.hook_recent(sid), keys.hook_dead(sid)],
            args=[member, token, did, outcome, repr(time.time()), key, repr(next_at), int(keep),
                  orjson.dumps(recent or {}).decode(), RECENT, *flat])
        if not done:
            log.warning("event webhook lease ran out during an attempt; another process owns the queue now",
                        extra={"tenant": tenant, "queue": member})
        return bool(done)


def _describe(err: BaseException) -> str:
    if isinstance(err, TimeoutError | asyncio.TimeoutError):
        return "timeout"
    text = str(err) or type(err).__name__
    return f"{type(err).__name__}: {text}"[:300]
