"""A tenant's webhook subscriptions, kept in Redis (``hook_sub``/``hook_subs``): the fan-out script
reads the live set in the same atomic step that acknowledges a stream entry, so every gateway
process sees a change at once and no event is matched against a stale copy."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from acd import replies
from acd.keys import AcdKeys
from acd.lua_runner import runner
from gateway.config.schema import EventSubscriptionConfig
from gateway.event_webhooks.events import EVENT_TYPES
from gateway.event_webhooks.scripts import GROUP, SUBSCRIBE, SWEEP, UNSUBSCRIBE
from gateway.event_webhooks.targets import TargetRefused, check_url
from gateway.keys import TenantKeys

SECRET_PREFIX = "whsec_"
MAX_SUBSCRIPTIONS = 20
MAX_NAME = 200
RETRY_WINDOW_S = (1.0, 7 * 86400.0)


def new_secret() -> str:
    """A fresh signing secret (shown to the admin once; gateway/signing.py signs with it)."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


class Invalid(ValueError):
    """A subscription body that cannot be stored; ``field`` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Subscription:
    id: str
    url: str
    events: tuple[str, ...]
    secret: str
    enabled: bool
    retry_window_s: float
    name: str = ""
    created_at: float = 0.0
    updated_at: float = 0.0
    origin: str = "admin"  # admin (made through the API) | config (the config file's; see ensure_configured)

    def public(self) -> dict[str, Any]:
        """What the admin API shows (never the secret; its last four characters to tell secrets apart)."""
        return {"id": self.id, "name": self.name, "url": self.url, "events": list(self.events), "enabled": self.enabled,
                "retry_window_s": self.retry_window_s, "secret_hint": "…" + self.secret[-4:],
                "created_at": self.created_at, "updated_at": self.updated_at, "origin": self.origin}

    def wants(self, event_type: str) -> bool:
        return self.enabled and ("*" in self.events or event_type in self.events)


def _decode(raw: dict[str, str]) -> Subscription:
    return Subscription(
        id=raw["id"], url=raw.get("url", ""), events=tuple(e for e in raw.get("events", "").split(",") if e),
        secret=raw.get("secret", ""), enabled=raw.get("enabled") == "1",
        retry_window_s=float(raw.get("retry_window_s") or 86400), name=raw.get("name", ""),
        created_at=float(raw.get("created_at") or 0), updated_at=float(raw.get("updated_at") or 0),
        origin=raw.get("origin") or "admin",
    )


def config_id(tenant: str, url: str) -> str:
    """The stable id of a config-defined subscription: the same entry gets the same id at every start."""
    return "s_" + hashlib.sha256(f"config\n{tenant}\n{url}".encode()).hexdigest()[:12]


def parse(body: dict[str, Any], *, allow_private: bool, default_window_s: float, partial: bool) -> dict[str, str]:
    """The fields of a create (all) or update (``partial``) body, checked; Invalid otherwise."""
    out: dict[str, str] = {}
    unknown = set(body) - {"url", "events", "enabled", "retry_window_s", "name"}
    if unknown:
        raise Invalid(sorted(unknown)[0], f"unknown field '{sorted(unknown)[0]}'")
    if "url" in body or not partial:
        try:
            out["url"] = check_url(body.get("url", ""), allow_private)
        except TargetRefused as err:
            raise Invalid("url", str(err)) from err
    if "events" in body or not partial:
        events = body.get("events", ["*"])
        if (not isinstance(events, list) or not events or not all(isinstance(e, str) for e in events)
                or len(events) > len(EVENT_TYPES)):
            raise Invalid("events", "events must be a non-empty list of event types, or [\"*\"] for all")
        bad = [e for e in events if e != "*" and e not in EVENT_TYPES]
        if bad:
            raise Invalid("events", f"unknown event type '{bad[0]}' (known: {', '.join(EVENT_TYPES)})")
        out["events"] = "*" if "*" in events else ",".join(dict.fromkeys(events))
    if "enabled" in body or not partial:
        enabled = body.get("enabled", True)
        if not isinstance(enabled, bool):
            raise Invalid("enabled", "enabled must be true or false")
        out["enabled"] = "1" if enabled else "0"
    if "retry_window_s" in body or not partial:
        window = body.get("retry_window_s", default_window_s)
        low, high = RETRY_WINDOW_S
        if isinstance(window, bool) or not isinstance(window, int | float) or not low <= window <= high:
            raise Invalid("retry_window_s", f"retry_window_s must be a number of seconds from {low:.0f} to {high:.0f}")
        out["retry_window_s"] = repr(float(window))
    if "name" in body or not partial:
        name = body.get("name", "")
        if not isinstance(name, str) or len(name) > MAX_NAME:
            raise Invalid("name", f"name must be a text of at most {MAX_NAME} characters")
        out["name"] = name
    return out


class Subscriptions:
    """Create, change, rotate, delete and read one tenant's subscriptions."""

    def __init__(self, redis: Redis, tenant: str) -> None:
        self.redis, self.tenant, self.keys = redis, tenant, TenantKeys(tenant)

    def _script_keys(self, sid: str) -> list[str]:
        return [self.keys.hook_sub(sid), self.keys.hook_subs(), self.keys.archive(), AcdKeys(self.tenant).events()]

    async def all(self) -> list[Subscription]:
        ids = sorted(replies.texts(list(await self.redis.smembers(self.keys.hook_subs()))))
        async with self.redis.pipeline(transaction=False) as pipe:
            for sid in ids:
                pipe.hgetall(self.keys.hook_sub(sid))
            got = await pipe.execute()
        return [_decode(replies.fields(raw)) for raw in got if raw]

    async def get(self, sid: str) -> Subscription | None:
        raw = replies.fields(await self.redis.hgetall(self.keys.hook_sub(sid)))
        return _decode(raw) if raw else None

    async def create(self, fields: dict[str, str]) -> Subscription:
        if await self.redis.scard(self.keys.hook_subs()) >= MAX_SUBSCRIPTIONS:
            raise Invalid("", f"a tenant has at most {MAX_SUBSCRIPTIONS} subscriptions")
        sid, now = "s_" + secrets.token_hex(6), repr(time.time())
        record = {**fields, "id": sid, "secret": new_secret(), "created_at": now, "updated_at": now}
        flat = [x for k, v in record.items() for x in (k, v)]
        await runner(self.redis).call(SUBSCRIBE, keys=self._script_keys(sid), args=[sid, GROUP, "1", *flat])
        created = await self.get(sid)
        assert created is not None
        return created

    async def update(self, sid: str, fields: dict[str, str]) -> Subscription | None:
        flat = [x for k, v in {**fields, "updated_at": repr(time.time())}.items() for x in (k, v)]
        if not await runner(self.redis).call(SUBSCRIBE, keys=self._script_keys(sid), args=[sid, GROUP, "0", *flat]):
            return None
        return await self.get(sid)

    async def rotate(self, sid: str) -> Subscription | None:
        """A new secret, in effect for the next attempt (shown once)."""
        return await self.update(sid, {"secret": new_secret()})

    async def delete(self, sid: str) -> bool:
        """Remove it with its queued deliveries and dead letters; the last one takes the group with it."""
        existed, destroyed = await runner(self.redis).call(UNSUBSCRIBE, keys=self._script_keys(sid), args=[sid, GROUP])
        await self._forget(sid)
        if destroyed:
            await self.sweep()
        return bool(existed)

    async def _forget(self, sid: str) -> None:
        keys = self.keys
        members = [m for m in replies.texts(await self.redis.zrange(keys.hook_due(), 0, -1)) if m.startswith(sid + "|")]
        dead = replies.texts(await self.redis.zrange(keys.hook_dead(sid), 0, -1))
        async with self.redis.pipeline(transaction=False) as pipe:
            for member in members:
                pipe.lrange(keys.hook_queue(sid, member.split("|", 1)[1]), 0, -1)
            queued = await pipe.execute()
        doomed = [keys.hook_delivery(d) for ids in queued for d in replies.texts(ids)]
        doomed += [keys.hook_delivery(d) for d in dead]
        doomed += [keys.hook_queue(sid, m.split("|", 1)[1]) for m in members]
        doomed += [keys.hook_dead(sid), keys.hook_recent(sid), keys.hook_inflight(sid)]
        async with self.redis.pipeline(transaction=False) as pipe:
            for i in range(0, len(doomed), 500):
                pipe.delete(*doomed[i:i + 500])
            if members:
                pipe.zrem(keys.hook_due(), *members)
                pipe.hdel(keys.hook_leases(), *members)
            await pipe.execute()

    async def ensure_configured(self, entries: list[EventSubscriptionConfig], default_window_s: float) -> list[str]:
        """Make the config file's subscriptions exist as written (idempotent; an admin's enable/disable
        stays) and delete config-defined ones the file no longer lists; their ids."""
        wanted: dict[str, dict[str, str]] = {}
        for entry in entries:
            if not entry.url:
                continue  # off (e.g. ${EVENTS_WEBHOOK_URL:-} unset)
            url = entry.url.strip()
            window = entry.retry_window_s if entry.retry_window_s is not None else default_window_s
            wanted[config_id(self.tenant, url)] = {
                "url": url, "events": "*" if "*" in entry.events else ",".join(dict.fromkeys(entry.events)),
                "secret": entry.secret, "retry_window_s": repr(float(window)), "name": entry.name, "origin": "config"}
        for sub in await self.all():
            if sub.origin == "config" and sub.id not in wanted:
                await self.delete(sub.id)
        for sid, fields in wanted.items():
            current = replies.fields(await self.redis.hgetall(self.keys.hook_sub(sid)))
            if not current:
                now = repr(time.time())
                record = {**fields, "id": sid, "enabled": "1", "created_at": now, "updated_at": now}
                flat = [x for k, v in record.items() for x in (k, v)]
                if await runner(self.redis).call(SUBSCRIBE, keys=self._script_keys(sid), args=[sid, GROUP, "1", *flat]):
                    continue
                # another process starting at the same moment made it first: compare with that
                current = replies.fields(await self.redis.hgetall(self.keys.hook_sub(sid)))
            if any(current.get(k) != v for k, v in fields.items()):
                await self.update(sid, fields)
        return list(wanted)

    async def sweep(self) -> int:
        """Delete the outbox entries only the webhooks held back (after the group went)."""
        deleted, start = 0, "-"
        while True:
            batch = replies.entries(await self.redis.xrange(self.keys.archive(), min=start, count=500))
            if not batch:
                return deleted
            deleted += int(await runner(self.redis).call(SWEEP, keys=[self.keys.archive()], args=[i for i, _ in batch]))
            start = "(" + batch[-1][0]
