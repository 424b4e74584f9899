"""Webhook events, derived from the two streams every change already goes through: the tenant's
archive outbox (conversations, messages, contacts, audit, and the ``k=event`` records of SLA
breaches and channel health) and the ACD's event log (offers, assignments, transfers, ratings).

Each event's data is read when it is derived (milliseconds after the change) and then stored with
its deliveries, so every attempt of a delivery sends the same bytes."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import orjson
from redis.asyncio import Redis

from acd import replies
from acd.keys import AcdKeys
from gateway.keys import TenantKeys

EVENT_TYPES = (
    "conversation.created", "conversation.offered", "conversation.assigned", "conversation.transferred",
    "conversation.escalated", "conversation.closed", "message.created", "rating.given",
    "contact.created", "contact.merged", "contact.erased", "sla.breached", "channel.health_changed",
)
TEST_EVENT = "webhook.test"
CONVERSATION_FIELDS = ("channel", "channel_type", "work_channel", "queue", "topic", "language", "state", "agent_id",
                       "contact_id", "created_at", "closed_at", "close_reason", "wrapup_code")
Entries = list[tuple[str, dict[str, str]]]


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    type: str
    key: str  # deliveries of one key (a conversation, a contact, a channel) go out in order
    data: dict[str, Any]
    created_at: float  # epoch seconds of the change

    def body(self, tenant: str) -> str:
        """The JSON every subscription receives for this event."""
        return orjson.dumps({
            "id": self.id, "type": self.type, "tenant": tenant, "created_at": iso(self.created_at),
            "ts": round(self.created_at, 3), "data": self.data,
        }).decode()


def iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _ms(entry_id: str) -> float:
    return int(entry_id.split("-", 1)[0]) / 1000


def _num(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def conversation_view(cid: str, raw: dict[str, str]) -> dict[str, Any]:
    """The conversation as a webhook shows it (what an integrator needs; no visitor tokens)."""
    out: dict[str, Any] = {"id": cid}
    for name in CONVERSATION_FIELDS:
        value = raw.get(name, "")
        out[name] = (_num(value) if name.endswith("_at") else value) if value != "" else None
    out["labels"] = [x for x in raw.get("labels", "").split(",") if x]
    return out


class Deriver:
    """Turns one batch of stream entries into events, reading what they refer to in one pipeline."""

    def __init__(self, redis: Redis, tenant: str) -> None:
        self.redis, self.tenant, self.keys, self.acd = redis, tenant, TenantKeys(tenant), AcdKeys(tenant)

    async def derive(self, source: str, entries: Entries) -> list[Event]:
        if source == "acd":
            return await self._from_acd(entries)
        return await self._from_archive(entries)

    # --- the archive outbox -----------------------------------------------------------------
    async def _from_archive(self, entries: Entries) -> list[Event]:
        convs = sorted({f["c"] for _, f in entries if f.get("c")})
        msgs = sorted({(f["c"], f["s"]) for _, f in entries if f.get("k") == "msg" and f.get("c") and f.get("s")})
        contacts = sorted({f["id"] for _, f in entries if f.get("k") == "contact" and f.get("id")})
        async with self.redis.pipeline(transaction=False) as pipe:
            for cid in convs:
                pipe.hgetall(self.keys.conv(cid))
            for cid, seq in msgs:
                pipe.xrange(self.keys.conv_messages(cid), min=f"{seq}-0", max=f"{seq}-0")
            for contact_id in contacts:
                pipe.hgetall(self.keys.contact(contact_id))
            got = await pipe.execute()
        conv = {c: replies.fields(r) for c, r in zip(convs, got[:len(convs)], strict=True)}
        found = {m: replies.entries(r) for m, r in zip(msgs, got[len(convs):len(convs) + len(msgs)], strict=True)}
        people = {c: replies.fields(r) for c, r in zip(contacts, got[len(convs) + len(msgs):], strict=True)}
        out: list[Event] = []
        for entry_id, f in entries:
            eid, at, kind = "evt_a" + entry_id, _ms(entry_id), f.get("k")
            cid = f.get("c", "")
            if kind == "conv" and cid:
                view = conversation_view(cid, conv.get(cid, {}))
                if f.get("ov") == "1":
                    out.append(Event(eid, "conversation.created", cid, {"conversation": view}, at))
                elif f.get("e") == "closed":
                    out.append(Event(eid, "conversation.closed", cid, {"conversation": view}, at))
            elif kind == "msg" and cid:
                parsed = found.get((cid, f.get("s", "")), [])
                if not parsed:
                    continue  # purged meanwhile: nothing left to tell
                message = message_view(cid, int(f["s"]), parsed[0][1])
                out.append(Event(eid, "message.created", cid,
                                 {"conversation": conversation_view(cid, conv.get(cid, {})), "message": message}, at))
                escalation = message.get("extra", {}).get("escalation")
                if isinstance(escalation, dict):
                    # who asked, and when: the conversation keeps the request with them (the message only the request)
                    kept = _json(conv.get(cid, {}).get("escalation"))
                    if kept.get("to") == escalation.get("to"):
                        escalation = {**kept, **escalation}
                    out.append(Event(eid + "_e", "conversation.escalated", cid, {
                        "conversation": conversation_view(cid, conv.get(cid, {})), "escalation": escalation}, at))
            elif kind == "contact" and f.get("id"):
                contact = contact_view(f["id"], people.get(f["id"], {}))
                merged = [m for m in f.get("merged", "").split(",") if m]
                if merged:
                    out.append(Event(eid, "contact.merged", "contact:" + f["id"], {"contact": contact, "merged": merged}, at))
                elif f.get("new") == "1":
                    out.append(Event(eid, "contact.created", "contact:" + f["id"], {"contact": contact}, at))
            elif kind == "audit" and f.get("action") == "contact.erase":
                details = _json(f.get("details"))
                contact_id = str(details.get("contact_id", ""))
                out.append(Event(eid, "contact.erased", "contact:" + contact_id, {
                    "contact_id": contact_id, "contacts": details.get("contacts", []),
                    "conversations": details.get("conversations", 0)}, at))
            elif kind == "event" and f.get("t") in EVENT_TYPES:
                data = _json(f.get("data"))
                out.append(Event(eid, f["t"], f.get("key") or f["t"], data, at))
        return out

    # --- the ACD's event log ------------------------------------------------------------------
    async def _from_acd(self, entries: Entries) -> list[Event]:
        wanted = {"offer", "assign", "sup_assign", "transfer", "rated"}
        tasks = sorted({f["task"] for _, f in entries if f.get("ev") in wanted and f.get("task")})
        async with self.redis.pipeline(transaction=False) as pipe:
            for tid in tasks:
                pipe.hgetall(self.keys.conv(tid))
            for tid in tasks:
                pipe.hmget(self.acd.task(tid), "meta", "queue", "rating_comment")
            got = await pipe.execute()
        conv = {t: replies.fields(r) for t, r in zip(tasks, got[:len(tasks)], strict=True)}
        task_meta = {t: replies.texts(list(r)) for t, r in zip(tasks, got[len(tasks):], strict=True)}
        out: list[Event] = []
        for entry_id, f in entries:
            ev, tid = f.get("ev"), f.get("task", "")
            if ev not in wanted or not tid:
                continue
            eid, at = "evt_r" + entry_id, _ms(entry_id)
            cid = tid if conv.get(tid) else str(_json((task_meta.get(tid) or [""])[0]).get("conversation_id") or tid)
            base: dict[str, Any] = {"conversation": conversation_view(cid, conv.get(tid, {}))}
            if cid != tid:
                base["task_id"] = tid
            if ev == "offer":
                out.append(Event(eid, "conversation.offered", cid,
                                 {**base, "agent_id": f.get("agent"), "offer_id": f.get("offer"), "queue": f.get("q")}, at))
            elif ev in ("assign", "sup_assign"):
                out.append(Event(eid, "conversation.assigned", cid, {
                    **base, "agent_id": f.get("agent"), "queue": f.get("q"),
                    "by": "supervisor" if ev == "sup_assign" else "offer"}, at))
            elif ev == "transfer":
                out.append(Event(eid, "conversation.transferred", cid, {
                    **base, "from_queue": f.get("from") or None, "to_queue": f.get("q") if not f.get("agent") else None,
                    "to_agent": f.get("agent") or None}, at))
            elif ev == "rated":
                # the comment is on the task, written in the same step as this event (the conversation's
                # copy is written just after it, and may not be there yet)
                meta = task_meta.get(tid) or []
                comment = (meta[2] if len(meta) > 2 else "") or conv.get(tid, {}).get("rating_comment")
                out.append(Event(eid, "rating.given", cid, {
                    **base, "score": int(f.get("score") or 0), "agent_id": f.get("agent") or None,
                    "comment": comment or None}, at))
        return out


def message_view(cid: str, seq: int, m: dict[str, str]) -> dict[str, Any]:
    extra = _json(m.get("extra"))
    kind = m.get("kind", "")
    sender = {"visitor": "customer", "note": "note", "agent": "agent"}.get(kind, "system")
    if kind == "bot" or (kind == "system" and extra.get("auto")):
        sender = "bot"
    out: dict[str, Any] = {"id": m.get("id"), "conversation_id": cid, "seq": seq, "sender": sender,
                           "author": {"kind": kind, "name": m.get("name", ""), "agent_id": m.get("aid") or None},
                           "text": m.get("text", ""), "ts": _num(m.get("ts"))}
    if extra:
        out["extra"] = extra
    return out


def contact_view(contact_id: str, raw: dict[str, str]) -> dict[str, Any]:
    return {"id": contact_id, "name": raw.get("name", ""), "email": raw.get("email", ""), "phone": raw.get("phone", ""),
            "created_at": _num(raw.get("created_at"))}


def _json(raw: str | None) -> dict[str, Any]:
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
