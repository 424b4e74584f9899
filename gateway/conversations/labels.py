"""Labels on conversations: ids from the tenant's ``labels`` config, kept comma-separated in the
conversation's ``labels`` field (archived with it; history search filters by it)."""

from __future__ import annotations

import time

from acd import replies
from acd.lua_runner import runner
from gateway.errors import ClientError
from gateway.keys import TenantKeys
from gateway.services import Services
from gateway.store.messages import ConversationMissing, NotAssigned
from gateway.store.scripts import store_script

CONVERSATION_LABELS = store_script("conversation_labels", {"NOCONV": ConversationMissing, "FORBIDDEN": NotAssigned})


def split_labels(raw: str) -> list[str]:
    """The ids of a stored ``labels`` field."""
    return [x for x in raw.split(",") if x]


async def change_label(svc: Services, keys: TenantKeys, conversation_id: str, label: str, *, add: bool,
                       agent_id: str = "") -> list[str]:
    """Add or remove one configured label in one atomic step; the labels after it. ``agent_id``: only
    the agent holding (or, in wrap-up, last holding) the conversation may."""
    if label not in svc.config.tenants[keys.tenant].labels:
        raise ClientError("unknown_label", "There is no such label.", 404)
    try:
        joined = await runner(svc.redis).call(
            CONVERSATION_LABELS, keys=[keys.conv(conversation_id), keys.archive()],
            args=[conversation_id, "add" if add else "remove", label, agent_id, repr(time.time())],
        )
    except ConversationMissing:
        raise ClientError("not_found", "There is no such conversation.", 404) from None
    except NotAssigned:
        raise ClientError("forbidden", "This conversation is not assigned to you.", 403) from None
    return split_labels(replies.maybe_text(joined) or "")
