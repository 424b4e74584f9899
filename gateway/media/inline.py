"""Files that arrive inside the message itself (a mail's attachments): stored at once as ready
media, with no fetch job, under the same records and the same authorised route as fetched files."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from acd import replies
from bridges.events import Attachment
from gateway.keys import TenantKeys
from gateway.media.jobs import SOURCE_TTL_S, too_large_reason
from gateway.media.records import KINDS, MediaRecord, get_record, record_fields
from gateway.media.sniff import clean_name, sniff
from gateway.media.storage import media_root, write_file
from gateway.services import Services
from gateway.store.ids import new_id


async def register_inline_files(svc: Services, tenant: str, conversation_id: str, channel_id: str,
                                attachments: Sequence[Attachment]) -> list[dict[str, Any]]:
    """Ready records (bytes written first) for attachments that carry their bytes in ``raw``; the wire
    dicts for the message's ``attachments``. Over ``limits.media_bytes``: ``too_large``, nothing
    written. A redelivery finds the records of the first time. Call ``set_message_seq`` afterwards."""
    keys = TenantKeys(tenant)
    limit = svc.config.limits.media_bytes
    out: list[dict[str, Any]] = []
    for index, att in enumerate(attachments):
        source = keys.media_source(channel_id, att.thread, att.message_id, index)
        known = replies.maybe_text(await svc.redis.get(source))
        found = await get_record(svc.redis, tenant, known) if known else None
        if found is not None:
            out.append(found.wire())
            continue
        data = att.raw if isinstance(att.raw, bytes | bytearray) else b""
        media_id = new_id("a")
        too_large = len(data) > limit
        mime = sniff(bytes(data)) if data and not too_large else att.mime  # what we serve is what the bytes are
        record = MediaRecord(
            id=media_id, tenant=tenant, conversation_id=conversation_id,
            kind=att.kind if att.kind in KINDS else "file", state="too_large" if too_large else "ready",
            by="customer", channel=channel_id, name=clean_name(att.name, mime) if att.name else "", mime=mime,
            size=len(data), reason=too_large_reason(len(data), limit) if too_large else "", ref=att.ref,
            created_at=time.time(),
        )
        if not too_large:
            await write_file(media_root(svc.config), tenant, media_id, bytes(data))
        async with svc.redis.pipeline(transaction=True) as pipe:
            pipe.hset(keys.media(media_id), mapping=replies.mapping(record_fields(record)))
            pipe.set(source, media_id, ex=SOURCE_TTL_S)
            await pipe.execute()
        out.append(record.wire())
    return out
