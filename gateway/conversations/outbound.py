"""An agent's reply in a bridged conversation leaves through its platform's ordered outbox; what
became of it (sent, delivered, read, failed with the platform's reason, held) lands on the agent's
message and reaches the console as ``message_status``.

The platform's rules on when a business may write are applied here, before anything is queued:
WhatsApp's 24-hour customer-service window (after it, only a template), Messenger's 24 hours
(then, with the page's permission, the HUMAN_AGENT tag up to 7 days).
"""

from __future__ import annotations

import logging
import time

from acd import replies
from bridges.base import Template
from gateway.customer_presence import tell_presence
from gateway.email.compose import reply_context
from gateway.errors import ClientError
from gateway.keys import TenantKeys
from gateway.outbound import DeliveryReport, Outcome
from gateway.reply_window import window_of
from gateway.rooms import agent_room
from gateway.services import Services
from gateway.store.conversations import Conversation
from gateway.store.messages import Message
from gateway.store.statuses import remember_platform_id, set_status

log = logging.getLogger(__name__)
HUMAN_AGENT = "HUMAN_AGENT"


def template_for(svc: Services, conv: Conversation) -> Template:
    """The channel's template in the conversation's language (or its first); ClientError when none."""
    channel = svc.config.tenants[conv.tenant].channels[conv.channel]
    name = channel.templates.get(conv.language) or next(iter(channel.templates.values()), "")
    if not name:
        raise ClientError("no_template", "No template is configured for this channel.")
    return Template(name, conv.language)


async def reply_outbound(svc: Services, conv: Conversation, msg: Message, *, template: bool = False,
                         media: list[str] | None = None) -> None:
    """Queue the reply behind the conversation's earlier ones (before the agent's ack: durable first).
    (A free text outside the reply window never gets here: append_message.lua refuses it.)"""
    if svc.outbox is None:
        log.warning("no outbound bridge for channel type", extra={"channel_type": conv.channel_type, "conversation": conv.id})
        return
    now = time.time()
    window = await window_of(svc.redis, svc.config, conv)
    tag, chosen = "", None
    if template:
        chosen = template_for(svc, conv)
    elif window.closes_at is not None and now > window.closes_at and window.tag_until is not None:
        tag = HUMAN_AGENT  # past 24 h, within 7 days, a human agent's reply, with the page's permission
    phone = replies.maybe_text(await svc.redis.hget(TenantKeys(conv.tenant).contact(conv.contact_id), "phone")) or ""
    await svc.outbox.enqueue(
        conv.tenant, conv.id, msg.text, msg.client_id or msg.id, channel=conv.channel, thread=conv.external_id,
        message_id=msg.id, media=media or [], tag=tag, template=chosen, phone=phone,
        context=await reply_context(svc, conv, msg.seq),  # email: subject, threading headers, quoted history
    )


async def tell_status(svc: Services, tenant: str, cid: str, seq: int, status: str, reason: str = "") -> None:
    """``message_status`` to the agent holding the conversation."""
    keys = TenantKeys(tenant)
    agent_id = replies.maybe_text(await svc.redis.hget(keys.conv(cid), "agent_id"))
    if agent_id:
        await svc.sio.emit("message_status", {
            "conversation_id": cid, "message_id": f"{cid}:{seq}", "seq": seq, "status": status, "reason": reason,
        }, room=agent_room(tenant, agent_id), namespace="/agent")


async def report_delivery(svc: Services, report: DeliveryReport) -> None:
    """What the outbox made of a reply: the message's status, and the platform's id for later statuses."""
    keys = TenantKeys(report.tenant)
    if ":" not in report.message_id:
        return
    seq = int(report.message_id.rsplit(":", 1)[1])
    if report.outcome is Outcome.SENT and report.platform_id:
        channel = replies.maybe_text(await svc.redis.hget(keys.conv(report.conversation), "channel")) or ""
        await remember_platform_id(svc.redis, keys, channel, report.platform_id, report.message_id)
    changed_seqs = await set_status(svc.redis, keys, report.conversation, seq, report.outcome.value, report.reason)
    for changed in changed_seqs:
        await tell_status(svc, report.tenant, report.conversation, changed, report.outcome.value, report.reason)
    if report.outcome is Outcome.FAILED and changed_seqs:  # the platform would not take it to the customer
        await tell_presence(svc, keys, report.conversation, "unreachable", report.reason)
