"""A bounce (DSN) of one of our mails: the message it carried shows ``failed`` with the server's
reason, and the contact's address is marked undeliverable (so nobody keeps writing into the void).
Our Message-ID names and signs conversation and message, so no lookup table is needed, and a
bounce that names a Message-ID we never signed changes nothing."""

from __future__ import annotations

import logging
import time

from bridges.events import DeliveryStatus
from gateway.conversations.outbound import tell_status
from gateway.email.state import bare
from gateway.email.tokens import Tokens
from gateway.keys import TenantKeys
from gateway.services import Services
from gateway.store.contacts import live_contact_id, normalise_email
from gateway.store.conversations import get_conversation
from gateway.store.statuses import set_status

log = logging.getLogger(__name__)


async def email_status(svc: Services, keys: TenantKeys, channel_id: str, event: DeliveryStatus) -> bool:
    """Apply a status of an email channel; False for other channels (their usual path applies)."""
    channel = svc.config.tenants[keys.tenant].channels.get(channel_id)
    if channel is None or channel.type != "email":
        return False
    ours = Tokens(svc.config.server.secret_key).ours(bare(event.message_id))
    if ours is None:
        log.info("bounce of a mail that is not ours", extra={"channel": channel_id, "message_id": event.message_id})
        return True
    cid, seq = ours
    if event.status not in ("failed", "delivered"):  # "delayed": the server still tries; nothing to show yet
        return True
    for changed in await set_status(svc.redis, keys, cid, seq, event.status, event.reason, event.ts or None):
        await tell_status(svc, keys.tenant, cid, changed, event.status, event.reason)
    conv = await get_conversation(svc.redis, keys, cid)
    if event.status == "failed" and conv is not None:
        contact = await live_contact_id(svc.redis, keys, conv.contact_id)
        await svc.redis.hset(keys.contact(contact), mapping={
            "email_undeliverable": normalise_email(event.thread), "email_undeliverable_reason": event.reason[:500],
            "email_undeliverable_at": repr(event.ts or time.time()),
        })
    return True
