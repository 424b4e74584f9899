"""What the gateway posts into Slack: a conversation's first message (who, where from, topic,
language, its state, the claim / transfer / close controls) and the lines of its thread.

Everything a customer or agent typed is escaped (``&``, ``<``, ``>``), so no text can become a
mention, a link or a broadcast in Slack. Every post carries our metadata: its ``event_type`` is how
the gateway recognises its own posts when Slack sends them back as events.
"""

from __future__ import annotations

from typing import Any

from gateway.config.schema import TenantConfig
from gateway.store.conversations import Conversation

MIRROR_EVENT = "omnirelay_mirror"
CHANNEL_TYPE_NAMES = {"widget": "Website chat", "telegram": "Telegram", "whatsapp": "WhatsApp",
                      "messenger": "Messenger", "email": "Email"}


def escape(text: str) -> str:
    """Slack's three control characters as entities: typed text stays text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def metadata(conversation_id: str, kind: str = "message") -> dict[str, Any]:
    return {"event_type": MIRROR_EVENT, "event_payload": {"conversation_id": conversation_id, "kind": kind}}


def state_line(conv: Conversation, tenant: TenantConfig) -> str:
    if conv.state == "closed":
        return ":white_check_mark: Closed"
    if conv.state == "assigned" and conv.agent_id:
        agent = tenant.agents.get(conv.agent_id)
        return f":bust_in_silhouette: Answered by {escape(agent.name if agent else conv.agent_id)}"
    queue = tenant.queues.get(conv.queue)
    return f":hourglass_flowing_sand: Waiting in {escape(queue.name or queue.id if queue else conv.queue)}"


def shown_state(conv: Conversation) -> str:
    """What the first message shows of the state, to update it only when that changed (waiting and
    offered look alike: an offer going round the agents updates nothing in Slack)."""
    if conv.state == "closed":
        return "closed"
    if conv.state == "assigned" and conv.agent_id:
        return f"assigned:{conv.agent_id}:{conv.queue}"
    return f"waiting:{conv.queue}"


def root(conv: Conversation, tenant: TenantConfig, customer: str) -> tuple[str, list[dict[str, Any]]]:
    """The first message of a conversation's thread: fallback text and Block Kit blocks."""
    channel = tenant.channels.get(conv.channel)
    where = (channel.name if channel and channel.name else CHANNEL_TYPE_NAMES.get(conv.channel_type, conv.channel_type))
    topic = tenant.topics.get(conv.topic)
    topic_name = (topic.label.get("en") or next(iter(topic.label.values()), conv.topic)) if topic and topic.label else conv.topic
    who = escape(customer or "Customer")
    text = f"{who} · {escape(where)} · {escape(topic_name or '-')} · {escape(conv.language or '-')}"
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{who}*\n{escape(where)}"},
         "fields": [{"type": "mrkdwn", "text": f"*Topic*\n{escape(topic_name or '-')}"},
                    {"type": "mrkdwn", "text": f"*Language*\n{escape(conv.language or '-')}"}]},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": state_line(conv, tenant)}]},
    ]
    if conv.state != "closed":
        blocks.append({"type": "actions", "block_id": f"conv:{conv.id}", "elements": _controls(conv, tenant)})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": "Reply in the thread to answer the "
                   "customer; start with `note:` for an internal note."}]})
    return text, blocks


def _controls(conv: Conversation, tenant: TenantConfig) -> list[dict[str, Any]]:
    controls: list[dict[str, Any]] = []
    if conv.state != "assigned":
        controls.append({"type": "button", "action_id": "claim", "style": "primary", "value": conv.id,
                         "text": {"type": "plain_text", "text": "Claim"}})
    others = [(qid, q) for qid, q in tenant.queues.items() if qid != conv.queue or conv.state == "assigned"]
    if conv.state == "assigned" and others:
        controls.append({"type": "static_select", "action_id": "transfer",
                         "placeholder": {"type": "plain_text", "text": "Transfer to…"},
                         "options": [{"text": {"type": "plain_text", "text": (q.name or qid)[:75]},
                                      "value": f"{conv.id}|{qid}"} for qid, q in others[:100]]})
    if conv.state == "assigned":
        controls.append({"type": "button", "action_id": "close", "style": "danger", "value": conv.id,
                         "text": {"type": "plain_text", "text": "Close"},
                         "confirm": {"title": {"type": "plain_text", "text": "Close the conversation?"},
                                     "text": {"type": "plain_text", "text": "The customer is told it has ended."},
                                     "confirm": {"type": "plain_text", "text": "Close"},
                                     "deny": {"type": "plain_text", "text": "Cancel"}}})
    return controls


def line(author_kind: str, author_name: str, text: str) -> str:
    """One mirrored message of the conversation, as the thread shows it."""
    who = escape(author_name or ("Customer" if author_kind == "visitor" else "Agent"))
    body = escape(text)
    if author_kind == "visitor":
        return f"*{who}:* {body}"
    if author_kind == "note":
        return f":memo: _note by {who}:_ {body}"
    return f"_{who} (console):_ {body}"
