"""What the consoles show of routing: the offer payload, an assigned conversation, the
supervisor's snapshot with the live conversations and the waiting series."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from acd import replies
from acd.engine import Engine
from gateway.assist.summary import assist_summary
from gateway.callbacks.figures import callback_figures
from gateway.channels_health import channel_health, live_states
from gateway.config.schema import Config, TenantConfig
from gateway.customer_presence import visitor_present
from gateway.keys import TenantKeys
from gateway.reply_window import window_of
from gateway.store.contacts import get_contact
from gateway.store.conversations import Conversation, open_conversations


def offer_payload(
    offer_id: str, task_id: str, channel: str, language: str, queue: str, waited_s: float, expires_in_s: float, meta: dict
) -> dict:
    """The contract's ``offer`` event."""
    meta = meta or {}
    return {
        # a callback attempt is its own task (cb_<id>_<n>) of a conversation: the console shows that one
        "offer_id": offer_id, "conversation_id": meta.get("conversation_id", task_id), "channel": channel,
        "channel_type": meta.get("channel_type", ""), "language": language, "topic": meta.get("topic", ""),
        "queue": queue, "waited_s": round(waited_s, 1), "expires_in_s": round(expires_in_s, 1),
        "contact": meta.get("contact", {}),
        **({"callback": meta["callback"]} if "callback" in meta else {}),
    }


async def describe(redis: Redis, config: Config, tenant: str, conv: Conversation) -> dict:
    """What an agent's console shows of an assigned conversation (with a messenger's reply window)."""
    contact = await get_contact(redis, TenantKeys(tenant), conv.contact_id)
    window = await window_of(redis, config, conv)
    present = await visitor_present(redis, TenantKeys(tenant), conv)
    return {
        **window.wire(),
        **({} if present is None else {"customer_present": present}),  # a widget visitor with a tab open
        "conversation_id": conv.id, "channel": conv.work_channel, "channel_type": conv.channel_type,
        "channel_id": conv.channel, "topic": conv.topic, "language": conv.language, "queue": conv.queue,
        "state": conv.state, "last_seq": conv.seq, "created_at": conv.created_at, "linked_to": conv.linked_to,
        "contact": contact.to_wire() if contact else {"id": conv.contact_id, "name": ""},
        "labels": [x for x in (replies.maybe_text(await redis.hget(TenantKeys(tenant).conv(conv.id), "labels")) or "").split(",") if x],
        "assist": await assist_summary(redis, TenantKeys(tenant), conv),  # detected language and topic (gateway/assist)
    }


async def snapshot(redis: Redis, engine: Engine, tenant: TenantConfig, now: float) -> dict[str, Any]:
    """The ACD snapshot, the open conversations, and the waiting-contacts series of the last 30 minutes."""
    snap = await engine.snapshot(now=now)
    snap["conversations"] = await live_conversations(redis, tenant, now)
    # "logged in but not available" (a console open) apart from "not logged in"
    async with redis.pipeline(transaction=False) as pipe:
        for agent in snap["agents"]:
            pipe.hlen(engine.keys.agent_sockets(agent["id"]))
        socks = await pipe.execute()
    for agent, n in zip(snap["agents"], socks, strict=True):
        agent["connected"] = bool(n) or agent["state"] != "offline"
    keys = TenantKeys(tenant.id)
    entries = replies.entries(await redis.xrange(keys.waiting_series(), min=str(int((now - 1800) * 1000))))
    series: dict[str, list] = {}
    for entry_id, fields in entries:
        ts = int(entry_id.split("-")[0]) / 1000
        for queue, waiting in fields.items():
            if queue != "_":
                series.setdefault(queue, []).append([ts, int(waiting)])
    snap["series"] = series
    snap["callbacks"] = await callback_figures(redis, tenant, now)  # per queue: today and the last 15 minutes
    live = await live_states(redis, Config(tenants={tenant.id: tenant}))
    snap["channels"] = [
        {"id": cid, "type": ch.type, "health": channel_health(ch, live.get((tenant.id, cid)))}
        for cid, ch in tenant.channels.items()
    ]
    return snap


async def live_conversations(redis: Redis, tenant: TenantConfig, now: float, limit: int = 200) -> list[dict]:
    """The open conversations as the dashboard lists them (the agent also while offered)."""
    keys = TenantKeys(tenant.id)
    convs = await open_conversations(redis, keys, limit)  # only these are read: thousands may be open
    async with redis.pipeline(transaction=False) as pipe:
        for conv in convs:
            pipe.hget(keys.contact(conv.contact_id), "name")
            pipe.xrevrange(keys.conv_messages(conv.id), count=1)
        rows = await pipe.execute()
    out = []
    for i, conv in enumerate(convs):
        name, last = rows[2 * i], rows[2 * i + 1]
        agent = tenant.agents.get(conv.agent_id)
        out.append({
            "id": conv.id, "contact_name": name or "", "queue": conv.queue,
            "agent_id": conv.agent_id, "agent": agent.name if agent else "",
            "state": conv.state, "channel_type": conv.channel_type,
            "waited_s": round((conv.assigned_at or now) - conv.created_at, 1),
            "created_at": conv.created_at, "assigned_at": conv.assigned_at or None,
            "last_message": last[0][1].get("text", "")[:140] if last else "",
        })
    return out


async def agent_detail(redis: Redis, engine: Engine, tenant: TenantConfig, agent_id: str, *, since: float,
                       now: float) -> dict[str, Any]:
    """One agent for the supervisor's drill-down: state, load, occupancy, the conversations it holds
    or is offered, and its state changes since ``since`` (today)."""
    info = await engine.agent(agent_id)
    convs = [c for c in await live_conversations(redis, tenant, now) if c["agent_id"] == agent_id]
    states = await engine.state_history(agent_id, since)
    return {
        "agent": {k: info[k] for k in ("id", "name", "state", "state_since", "load", "capacity", "occupancy")},
        "conversations": convs,
        "states": states,
        "since": since,
    }
