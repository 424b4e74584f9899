"""The audit trail: who did what to whose data. Kept per tenant in a Redis stream for the live view,
and appended in the same step to the archive outbox, from which the history database keeps it for good
(append-only there: migration 0004 refuses UPDATE and DELETE on the table).

What is recorded (``action``; ``details`` hold ids, never what a person wrote or their contact data):
- ``login``, ``logout`` — an agent or supervisor; ``agent.state`` — an agent's availability changed
- ``conversation.close``, ``conversation.transfer``, ``conversation.label``, ``conversation.note`` — by
  the agent holding it
- ``conversation.read`` — a conversation read by someone else than the agent who served it
  (a supervisor, or an agent in the 360° view)
- ``contact.merge``, ``contact.export``, ``contact.erase`` (the erasure keeps only the contact id)
- ``supervisor.agent_state``, ``supervisor.logout_agent``, ``supervisor.assign``, ``supervisor.move``,
  ``supervisor.monitor``, ``supervisor.whisper``, ``supervisor.barge`` — a supervisor acting
- ``admin.agent.create``, ``admin.agent.update``, ``admin.agent.password``, ``admin.queue.save``,
  ``admin.queue.delete``, ``admin.topic.save``, ``admin.topic.delete``, ``admin.canned.save``,
  ``admin.canned.delete``, ``admin.label.save``, ``admin.label.delete``, ``admin.hours.save``,
  ``admin.widget.save``, ``admin.revert`` — an admin's change of the settings (gateway/admin); details
  hold the kind, the item id, the names of the fields changed and the new revision, never a password
- ``apikey.create``, ``apikey.revoke`` — an admin made or revoked an API key (its id, name, scopes; never the key)
- ``api.write`` — every write made with an API key (actor ``apikey:<name>``, role ``api_key``): key id,
  method, route, path and the answer's status
- ``conversation.message`` — a message posted through the API as a named bot or agent;
  ``contact.create``, ``contact.update`` — contacts made or changed through the API"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
from redis.asyncio import Redis

from acd import replies
from gateway.auth import Principal
from gateway.keys import TenantKeys
from gateway.store.ids import new_id

AUDIT_MAXLEN = 100_000
ACTIONS = (
    "login", "logout", "login.failed", "login.rate_limited", "agent.state", "conversation.close", "conversation.transfer", "conversation.read",
    "conversation.label", "conversation.note", "contact.merge", "contact.export", "contact.erase",
    "assist.correct",  # an agent's or supervisor's correction of the detected topic or language (gateway/assist)
    "assist.snippet_enable",  # a supervisor switched an automatic answer on again after its switch-off
    # a supervisor's actions (gateway/sockets/supervisor.py)
    "supervisor.agent_state", "supervisor.logout_agent", "supervisor.assign", "supervisor.move",
    "supervisor.monitor", "supervisor.whisper", "supervisor.barge",
    # an admin's changes of the settings (gateway/admin)
    "admin.agent.create", "admin.agent.update", "admin.agent.password", "admin.queue.save", "admin.queue.delete",
    "admin.topic.save", "admin.topic.delete", "admin.canned.save", "admin.canned.delete", "admin.label.save",
    "admin.label.delete", "admin.hours.save", "admin.widget.save", "admin.revert",
    # API keys (gateway/api_keys.py) and what integrators do with them (gateway/api/integrator.py)
    "apikey.create", "apikey.revoke", "api.write", "conversation.message", "contact.create", "contact.update",
    # event webhook subscriptions (gateway/event_webhooks/routes.py)
    "webhook.create", "webhook.update", "webhook.delete", "webhook.rotate", "webhook.replay", "webhook.test",
)
_READ_PAGE = 1000


def audit_entry(who: Principal, action: str, details: dict) -> dict[str, str]:
    """One entry: actor, role, action and its details, with the id the history database keeps it under."""
    return {
        "ts": repr(time.time()), "actor": who.user_id, "role": "api_key" if who.via == "api_key" else who.role,
        "action": action,
        "details": json.dumps(details), "archive_id": new_id("a"),
    }


async def audit(redis: Redis, keys: TenantKeys, who: Principal, action: str, details: dict) -> None:
    """Append one entry: actor, role, action and its details."""
    await append_entry(redis, keys, audit_entry(who, action, details))


async def append_entry(redis: Redis, keys: TenantKeys, entry: dict[str, str]) -> None:
    """Append a built entry to the live stream and the archive outbox (an entry the database holds
    already is not written twice: the archive skips known ids)."""
    async with redis.pipeline(transaction=True) as pipe:
        fields: dict[Any, Any] = dict(entry)
        pipe.xadd(keys.audit(), fields, maxlen=AUDIT_MAXLEN, approximate=True)
        pipe.xadd(keys.archive(), {"k": "audit", **fields})  # to PostgreSQL (gateway/history)
        await pipe.execute()


async def audit_read(redis: Redis, keys: TenantKeys, who: Principal, conversation_id: str, served_by: str) -> None:
    """Record a read of a conversation another agent served (not the agent's own, not an unserved one)."""
    if served_by and served_by != who.user_id:
        await audit(redis, keys, who, "conversation.read", {"conversation_id": conversation_id, "agent_id": served_by})


async def audit_entries(redis: Redis, keys: TenantKeys, count: int = 100) -> list[dict]:
    """The newest entries first."""
    rows = replies.entries(await redis.xrevrange(keys.audit(), count=count))
    return [{**fields, "id": entry_id, "details": json.loads(fields.get("details") or "{}")} for entry_id, fields in rows]


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """Filters of a search: all optional; times in epoch seconds, ``until`` exclusive."""

    actor: str = ""
    action: str = ""
    since: float | None = None
    until: float | None = None
    offset: int = 0
    limit: int = 100

    def matches(self, e: dict) -> bool:
        return ((not self.actor or e["actor"] == self.actor) and (not self.action or e["action"] == self.action)
                and (self.since is None or e["ts"] >= self.since) and (self.until is None or e["ts"] < self.until))


def _entry(entry_id: str, f: dict[str, str]) -> dict:
    return {"id": f.get("archive_id") or entry_id, "ts": float(f.get("ts") or 0), "actor": f.get("actor", ""),
            "role": f.get("role", ""), "action": f.get("action", ""), "details": json.loads(f.get("details") or "{}")}


async def search_audit(redis: Redis, pool: asyncpg.Pool | None, tenant: str, q: AuditQuery) -> tuple[list[dict], bool]:
    """One page of matching entries, newest first, and whether more follow. The history database holds
    all of them; the Redis stream the newest (also those the archive has not copied yet)."""
    want = q.offset + q.limit + 1
    found: dict[str, dict] = {}
    stream = TenantKeys(tenant).audit()
    top = f"{int(q.until * 1000)}" if q.until is not None else "+"
    bottom = f"{int(q.since * 1000)}" if q.since is not None else "-"
    taken = 0
    while taken < want:
        batch = replies.entries(await redis.xrevrange(stream, max=top, min=bottom, count=_READ_PAGE))
        for entry_id, f in batch:
            e = _entry(entry_id, f)
            if q.matches(e):
                found[e["id"]] = e
                taken += 1
        if len(batch) < _READ_PAGE:
            break
        top = "(" + batch[-1][0]
    if pool is not None:
        rows = await pool.fetch(
            """SELECT id, ts, actor, role, action, details FROM audit
               WHERE tenant = $1 AND ($2 = '' OR actor = $2) AND ($3 = '' OR action = $3)
                 AND ($4::timestamptz IS NULL OR ts >= $4) AND ($5::timestamptz IS NULL OR ts < $5)
               ORDER BY ts DESC, id DESC LIMIT $6""",
            tenant, q.actor, q.action, _when(q.since), _when(q.until), want)
        for r in rows:
            found.setdefault(r["id"], {"id": r["id"], "ts": r["ts"].timestamp(), "actor": r["actor"], "role": r["role"],
                                       "action": r["action"], "details": json.loads(r["details"] or "{}")})
    ordered = sorted(found.values(), key=lambda e: (e["ts"], e["id"]), reverse=True)
    return ordered[q.offset:q.offset + q.limit], len(ordered) > q.offset + q.limit


def _when(seconds: float | None) -> datetime | None:
    return datetime.fromtimestamp(seconds, UTC) if seconds is not None else None
