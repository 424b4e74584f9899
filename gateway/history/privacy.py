"""Export and erasure of everything about one contact (GDPR Art. 15, 17 and 20), by a supervisor
(gateway/api/privacy.py) or an operator (``omnirelay contacts export|erase``).

Erasure order matters, because the archive keeps copying Redis into PostgreSQL:
1. the contact's open conversations are closed through the one close path;
2. in PostgreSQL, in one transaction holding the tenant's erasure lock, tombstones are written and
   every row is deleted; from then on the database drops any archive write about them (0004's
   trigger), also from a batch that read Redis before the erasure;
3. in Redis, the keys, index entries, task metadata and outbox entries go in one script per batch;
   then the event webhooks' deliveries of its conversations and contact events (queued, delivered,
   dead letters), so no receiver gets them afterwards (gateway/event_webhooks/erasure.py);
4. the files are deleted; 5. one audit entry says who erased which contact id, when — no data
   (the event webhooks derive ``contact.erased`` from it, which goes out).
Erasing again finds nothing and changes nothing but the audit trail."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import time
import zipfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from redis.asyncio import Redis

from acd import replies
from acd.lua_runner import LuaScript, runner
from gateway.audit import audit
from gateway.auth import Principal
from gateway.event_webhooks.erasure import erase_deliveries
from gateway.history.archive import GROUP
from gateway.history.rows import conversation_fields, message_fields
from gateway.history.subject import Subject, find_subject, media_ids
from gateway.keys import TenantKeys
from gateway.media.storage import MediaMissing, delete_files, file_path
from gateway.slack.erasure import forget_threads
from gateway.store.conversations import Conversation, get_conversation

log = logging.getLogger(__name__)

ERASE_KEYS = LuaScript.from_file(Path(__file__).parent / "lua" / "erase_keys.lua")
KEYS_PER_CALL = 1000
OUTBOX_READ = 1000


class ContactUnknown(LookupError):
    """No trace of that contact in this tenant (never existed, or another tenant's)."""


@dataclass(frozen=True, slots=True)
class Erasure:
    contact_id: str
    contacts: int
    conversations: int
    files: int
    already_erased: bool

    def to_wire(self) -> dict[str, Any]:
        return {"contact_id": self.contact_id, "erased": True, "already_erased": self.already_erased,
                "contacts": self.contacts, "conversations": self.conversations, "files": self.files}


Closer = Callable[[Conversation], Awaitable[None]]


# --- erasure ---------------------------------------------------------------------------------
async def erase_contact(redis: Redis, pool: asyncpg.Pool, tenant: str, contact_id: str, *, media_root: Path,
                        who: Principal, close: Closer) -> Erasure:
    """Erase everything about ``contact_id`` everywhere; ContactUnknown when there never was such a contact."""
    keys = TenantKeys(tenant)
    subject = await find_subject(redis, pool, tenant, contact_id)
    erased_before = bool(await pool.fetchval(
        "SELECT count(*) FROM erased_contacts WHERE tenant = $1 AND contact_id = $2", tenant, subject.contact_id))
    if not subject.found and not subject.media and not erased_before:
        raise ContactUnknown(contact_id)
    for cid in sorted(subject.conversations):  # 1. close what is open (the customer and agent are told)
        if await redis.exists(keys.conv(cid)) and (conv := await get_conversation(redis, keys, cid)) is not None \
                and conv.state != "closed":
            await close(conv)
    if subject.conversations:  # a close just now may have added to them (a wrap-up, a closing line)
        subject = await find_subject(redis, pool, tenant, subject.contact_id)
    await _erase_rows(pool, subject)  # 2.
    await _erase_redis(redis, keys, subject)  # 3.
    await erase_deliveries(redis, tenant, conversations=subject.conversations, contacts=subject.contacts,
                           tasks=[t.rsplit(":", 1)[-1] for t in subject.tasks])  # 3b. before the audit: contact.erased stays
    await forget_threads(redis, keys, subject.conversations)  # 3c. their Slack threads (docs/slack.md)
    files = await delete_files(media_root, tenant, subject.media)  # 4.
    result = Erasure(subject.contact_id, len(subject.contacts), len(subject.conversations), files, erased_before)
    await audit(redis, keys, who, "contact.erase", {  # 5. ids and counts only: nothing of the person
        "contact_id": subject.contact_id, "contacts": sorted(subject.contacts),
        "conversations": len(subject.conversations), "files": files, "again": erased_before,
    })
    log.info("contact erased", extra={"tenant": tenant, "contact_id": subject.contact_id, "by": who.user_id,
                                      "conversations": len(subject.conversations), "files": files})
    return result


async def _erase_rows(pool: asyncpg.Pool, subject: Subject) -> None:
    tenant, contacts, convs = subject.tenant, sorted(subject.contacts), sorted(subject.conversations)
    async with pool.acquire() as conn, conn.transaction():
        # wait for archive batches in flight, and keep new ones out until the tombstones are visible
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('omnirelay.erasure'), hashtext($1))", tenant)
        await conn.executemany("INSERT INTO erased_contacts (tenant, contact_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                               [(tenant, c) for c in contacts])
        await conn.executemany(
            "INSERT INTO erased_conversations (tenant, conversation_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            [(tenant, c) for c in convs])
        await conn.execute("DELETE FROM messages WHERE tenant = $1 AND conversation_id = ANY($2::text[])", tenant, convs)
        await conn.execute("DELETE FROM assist_choices WHERE tenant_id = $1 AND conversation_id = ANY($2::text[])",
                           tenant, convs)  # their words, kept for the answer suggestions (gateway/assist)
        await conn.execute("DELETE FROM assist_signals WHERE tenant_id = $1 AND conversation_id = ANY($2::text[])",
                           tenant, convs)  # their words, kept to train the topic model (retrained without them)
        await conn.execute("DELETE FROM attachments WHERE tenant = $1 AND (conversation_id = ANY($2::text[]) "
                           "OR id = ANY($3::text[]))", tenant, convs, sorted(subject.media))
        await conn.execute("DELETE FROM conversations WHERE tenant = $1 AND (id = ANY($2::text[]) "
                           "OR contact_id = ANY($3::text[]))", tenant, convs, contacts)
        await conn.execute("DELETE FROM identities WHERE tenant = $1 AND contact_id = ANY($2::text[])", tenant, contacts)
        await conn.execute("DELETE FROM contacts WHERE tenant = $1 AND (id = ANY($2::text[]) "
                           "OR merged_into = ANY($2::text[]))", tenant, contacts)


async def stream_entries(redis: Redis, stream: str) -> AsyncIterator[tuple[str, dict[str, str]]]:
    """Every entry of a stream, oldest first, read in pages."""
    start = "-"
    while True:
        batch = replies.entries(await redis.xrange(stream, min=start, count=OUTBOX_READ))
        for entry in batch:
            yield entry
        if len(batch) < OUTBOX_READ:
            return
        start = "(" + batch[-1][0]


async def _outbox_entries(redis: Redis, keys: TenantKeys, subject: Subject) -> list[str]:
    """Outbox entries still waiting to copy one of the erased conversations or contacts."""
    return [
        entry_id async for entry_id, f in stream_entries(redis, keys.archive())
        if f.get("c") in subject.conversations or (
            f.get("k") == "contact"
            and (f.get("id") in subject.contacts or bool(set(f.get("merged", "").split(",")) & subject.contacts))
        )
    ]


async def _erase_redis(redis: Redis, keys: TenantKeys, subject: Subject) -> None:
    doomed = set(subject.pointers)
    for cid in subject.conversations:
        doomed |= {keys.conv(cid), keys.conv_messages(cid), keys.conv_client_ids(cid), keys.conv_statuses(cid),
                   keys.outbox(cid), keys.outbox_sent(cid), keys.outbox_last(cid), keys.email_thread(cid),
                   keys.callback_offer(cid)}
    for contact in subject.contacts:
        doomed |= {keys.contact(contact), keys.contact_identities(contact), keys.contact_convs(contact)}
        for ident in replies.texts(list(await redis.smembers(keys.contact_identities(contact)) or [])):
            if ":" in ident and replies.maybe_text(await redis.get(keys.identity(*ident.split(":", 1)))) == contact:
                doomed.add(keys.identity(*ident.split(":", 1)))
    for media in subject.media:
        doomed |= {keys.media(media), keys.media_lease(media)}
    for cb in subject.callbacks:
        doomed |= {keys.callback(cb), keys.callback_attempts(cb)}
    indexes = [keys.convs_open(), keys.archive_closed(), keys.abandon_due(), keys.outbox_due(), keys.media_due(),
               keys.callbacks_due()]
    members = sorted(subject.conversations | subject.media | subject.callbacks)
    outbox = await _outbox_entries(redis, keys, subject)
    names = sorted(doomed)
    first = True
    while first or names:
        chunk, names = names[:KEYS_PER_CALL], names[KEYS_PER_CALL:]
        tasks = sorted(subject.tasks) if first else []
        idx, ids, mem = (indexes, outbox, members) if first else ([], [], [])
        await runner(redis).call(
            ERASE_KEYS, keys=[keys.archive(), *chunk, *tasks, *idx],
            args=[len(chunk), len(tasks), GROUP, len(ids), *ids, *mem],
        )
        first = False


# --- export ----------------------------------------------------------------------------------
async def export_contact(redis: Redis, pool: asyncpg.Pool | None, tenant: str, contact_id: str, *,
                         media_root: Path) -> tuple[str, bytes]:
    """(file name, zip) of everything about the contact: ``contact.json`` and ``files/<id>/<name>``."""
    keys = TenantKeys(tenant)
    subject = await find_subject(redis, pool, tenant, contact_id)
    if not subject.found:
        raise ContactUnknown(contact_id)
    contacts = [await _contact(redis, pool, keys, c) for c in sorted(subject.contacts)]
    conversations = []
    for cid in subject.conversations:
        conv = await _conversation(redis, pool, keys, cid)
        if conv is not None:
            conv["messages"] = await _messages(redis, pool, keys, cid)
            conversations.append(conv)
    conversations.sort(key=lambda c: float(c.get("created_at") or 0))
    callbacks = []
    for cb in sorted(subject.callbacks):
        record = replies.fields(await redis.hgetall(keys.callback(cb)))
        attempts = [json.loads(a) for a in replies.texts(await redis.lrange(keys.callback_attempts(cb), 0, -1))]
        callbacks.append({**record, "attempts": attempts})
    files = {m: f for m in subject.media if (f := await _file(redis, pool, keys, m)) is not None}
    document = {
        "exported_at": datetime.now(UTC).isoformat(), "tenant": tenant, "contact_id": subject.contact_id,
        "contacts": [c for c in contacts if c], "conversations": conversations, "callbacks": callbacks,
        "attachments": sorted(files.values(), key=lambda f: f["id"]),
        "audit": await _audit_about(redis, pool, keys, subject),
    }
    data = await asyncio.to_thread(_zip, document, media_root, tenant, files)
    return f"contact-{subject.contact_id}-{time.strftime('%Y%m%d')}.zip", data


def _zip(document: dict, root: Path, tenant: str, files: dict[str, dict]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for media_id, info in sorted(files.items()):
            try:
                path = file_path(root, tenant, media_id)
                data = path.read_bytes()
            except (FileNotFoundError, MediaMissing):
                info["in_export"] = False  # not fetched (yet), failed, or gone
                continue
            info["in_export"] = True
            info["path"] = f"files/{media_id}/{_safe_name(info.get('name') or media_id)}"
            zf.writestr(info["path"], data)
        zf.writestr("contact.json", json.dumps(document, ensure_ascii=False, indent=2, default=str))
    return buf.getvalue()


def _safe_name(name: str) -> str:
    """A file name as a zip member: no directories, no dots in front."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].lstrip(".")
    return "".join(ch for ch in base if ch.isprintable())[:120] or "file"


async def _contact(redis: Redis, pool: asyncpg.Pool | None, keys: TenantKeys, contact_id: str) -> dict | None:
    raw = replies.fields(await redis.hgetall(keys.contact(contact_id)))
    idents = sorted(replies.texts(list(await redis.smembers(keys.contact_identities(contact_id)) or [])))
    if not raw and pool is not None:
        row = await pool.fetchrow("SELECT * FROM contacts WHERE tenant = $1 AND id = $2", keys.tenant, contact_id)
        if row is None:
            return None
        raw = {k: str(row[k]) for k in ("id", "name", "email", "phone", "email_verified", "phone_verified",
                                        "merged_into", "created_at")}
    if pool is not None:
        rows = await pool.fetch("SELECT kind, value FROM identities WHERE tenant = $1 AND contact_id = $2",
                                keys.tenant, contact_id)
        idents = sorted({*idents, *(f"{r['kind']}:{r['value']}" for r in rows)})
    return {**raw, "id": contact_id, "identities": idents}


async def _conversation(redis: Redis, pool: asyncpg.Pool | None, keys: TenantKeys, cid: str) -> dict | None:
    raw = replies.fields(await redis.hgetall(keys.conv(cid)))
    if not raw and pool is not None:
        row = await pool.fetchrow("SELECT * FROM conversations WHERE tenant = $1 AND id = $2", keys.tenant, cid)
        raw = conversation_fields(row) if row else {}
    if not raw:
        return None
    return {k: v for k, v in raw.items() if k not in ("ov", "aov")}


async def _messages(redis: Redis, pool: asyncpg.Pool | None, keys: TenantKeys, cid: str) -> list[dict]:
    """Every message, notes included: Redis first (the live part), the archive for what left it."""
    found: dict[int, dict[str, str]] = {}
    if pool is not None:
        for row in await pool.fetch("SELECT * FROM messages WHERE tenant = $1 AND conversation_id = $2 ORDER BY seq",
                                    keys.tenant, cid):
            found[row["seq"]] = message_fields(row)
    for entry_id, fields in replies.entries(await redis.xrange(keys.conv_messages(cid))):
        found[int(entry_id.split("-")[0])] = fields
    out = []
    for seq, f in sorted(found.items()):
        extra = json.loads(f.get("extra") or "{}")
        out.append({"seq": seq, "id": f.get("id", ""), "author": {"kind": f.get("kind", ""), "name": f.get("name", ""),
                    "id": f.get("aid", "")}, "text": f.get("text", ""), "ts": float(f.get("ts") or 0), **extra})
    return out


async def _file(redis: Redis, pool: asyncpg.Pool | None, keys: TenantKeys, media_id: str) -> dict | None:
    raw = replies.fields(await redis.hgetall(keys.media(media_id)))
    if raw:
        return {"id": media_id, **{k: raw.get(k, "") for k in ("conversation_id", "seq", "kind", "name", "mime",
                                                               "size", "state", "by")}}
    if pool is not None:
        row = await pool.fetchrow("SELECT * FROM attachments WHERE tenant = $1 AND id = $2", keys.tenant, media_id)
        if row is not None:
            return {k: row[k] for k in ("id", "conversation_id", "seq", "name", "mime", "size", "state")}
    return None


async def _audit_about(redis: Redis, pool: asyncpg.Pool | None, keys: TenantKeys, subject: Subject) -> list[dict]:
    """Audit entries naming the contact or one of its conversations (the archive and the live stream)."""
    needles = sorted(subject.contacts | subject.conversations)
    found: dict[str, dict] = {}
    if pool is not None and needles:
        rows = await pool.fetch(
            "SELECT * FROM audit WHERE tenant = $1 AND details::text LIKE ANY($2::text[]) ORDER BY ts",
            keys.tenant, [f"%{n}%" for n in needles])
        for r in rows:
            found[r["id"]] = {"id": r["id"], "ts": r["ts"].timestamp(), "actor": r["actor"], "role": r["role"],
                              "action": r["action"], "details": json.loads(r["details"] or "{}")}
    async for entry_id, f in stream_entries(redis, keys.audit()):
        details = f.get("details") or "{}"
        if any(n in details for n in needles):
            key = f.get("archive_id") or entry_id
            found.setdefault(key, {"id": key, "ts": float(f.get("ts") or 0), "actor": f.get("actor", ""),
                                   "role": f.get("role", ""), "action": f.get("action", ""),
                                   "details": json.loads(details)})
    return sorted(found.values(), key=lambda a: a["ts"])


__all__ = ["ContactUnknown", "Erasure", "erase_contact", "export_contact", "media_ids"]
