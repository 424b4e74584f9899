"""Everything about one contact, wherever it is: the contact and those merged into it, its
conversations on every channel, their files and callbacks, and every Redis pointer that leads to
any of them — found in Redis (one SCAN of the tenant's keys, reading only the key families that can
point at a person) and in PostgreSQL. Export and erasure (gateway/history/privacy.py) both start here.

The SCAN walks the whole tenant keyspace: erasure and export are rare, deliberate actions, and only
a full walk proves that no forgotten pointer (a visitor, a platform chat, a message id) is left."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import asyncpg
from redis.asyncio import Redis

from acd import replies
from gateway.keys import TenantKeys
from gateway.store.contacts import live_contact_id
from gateway.store.ids import is_id

SCAN_COUNT = 1000
READ_BATCH = 500

# key family (the key without the tenant prefix, by its first parts) -> what to read of it
_HASH_FIELDS = {
    "contact": ("merged_into",),
    "conv": ("contact_id",),
    "visitor": ("contact_id", "conversation_id"),
    "chat": ("conversation_id",),
    "media": ("conversation_id",),
    "cb": ("contact_id", "conversation_id"),
}
_STRINGS = ("identity", "pmsg", "email:seen", "media:src", "media:up")
_CALLBACK_ID = re.compile(r"^[0-9a-f]{16}$")  # gateway/callbacks/records.py


@dataclass
class Subject:
    """One person's footprint in a tenant; ``keys`` are the Redis pointers found that lead to it."""

    tenant: str
    contact_id: str  # the id asked for, resolved through merges
    contacts: set[str] = field(default_factory=set)
    conversations: set[str] = field(default_factory=set)
    media: set[str] = field(default_factory=set)
    callbacks: set[str] = field(default_factory=set)
    visitors: set[str] = field(default_factory=set)
    pointers: set[str] = field(default_factory=set)  # full Redis key names to delete
    tasks: set[str] = field(default_factory=set)  # ACD task hashes whose meta names the contact
    found: bool = False  # any trace of the contact at all (Redis or PostgreSQL)


def _family(rest: str) -> str | None:
    """The family of a key (without its tenant prefix) worth reading, or None."""
    parts = rest.split(":")
    for name in _STRINGS:
        if rest.startswith(name + ":"):
            return name
    if parts[0] == "chat" and len(parts) >= 3:
        return "chat"
    if parts[0] == "cb" and len(parts) >= 4 and parts[1] == "open":
        return "cb:open"
    if parts[0] == "acd" and len(parts) == 3 and parts[1] == "t":
        return "acd:t"  # an ACD task: its meta names the contact
    if len(parts) != 2 or parts[0] not in _HASH_FIELDS:
        return None
    if parts[0] == "media" and not is_id("a", parts[1]):
        return None  # media:due and the like
    if parts[0] == "cb" and not _CALLBACK_ID.match(parts[1]):
        return None
    return parts[0]


async def _walk(redis: Redis, keys: TenantKeys) -> dict[str, tuple[str, list[str | None]]]:
    """Every key of the families above: key -> (family, values read)."""
    found: dict[str, str] = {}
    async for raw in redis.scan_iter(match=f"{keys.prefix}*", count=SCAN_COUNT):
        key = raw.decode() if isinstance(raw, bytes) else raw
        family = _family(key[len(keys.prefix):])
        if family is not None:
            found[key] = family
    out: dict[str, tuple[str, list[str | None]]] = {}
    names = list(found)
    for start in range(0, len(names), READ_BATCH):
        chunk = names[start:start + READ_BATCH]
        async with redis.pipeline(transaction=False) as pipe:
            for key in chunk:
                family = found[key]
                if family in _HASH_FIELDS:
                    pipe.hmget(key, *_HASH_FIELDS[family])
                elif family in ("cb:open", "acd:t"):
                    pipe.exists(key)
                else:
                    pipe.get(key)
            got = await pipe.execute(raise_on_error=False)
        for key, value in zip(chunk, got, strict=True):
            if isinstance(value, Exception):  # another type than the family's (a stray key): not ours
                continue
            values = value if isinstance(value, list) else [value if isinstance(value, str) else None]
            out[key] = (found[key], [replies.maybe_text(v) if v is not None else None for v in values])
    return out


async def find_subject(redis: Redis, pool: asyncpg.Pool | None, tenant: str, contact_id: str) -> Subject:
    """Everything about ``contact_id`` (a merged-away id stands for the contact it lives on as)."""
    keys = TenantKeys(tenant)
    live = await live_contact_id(redis, keys, contact_id)
    subject = Subject(tenant, live, contacts={live})
    walked = await _walk(redis, keys)
    strip = len(keys.prefix)

    def rest(key: str) -> list[str]:
        return key[strip:].split(":")

    # contacts merged into it (a merged contact keeps its hash, pointing on), in Redis and PostgreSQL
    merged_into = {rest(k)[1]: v[0] for k, (fam, v) in walked.items() if fam == "contact" and v[0]}
    if pool is not None:
        for row in await pool.fetch(
            """WITH RECURSIVE ids(id) AS (SELECT $2::text UNION
                 SELECT c.id FROM contacts c JOIN ids ON c.tenant = $1 AND c.merged_into = ids.id)
               SELECT id FROM ids""", tenant, live):
            subject.contacts.add(row["id"])
    changed = True
    while changed:
        before = len(subject.contacts)
        subject.contacts |= {cid for cid, into in merged_into.items() if into in subject.contacts}
        changed = len(subject.contacts) != before

    # its conversations: the contacts' indexes, every conversation hash naming it, and the archive
    for contact in subject.contacts:
        subject.conversations |= set(replies.texts(await redis.zrange(keys.contact_convs(contact), 0, -1)))
    subject.conversations |= {rest(k)[1] for k, (fam, v) in walked.items() if fam == "conv" and v[0] in subject.contacts}
    subject.found = bool(await redis.exists(*[keys.contact(c) for c in subject.contacts])) or bool(subject.conversations)
    if pool is not None:
        rows = await pool.fetch("SELECT id FROM conversations WHERE tenant = $1 AND contact_id = ANY($2::text[])",
                                tenant, sorted(subject.contacts))
        subject.conversations |= {r["id"] for r in rows}
        subject.found = subject.found or bool(await pool.fetchval(
            "SELECT count(*) FROM contacts WHERE tenant = $1 AND id = ANY($2::text[])", tenant, sorted(subject.contacts)))
        rows = await pool.fetch("SELECT id FROM attachments WHERE tenant = $1 AND conversation_id = ANY($2::text[])",
                                tenant, sorted(subject.conversations))
        subject.media |= {r["id"] for r in rows}
    for cid in subject.conversations:  # files named in the messages still in Redis
        for _, fields in replies.entries(await redis.xrange(keys.conv_messages(cid))):
            subject.media |= media_ids(fields.get("extra", ""))

    ids, convs = subject.contacts, subject.conversations
    for key, (family, values) in walked.items():
        parts = rest(key)
        if family == "contact" and parts[1] in ids:
            subject.pointers.add(key)
        elif family == "identity" and values[0] in ids:
            subject.pointers.add(key)
        elif family == "visitor" and (values[0] in ids or values[1] in convs):
            subject.visitors.add(parts[1])
            subject.pointers |= {key, keys.visitor_sockets(parts[1])}
        elif family == "chat" and values[0] in convs:
            subject.pointers.add(key)
        elif family == "pmsg" and values[0] and values[0].rsplit(":", 1)[0] in convs:
            subject.pointers.add(key)
        elif family == "email:seen" and values[0] in convs:
            subject.pointers.add(key)
        elif family == "media" and values[0] in convs:
            subject.media.add(parts[1])
        elif family == "cb" and (values[0] in ids or values[1] in convs):
            subject.callbacks.add(parts[1])
        elif family == "cb:open" and parts[2] in ids:
            subject.pointers.add(key)
    for key, (family, values) in walked.items():  # once every file and callback is known
        if family in ("media:src", "media:up") and values[0] in subject.media:
            subject.pointers.add(key)
        elif family == "acd:t":
            task = rest(key)[2]
            if task in convs or (task.startswith("cb_") and task[3:].rsplit("_", 1)[0] in subject.callbacks):
                subject.tasks.add(key)
    return subject


def media_ids(extra: str) -> set[str]:
    """The file ids a message's ``extra`` JSON names in its ``attachments``."""
    try:
        files = json.loads(extra or "{}").get("attachments") or []
    except (ValueError, AttributeError):
        return set()
    return {str(a["id"]) for a in files if isinstance(a, dict) and is_id("a", a.get("id"))}
