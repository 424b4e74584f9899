"""An agent's reply in a bridged conversation leaves through its platform's ordered outbox, and what
became of it reaches the agent's console as a message status."""

from __future__ import annotations

import logging

from acd import replies
from gateway.keys import TenantKeys
from gateway.outbound import DeliveryReport
from gateway.rooms import agent_room
from gateway.services import Services
from gateway.store.conversations import Conversation
from gateway.store.messages import Message

log = logging.getLogger(__name__)


async def reply_outbound(svc: Services, conv: Conversation, msg: Message) -> None:
    """Queue the reply behind the conversation's earlier ones (before the agent's ack: durable first)."""
    if svc.outbox is None:
        log.warning("no outbound bridge for channel type", extra={"channel_type": conv.channel_type, "conversation": conv.id})
        return
    await svc.outbox.enqueue(
        conv.tenant, conv.id, msg.text, msg.client_id or msg.id, channel=conv.channel, thread=conv.external_id,
        message_id=msg.id,
    )


async def report_delivery(svc: Services, report: DeliveryReport) -> None:
    """Tell the agent holding the conversation: ``message_status {conversation_id, message_id, status, reason}``."""
    agent_id = replies.maybe_text(await svc.redis.hget(TenantKeys(report.tenant).conv(report.conversation), "agent_id"))
    if agent_id:
        await svc.sio.emit("message_status", {
            "conversation_id": report.conversation, "message_id": report.message_id,
            "client_id": report.client_id, "status": report.outcome.value, "reason": report.reason,
        }, room=agent_room(report.tenant, agent_id), namespace="/agent")
