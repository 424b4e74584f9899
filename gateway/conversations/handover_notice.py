"""A messenger customer whose agent a supervisor took away (forced offline or logged out) reads, in
the conversation's language, that the next free agent continues — what the widget shows on its
``requeued`` event. Nothing about the agent: why it left is none of the customer's worry."""

from __future__ import annotations

from acd.effects import Effect, TaskRequeued
from gateway.conversations.to_messenger import on_messenger, send_to_messenger
from gateway.keys import TenantKeys
from gateway.services import Services
from gateway.store.conversations import get_conversation
from gateway.store.messages import post_message
from gateway.texts import in_language

_TEXTS = {
    "en": "You are being transferred. The next free agent will continue the conversation.",
    "de": "Sie werden weitergeleitet. Gleich übernimmt jemand anderes das Gespräch.",
}


def handover_text(language: str) -> str:
    """The line for ``language`` (English when the language has none)."""
    return in_language(_TEXTS, language)


async def tell_handed_on(svc: Services, tenant: str, effects: list[Effect]) -> None:
    """For each conversation ``effects`` put back in line: a messenger customer gets the line
    through the ordered outbox (widget visitors read the ``requeued`` event themselves)."""
    keys = TenantKeys(tenant)
    for effect in effects:
        if not isinstance(effect, TaskRequeued):
            continue
        conv = await get_conversation(svc.redis, keys, effect.task_id)
        if conv is None or not on_messenger(svc, conv):
            continue
        posted = await post_message(svc.redis, keys, conv.id, author_kind="system", author_name="omnirelay",
                                    text=handover_text(conv.language), extra={"handover": True})
        await send_to_messenger(svc, conv, posted.message)
