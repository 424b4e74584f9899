"""What a conversation keeps of Assist (fields of its record) and the ``assist`` summary the agent console
shows: the detected language and topic with their confidence, whether the classifier abstained, whether
an agent corrected it, and whether an automatic answer went out."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from acd import replies
from gateway.keys import TenantKeys
from gateway.store.conversations import Conversation

LANGUAGE_CONFIDENCE = "assist_language_confidence"
TOPIC_CONFIDENCE = "assist_topic_confidence"
ABSTAINED = "assist_abstained"  # "1": the classifier was unsure, the default topic applied
MODEL = "assist_model"  # the topic model's version that decided
CORRECTED = "assist_corrected"  # "1": an agent or supervisor set the topic or language by hand
AUTO_ANSWERED = "auto_answered"  # "1": an automatic answer went out (gateway/assist/auto_answer.py)
FIELDS = (LANGUAGE_CONFIDENCE, TOPIC_CONFIDENCE, ABSTAINED, MODEL, CORRECTED, AUTO_ANSWERED)


def _number(raw: str | None) -> float | None:
    try:
        return round(float(raw), 4) if raw else None
    except ValueError:
        return None


async def assist_summary(redis: Redis, keys: TenantKeys, conv: Conversation) -> dict[str, Any]:
    """The contract's ``assist`` of a conversation summary (confidences None where nothing was detected,
    e.g. a topic the customer chose in the widget's form)."""
    raw = dict(zip(FIELDS, [replies.maybe_text(v) for v in await redis.hmget(keys.conv(conv.id), list(FIELDS))],
                   strict=True))
    return {
        "language": conv.language, "language_confidence": _number(raw[LANGUAGE_CONFIDENCE]),
        "topic": conv.topic, "topic_confidence": _number(raw[TOPIC_CONFIDENCE]),
        "abstained": raw[ABSTAINED] == "1", "corrected": raw[CORRECTED] == "1",
        "auto_answered": raw[AUTO_ANSWERED] == "1",
    }
