"""What an offer card shows beyond the routing facts: the customer's first message (a bounded
preview, plain text) and the handover note of a transfer."""

from __future__ import annotations

from redis.asyncio import Redis

from acd import replies
from gateway.keys import TenantKeys

PREVIEW_CHARS = 140
HANDOVER_NOTE = "handover_note"  # conversation field: the note of its latest transfer ("" = none)


def preview_of(text: str, limit: int = PREVIEW_CHARS) -> str:
    """One line of at most ``limit`` characters (an ellipsis when cut)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


async def offer_details(redis: Redis, tenant: str, conversation_id: str) -> dict[str, str]:
    """``{"preview": …, "note": …}`` for the offer of ``conversation_id`` (empty strings when none), and
    its ``topic`` as the conversation has it now (an agent's correction changes it after routing began)."""
    keys = TenantKeys(tenant)
    async with redis.pipeline(transaction=False) as pipe:
        pipe.xrange(keys.conv_messages(conversation_id), min="-", max="+", count=20)
        pipe.hmget(keys.conv(conversation_id), [HANDOVER_NOTE, "topic"])
        entries, (note, topic) = await pipe.execute()
    first = next((f.get("text", "") for _, f in replies.entries(entries) if f.get("kind") == "visitor"), "")
    details = {"preview": preview_of(first), "note": replies.maybe_text(note) or ""}
    if topic:
        details["topic"] = replies.maybe_text(topic) or ""
    return details
