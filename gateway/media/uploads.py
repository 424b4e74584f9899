"""Files uploaded by the widget's visitors and by agents: bounded, typed by their bytes, stored
``ready``, and posted as a message carrying them (to the platform too, for a bridged conversation).

Multipart fields: ``file`` (required), ``text`` (optional caption), ``client_id`` (the sender's
idempotency key: a repeat stores nothing new and answers as the first time).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from aiohttp import BodyPartReader, web

from acd import replies
from gateway import appkeys as K
from gateway.api.auth_helpers import principal
from gateway.config.schema import LimitsConfig
from gateway.conversations.access import agent_conversation
from gateway.conversations.delivery import fan_out
from gateway.conversations.inbound import Customer, customer_wrote
from gateway.errors import ClientError
from gateway.keys import TenantKeys
from gateway.media.jobs import human_size
from gateway.media.records import MediaRecord, delete_record, get_record, save_record, set_message_seq
from gateway.media.routes import VISITOR_HEADER, visitor_of
from gateway.media.sniff import clean_name, kind_of, sniff
from gateway.media.storage import delete_file, media_root, write_file
from gateway.services import Services
from gateway.store.conversations import Conversation, get_conversation
from gateway.store.ids import is_id, new_id
from gateway.store.messages import (
    ConversationClosed,
    ConversationMissing,
    NotAssigned,
    WindowClosed,
    post_message,
)
from gateway.validation import client_id_field, text_field

routes = web.RouteTableDef()

UPLOAD_KEY_TTL_S = 24 * 3600  # a client resending within a day gets its first answer back
_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class Upload:
    data: bytes
    filename: str
    text: str
    client_id: str


async def _read_part(part: BodyPartReader, limit: int, too_big: ClientError) -> bytes:
    chunks, size = [], 0
    while chunk := await part.read_chunk(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise too_big
        chunks.append(chunk)
    return b"".join(chunks)


async def read_upload(request: web.Request, limits: LimitsConfig) -> Upload:
    """The multipart form, with the file bounded by ``upload_bytes`` (413 past it, unread)."""
    if not request.content_type.startswith("multipart/form-data"):
        raise ClientError("bad_request", "Send the file as multipart/form-data with a 'file' field.")
    fields: dict[str, str] = {}
    data, filename = None, ""
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            raise ClientError("bad_request", "Nested multipart bodies are not accepted.")
        if part.name == "file" and data is None:
            too_big = ClientError("too_large", f"The file is larger than the {human_size(limits.upload_bytes)} allowed.", 413)
            data, filename = await _read_part(part, limits.upload_bytes, too_big), part.filename or ""
        elif part.name in ("text", "client_id") and part.name not in fields:
            raw = await _read_part(part, limits.message_chars * 4, ClientError("too_long", f"'{part.name}' is too long."))
            fields[part.name] = raw.decode("utf-8", errors="replace")
        else:
            await part.release()
    if not data:
        raise ClientError("empty", "'file' is required and must not be empty.")
    text = text_field(fields, "text", max_chars=limits.message_chars, required=False)
    return Upload(data, filename, text, client_id_field(fields))


def accepted_type(data: bytes, limits: LimitsConfig) -> str:
    """The bytes' own type, if uploads of it are allowed; 415 otherwise (whatever the file is named)."""
    mime = sniff(data)
    if mime not in limits.upload_types:
        raise ClientError("unsupported_type",
                          f"Files of type {mime} cannot be sent; allowed: {', '.join(limits.upload_types)}.", 415)
    return mime


@dataclass(frozen=True, slots=True)
class Stored:
    record: MediaRecord
    new: bool  # False: the client_id was seen before, this is the first upload's record


async def store_upload(svc: Services, conv: Conversation, scope: str, upload: Upload, mime: str, by: str) -> Stored:
    """The file on disk and its ``ready`` record, once per ``client_id`` within ``scope``."""
    keys = TenantKeys(conv.tenant)
    media_id = new_id("a")
    if upload.client_id:
        known_key = keys.media_upload(scope, upload.client_id)
        for _ in range(50):  # a concurrent first upload of the same id may still be writing its record
            if await svc.redis.set(known_key, media_id, nx=True, ex=UPLOAD_KEY_TTL_S):
                break
            known = replies.maybe_text(await svc.redis.get(known_key))
            found = await get_record(svc.redis, conv.tenant, known) if known else None
            if found is not None:
                return Stored(found, new=False)
            await asyncio.sleep(0.05)
        else:
            raise ClientError("busy", "The same upload is still being stored; try again.", 409)
    kind = kind_of(mime)
    record = MediaRecord(
        id=media_id, tenant=conv.tenant, conversation_id=conv.id, kind=kind, state="ready", by=by,
        channel=conv.channel, name=clean_name(upload.filename, mime, fallback=kind), mime=mime,
        size=len(upload.data), created_at=time.time(),
    )
    await write_file(media_root(svc.config), conv.tenant, media_id, upload.data)
    await save_record(svc.redis, record)
    return Stored(record, new=True)


async def discard(svc: Services, stored: Stored, scope: str, client_id: str) -> None:
    """Undo a new upload whose message was refused (nothing of it stays)."""
    if not stored.new:
        return
    record = stored.record
    await delete_file(media_root(svc.config), record.tenant, record.id)
    await delete_record(svc.redis, record.tenant, record.id)
    if client_id:
        await svc.redis.delete(TenantKeys(record.tenant).media_upload(scope, client_id))


@routes.post("/api/v1/conversations/{id}/attachments")
async def agent_upload(request: web.Request) -> web.Response:
    """The agent holding the conversation sends a file (with an optional caption)."""
    svc: Services = request.config_dict[K.SERVICES]
    who = await principal(request)
    cid = request.match_info["id"]
    if not is_id("c", cid):
        raise ClientError("not_found", "There is no such conversation.", 404)
    conv = await agent_conversation(svc, who, cid)
    upload = await read_upload(request, svc.config.limits)
    stored = await store_upload(svc, conv, cid, upload, accepted_type(upload.data, svc.config.limits), "agent")
    wire = stored.record.wire()
    try:
        posted = await post_message(
            svc.redis, TenantKeys(who.tenant), cid, author_kind="agent", author_name=who.name,
            author_id=who.user_id, text=upload.text, client_id=upload.client_id, require_agent=who.user_id,
            extra={"attachments": [wire]},
        )
    except Exception as err:
        await discard(svc, stored, cid, upload.client_id)
        if isinstance(err, ConversationMissing):
            raise ClientError("not_found", "There is no such conversation.", 404) from err
        if isinstance(err, NotAssigned):
            raise ClientError("forbidden", "This conversation is not assigned to you.", 403) from err
        if isinstance(err, ConversationClosed):
            raise ClientError("closed", "The conversation is closed.", 409) from err
        if isinstance(err, WindowClosed):
            raise ClientError("window_closed", "The customer's reply window has closed: send a template "
                              "or continue by email.", 409) from err
        raise
    msg = posted.message
    await set_message_seq(svc.redis, who.tenant, [stored.record.id], msg.seq)
    if not msg.duplicate:
        svc.metrics.messages.labels(who.tenant, "agent").inc()
        await fan_out(svc, who.tenant, posted)
        if not posted.visitor_id and svc.outbox is not None:  # bridged: the file leaves through the platform
            await svc.outbox.enqueue(
                conv.tenant, conv.id, msg.text, msg.client_id or msg.id, channel=conv.channel,
                thread=conv.external_id, message_id=msg.id, media=[stored.record.id],
            )
    return web.json_response({"id": msg.id, "conversation_id": cid, "seq": msg.seq, "ts": msg.ts, "media": [wire]})


@routes.post("/api/v1/widget/attachments")
async def visitor_upload(request: web.Request) -> web.Response:
    """A widget visitor sends a file into their open conversation (a conversation starts with words)."""
    svc: Services = request.config_dict[K.SERVICES]
    visitor = visitor_of(svc.config, request.headers.get(VISITOR_HEADER))
    if visitor is None:
        raise ClientError("unauthorized", "A valid visitor token is required.", 401)
    tenant, visitor_id = visitor
    keys = TenantKeys(tenant)
    profile = replies.fields(await svc.redis.hgetall(keys.visitor(visitor_id)))
    current = profile.get("conversation_id", "")
    conv = await get_conversation(svc.redis, keys, current) if current else None
    if conv is None or conv.state == "closed":
        raise ClientError("no_conversation", "Write a message first; files go into an open conversation.", 409)
    upload = await read_upload(request, svc.config.limits)
    if not upload.client_id:
        raise ClientError("bad_request", "'client_id' is required.")
    stored = await store_upload(svc, conv, visitor_id, upload, accepted_type(upload.data, svc.config.limits), "visitor")
    wire = stored.record.wire()

    async def no_new_conversation() -> Customer:  # the conversation closed meanwhile
        raise ClientError("no_conversation", "The conversation has ended; write a message to start a new one.", 409)

    try:
        wrote = await customer_wrote(
            svc, keys, upload.text, author=(profile.get("name") or "Visitor", visitor_id),
            customer=no_new_conversation, client_id=upload.client_id, current=conv.id,
            rate=(f"v:{visitor_id}", svc.config.limits.visitor_messages_per_10s, 10),
            extra={"attachments": [wire]},
        )
    except Exception:
        await discard(svc, stored, visitor_id, upload.client_id)
        raise
    msg = wrote.posted.message
    await set_message_seq(svc.redis, tenant, [stored.record.id], msg.seq)
    return web.json_response({"id": msg.id, "conversation_id": msg.conversation_id, "seq": msg.seq, "ts": msg.ts,
                              "media": [wire]})
