"""The admin settings of every tenant, kept in effect in this gateway process.

A write (1) checks the tenant with the change laid over, (2) commits the item, the tenant's next
revision and the audit entry in one transaction, (3) puts the new tenant in effect here (the shared
Config object, the ACD engine, business hours) and (4) publishes the revision on Redis. Every other
process reloads that tenant when it hears the message, and polls the revisions every few seconds
too, so a missed message or a Redis reconnect loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
from redis.asyncio import Redis
from redis.exceptions import RedisError

from gateway.admin import store
from gateway.admin.bodies import SINGLE
from gateway.admin.overlay import Effective, Key, Stored, differs, effective
from gateway.audit import append_entry, audit_entry
from gateway.auth import Principal
from gateway.background import Background
from gateway.config.schema import Config, TenantConfig
from gateway.keys import ADMIN_SETTINGS, TenantKeys

log = logging.getLogger(__name__)
POLL_S = 3.0  # every process compares the tenants' revisions this often (a missed message loses nothing)
RESUBSCRIBE_S = 1.0


class Stale(Exception):
    """The tenant's revision moved since the client read it (If-Match)."""


class NotFound(Exception):
    """There is no stored version to drop."""


class Refused(Exception):
    """The change would not fit the config: 400 (a field of the body) or 409 (something uses it)."""

    def __init__(self, status: int, code: str, field: str, message: str):
        super().__init__(message)
        self.status, self.code, self.field, self.message = status, code, field, message


@dataclass(frozen=True)
class Change:
    """One write: ``op`` save (``body``), delete (a marker hiding the YAML's item) or drop (the row
    goes: the YAML's version is back, or an admin-made item is gone)."""

    kind: str
    item_id: str
    op: str
    action: str
    body: Any = None
    fields: tuple[str, ...] = ()  # changed fields that the JSON forms do not show (password)


@dataclass
class TenantState:
    revision: int = -1
    items: list[Stored] = field(default_factory=list)
    problems: dict[Key, str] = field(default_factory=dict)


class AdminSettings:
    """Loads, applies and writes the admin settings; one per gateway process (with a database)."""

    def __init__(self, config: Config, pool: asyncpg.Pool, redis: Redis):
        self.config, self.pool, self.redis = config, pool, redis
        # the YAML's tenants as the file has them: every overlay starts from these
        self.base: dict[str, TenantConfig] = {tid: copy.deepcopy(t) for tid, t in config.tenants.items()}
        self.state: dict[str, TenantState] = defaultdict(TenantState)
        self.reconfigure: Callable[[TenantConfig], Any] | None = None  # the Router's, once routing runs
        self.publishing = True  # tests turn it off to show the poll alone brings a change
        self.poll_s = POLL_S
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._tasks = Background()

    # --- start-up and the other processes' changes -----------------------------------------
    async def load(self) -> None:
        """Put every tenant's stored settings in effect (at start-up, before routing starts)."""
        for tid, base in self.base.items():
            revision, items = await store.load(self.pool, tid)
            eff = effective(base, items)
            for item in items:
                if item.key not in eff.problems and differs(base, item, eff.tenant):
                    log.info("the admin's version is in effect, not the config file's",
                             extra={"tenant": tid, "kind": item.kind, "item": item.item_id})
            await self._install(tid, revision, items, eff)

    def start(self) -> None:
        self._tasks.start("admin-settings-listen", self._listen())
        self._tasks.every("admin-settings-poll", self.poll_s, self.poll)

    async def stop(self) -> None:
        await self._tasks.stop()

    async def poll(self) -> None:
        """Reload every tenant whose revision moved past the one in effect here."""
        for tid, revision in (await store.revisions(self.pool)).items():
            if tid in self.base and revision > self.state[tid].revision:
                await self.reload(tid)

    async def reload(self, tid: str) -> None:
        async with self.pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            revision, items = await store.load(conn, tid)
        if revision > self.state[tid].revision:
            await self._install(tid, revision, items, effective(self.base[tid], items, quiet=True))

    async def _listen(self) -> None:
        while True:
            try:
                async with self.redis.pubsub() as pubsub:
                    await pubsub.subscribe(ADMIN_SETTINGS)
                    await self.poll()  # what was published while not subscribed
                    while True:
                        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5.0)
                        if message is not None:
                            await self._heard(str(message.get("data", "")))
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError, *store.DATABASE_ERRORS):
                log.warning("admin settings: listening failed; subscribing again", exc_info=True)
                await asyncio.sleep(RESUBSCRIBE_S)

    async def _heard(self, data: str) -> None:
        tid, _, revision = data.partition(" ")
        if tid in self.base and revision.isdigit() and int(revision) > self.state[tid].revision:
            await self.reload(tid)

    async def _install(self, tid: str, revision: int, items: list[Stored], eff: Effective) -> None:
        """Make ``eff`` the tenant in effect here, unless a newer revision already is."""
        async with self._locks[tid]:
            state = self.state[tid]
            if revision <= state.revision:
                return
            state.revision, state.items, state.problems = revision, items, eff.problems
            self.config.tenants[tid] = eff.tenant
            if self.reconfigure is not None:
                await self.reconfigure(eff.tenant)

    # --- writes ----------------------------------------------------------------------------
    async def write(self, who: Principal, change: Change, if_match: int | None,
                    details: dict | None = None) -> tuple[int, TenantConfig, TenantConfig]:
        """Commit one change and put it in effect here; (new revision, tenant before, tenant after).
        Raises Stale, Refused, or a database error (then nothing changed anywhere)."""
        tid, base = who.tenant, self.base[who.tenant]
        key = (change.kind, change.item_id)
        async with self.pool.acquire() as conn, conn.transaction():
            revision = await store.lock_revision(conn, tid)
            if if_match is not None and if_match != revision:
                raise Stale(f"the settings changed since revision {if_match} (now {revision}); reload and try again")
            _, items = await store.load(conn, tid)
            old_row = next((i for i in items if i.key == key), None)
            if change.op == "drop" and old_row is None:
                raise NotFound(f"there is no admin version of this {change.kind}")
            before = effective(base, items, quiet=True)
            kept = [i for i in items if i.key != key]
            now = datetime.now(UTC)
            row = None
            if change.op == "save":
                body = change.body
                if change.kind == "agent" and "password_hash" not in body and old_row is not None and old_row.body:
                    if old_row.body.get("password_hash"):  # a profile change keeps the admin-set password
                        body = {**body, "password_hash": old_row.body["password_hash"]}
                row = Stored(change.kind, change.item_id, body, False, now, who.user_id)
            elif change.op == "delete":
                row = Stored(change.kind, change.item_id, None, True, now, who.user_id)
            after = effective(base, kept + ([row] if row else []), quiet=True)
            broken = [k for k in after.problems if k not in before.problems]
            if broken:
                raise self._refusal(tid, change, broken[0], after)
            changed = _changed_fields(before.tenant, after.tenant, change)
            entry = audit_entry(who, change.action, {
                "kind": change.kind, "id": change.item_id, "fields": changed, "revision": revision + 1, **(details or {}),
            })
            if row is not None:
                await store.save(conn, tid, revision + 1, row)
            else:
                await store.drop(conn, tid, change.kind, change.item_id)
            await store.bump(conn, tid, revision + 1)
            await store.audit(conn, tid, entry)
        new_items = kept + ([row] if row else [])
        await self._install(tid, revision + 1, new_items, after)
        with contextlib.suppress(RedisError, OSError):  # the database has it; the live stream is a copy
            await append_entry(self.redis, TenantKeys(tid), entry)
        await self.publish(tid, revision + 1)
        return revision + 1, before.tenant, after.tenant

    async def publish(self, tid: str, revision: int) -> None:
        if not self.publishing:
            return
        try:
            await self.redis.publish(ADMIN_SETTINGS, f"{tid} {revision}")
        except (RedisError, OSError):  # the other processes' poll brings it
            log.warning("admin settings: could not publish a change", extra={"tenant": tid, "revision": revision})

    def _refusal(self, tid: str, change: Change, broken: Key, after: Effective) -> Refused:
        """400 ``invalid`` for a value of the item itself; 409 ``in_use`` when something else (another
        item, a channel, a YAML agent) would no longer fit, or for a delete."""
        message = after.problems[broken]
        if broken != (change.kind, change.item_id):
            return Refused(409, "in_use", f"{broken[0]}.{broken[1]}",
                           f"{message} (the admin's {broken[0]} '{broken[1]}' would no longer fit)")
        path = tuple(str(p) for p in after.issues.get(broken, ()))
        rel = path[2:] if path[:2] == ("tenants", tid) else path
        section = _SECTIONS[change.kind]
        own = (section,) if change.kind in SINGLE else (section, change.item_id)
        if change.op == "save" and rel[:len(own)] == own:
            return Refused(400, "invalid", ".".join(rel[len(own):]) or change.kind, message)
        if change.op == "save" and len(rel) == 1:  # a parse error of the stored body: already relative
            return Refused(400, "invalid", rel[0], message)
        return Refused(409, "in_use", ".".join(rel), message)


_SECTIONS = {"agent": "agents", "queue": "queues", "topic": "topics", "label": "labels", "hours": "hours",
             "widget": "widget", "canned": "canned"}


def _changed_fields(before: TenantConfig, after: TenantConfig, change: Change) -> list[str]:
    from gateway.admin.overlay import current, public

    old = public(change.kind, current(before, change.kind, change.item_id))
    new = public(change.kind, current(after, change.kind, change.item_id))
    if isinstance(old, dict) and isinstance(new, dict):
        names = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    else:
        names = [] if old == new else ["all"]
    return [*names, *change.fields]
