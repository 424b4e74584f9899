"""A transfer as the console and the REST API ask for it: where to (a queue or an agent) and the handover
note for whoever holds the conversation next — checked once, for both."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.auth import Principal
from gateway.config.schema import TenantConfig
from gateway.conversations.notes import post_note
from gateway.conversations.offer_details import HANDOVER_NOTE
from gateway.errors import ClientError
from gateway.keys import TenantKeys
from gateway.services import Services
from gateway.store.conversations import Conversation, update_conversation


def transfer_target(tenant: TenantConfig, max_chars: int, data: Mapping[str, Any]) -> tuple[str | None, str | None, str]:
    """(queue, agent, note) of a transfer request: exactly one of queue and agent, each one of the
    tenant's, and a note of at most ``max_chars`` (stripped); ClientError otherwise."""
    queue, agent = data.get("queue"), data.get("agent")
    if (queue is None) == (agent is None):
        raise ClientError("bad_request", "give either 'queue' or 'agent'")
    if queue is not None and (not isinstance(queue, str) or queue not in tenant.queues):
        raise ClientError("not_found", "There is no such queue.", 404)
    if agent is not None and (not isinstance(agent, str) or agent not in tenant.agents):
        raise ClientError("not_found", "There is no such agent.", 404)
    note = data.get("note", "")
    if not isinstance(note, str) or len(note) > max_chars:
        raise ClientError("bad_request", f"'note' must be a text of at most {max_chars} characters")
    return queue, agent, note.strip()


async def leave_handover_note(svc: Services, keys: TenantKeys, conv: Conversation, who: Principal, note: str) -> None:
    """The note in the conversation for whoever holds it next, before the offer that shows it ("" clears
    an earlier transfer's note)."""
    if note:
        await post_note(svc, keys, conv, author_id=who.user_id, author_name=who.name, text=note)
    await update_conversation(svc.redis, keys, conv.id, **{HANDOVER_NOTE: note})
