"""A customer's files from a messenger: a pending record each and a fetch job, so the message they
came with is stored and shown at once, whatever becomes of the download (gateway/media/fetcher.py).

Jobs wait in a per-tenant ZSET of due times (``media_due``), like the outbox; any gateway process
takes one under a lease. A redelivered webhook finds the records it registered the first time.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from acd import replies
from bridges.events import Attachment
from gateway.keys import TenantKeys
from gateway.media.records import KINDS, MediaRecord, get_record, record_fields, set_message_seq
from gateway.media.sniff import clean_name
from gateway.services import Services
from gateway.store.ids import new_id

__all__ = ["register_customer_files", "set_message_seq", "human_size"]

SOURCE_TTL_S = 7 * 24 * 3600  # as long as a delivery's dedupe: a redelivery within it registers nothing new


def human_size(size: int) -> str:
    """A size for people: "20 MB", "512 KB", "17 bytes"."""
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size} bytes"


def too_large_reason(size: int, limit: int) -> str:
    return f"The file ({human_size(size)}) is larger than the {human_size(limit)} this gateway downloads."


async def register_customer_files(svc: Services, tenant: str, conversation_id: str, channel_id: str,
                                  attachments: Sequence[Attachment]) -> list[dict[str, Any]]:
    """Pending records and fetch jobs for a customer message's attachments; the wire dicts for the
    message's ``extra={"attachments": [...]}``. A file the platform says is over ``limits.media_bytes``
    is ``too_large`` at once (no job). Call ``set_message_seq`` once the message is stored."""
    keys = TenantKeys(tenant)
    limit = svc.config.limits.media_bytes
    out: list[dict[str, Any]] = []
    for index, att in enumerate(attachments):
        source = keys.media_source(channel_id, att.thread, att.message_id, index)
        media_id = new_id("a")
        if not await svc.redis.set(source, media_id, nx=True, ex=SOURCE_TTL_S):
            known = replies.maybe_text(await svc.redis.get(source))
            found = await get_record(svc.redis, tenant, known) if known else None
            if found is not None:
                out.append(found.wire())
                continue
            await svc.redis.set(source, media_id, ex=SOURCE_TTL_S)  # its record is gone: register anew
        too_large = att.size > limit
        record = MediaRecord(
            id=media_id, tenant=tenant, conversation_id=conversation_id,
            kind=att.kind if att.kind in KINDS else "file", state="too_large" if too_large else "pending",
            by="customer", channel=channel_id, name=clean_name(att.name) if att.name else "", mime=att.mime,
            size=max(att.size, 0), reason=too_large_reason(att.size, limit) if too_large else "", ref=att.ref,
            created_at=time.time(),
        )
        async with svc.redis.pipeline(transaction=True) as pipe:  # never a pending record without its job
            pipe.hset(keys.media(media_id), mapping=replies.mapping(record_fields(record)))
            if not too_large:
                pipe.zadd(keys.media_due(), {media_id: record.created_at})
            await pipe.execute()
        out.append(record.wire())
    return out
