"""The /visitor namespace: website visitors chatting through the widget."""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import time
from typing import Any

import socketio

from gateway.abandonment import visitor_arrived, visitor_left
from gateway.delivery import end_conversation, fan_out, parse_escalation, record_escalation
from gateway.keys import TenantKeys
from gateway.rooms import agent_room, visitor_room
from gateway.sockets.context import Context
from gateway.sockets.validation import InputError, acked, client_id_field, int_field, require_dict, text_field
from gateway.store.contacts import resolve_contact
from gateway.store.conversations import Conversation, create_conversation, get_conversation
from gateway.store.messages import (
    ConversationClosed,
    ConversationMissing,
    RateLimited,
    post_message,
    read_messages,
)
from gateway.visitor_token import issue_visitor_token, read_visitor_token

log = logging.getLogger(__name__)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class VisitorNamespace(socketio.AsyncNamespace):
    def __init__(self, ctx: Context):
        super().__init__("/visitor")
        self.ctx = ctx

    async def on_connect(self, sid: str, environ: dict, auth: Any = None) -> None:
        auth = auth if isinstance(auth, dict) else {}
        tenant_id = auth.get("tenant")
        tenant = self.ctx.config.tenants.get(tenant_id) if isinstance(tenant_id, str) else None
        if tenant is None:
            self.ctx.metrics.rejected.labels("unknown_tenant").inc()
            raise socketio.exceptions.ConnectionRefusedError({"code": "unknown_tenant", "message": "unknown tenant"})
        keys = TenantKeys(tenant.id)
        secret = self.ctx.config.server.secret_key
        token = auth.get("visitor_token")
        visitor_id = read_visitor_token(secret, tenant.id, token)
        if visitor_id is None or not await self.ctx.redis.exists(keys.visitor(visitor_id)):
            token, visitor_id = issue_visitor_token(secret, tenant.id)
        profile = self._profile(tenant, auth)
        vkey = keys.visitor(visitor_id)
        async with self.ctx.redis.pipeline(transaction=True) as pipe:
            pipe.hset(vkey, mapping={"id": visitor_id, **profile})
            pipe.hsetnx(vkey, "created_at", repr(time.time()))
            pipe.expire(vkey, self.ctx.config.server.visitor_token_ttl_s)
            pipe.hmget(vkey, "conversation_id", "name")
            *_, (conversation_id, name) = await pipe.execute()
        await self.save_session(
            sid, {"tenant": tenant.id, "visitor_id": visitor_id, "name": name or "Visitor", "conversation_id": conversation_id}
        )
        await self.enter_room(sid, visitor_room(tenant.id, visitor_id))
        await visitor_arrived(self.ctx.redis, keys, visitor_id, sid, conversation_id)
        self.ctx.metrics.sockets.labels("/visitor").inc()
        await self.emit("session", {"visitor_token": token, "conversation_id": conversation_id or None}, to=sid)
        if conversation_id:
            await self._resume(sid, keys, conversation_id)

    async def on_disconnect(self, sid: str, *args: Any) -> None:
        self.ctx.metrics.sockets.labels("/visitor").dec()
        session = await self.get_session(sid)
        if not session:
            return
        keys = TenantKeys(session["tenant"])
        grace = self.ctx.config.tenants[keys.tenant].widget.abandon_after_s
        current = await self.ctx.redis.hget(keys.visitor(session["visitor_id"]), "conversation_id")
        await visitor_left(self.ctx.redis, keys, session["visitor_id"], sid, current, grace)

    def _profile(self, tenant: Any, auth: dict) -> dict[str, str]:
        out: dict[str, str] = {}
        name = auth.get("name")
        if isinstance(name, str) and name.strip():
            out["name"] = name.strip()[:100]
        email = auth.get("email")
        if isinstance(email, str) and _EMAIL.match(email.strip()):
            out["email"] = email.strip()[:200]
        language = auth.get("language")
        if isinstance(language, str) and language in tenant.languages:
            out["language"] = language
        topic = auth.get("topic")
        if isinstance(topic, str) and topic in tenant.topics:
            out["topic"] = topic
        return out

    async def _resume(self, sid: str, keys: TenantKeys, conversation_id: str) -> None:
        conv = await get_conversation(self.ctx.redis, keys, conversation_id)
        if conv is None:
            return
        if conv.state == "assigned" and conv.agent_id:
            agent = self.ctx.config.tenants[keys.tenant].agents.get(conv.agent_id)
            await self.emit("assigned", {"conversation_id": conv.id, "agent": {"name": agent.name if agent else ""}}, to=sid)
        elif conv.state == "closed":
            await self.emit("closed", {"conversation_id": conv.id, "reason": conv.close_reason}, to=sid)

    async def _whoami(self, sid: str) -> tuple[TenantKeys, str, dict]:
        session = await self.get_session(sid)
        keys = TenantKeys(session["tenant"])
        visitor = await self.ctx.redis.hgetall(keys.visitor(session["visitor_id"]))
        return keys, session["visitor_id"], visitor

    @acked
    async def on_message(self, sid: str, data: Any = None) -> dict:
        data = require_dict(data)
        text = text_field(data, "text", max_chars=self.ctx.config.limits.message_chars)
        client_id = client_id_field(data)
        session = await self.get_session(sid)
        keys, visitor_id = TenantKeys(session["tenant"]), session["visitor_id"]
        post = functools.partial(
            post_message, self.ctx.redis, keys, author_kind="visitor", author_name=session["name"],
            author_id=visitor_id, text=text, client_id=client_id,
            rate=(f"v:{visitor_id}", self.ctx.config.limits.visitor_messages_per_10s, 10),
        )
        conv, posted = None, None
        try:
            if session.get("conversation_id"):  # the hot path: one script, no reads before it
                try:
                    posted = await post(session["conversation_id"])
                except (ConversationClosed, ConversationMissing):
                    posted = None
            if posted is None:
                visitor = await self.ctx.redis.hgetall(keys.visitor(visitor_id))
                conv, new = await self._open_conversation(keys, visitor_id, visitor)
                session["conversation_id"] = conv.id
                posted = await post(conv.id)
        except RateLimited as err:
            self.ctx.metrics.rejected.labels("rate_limited").inc()
            raise InputError("rate_limited", "too many messages; wait a few seconds") from err
        msg = posted.message
        if not msg.duplicate:
            self.ctx.metrics.messages.labels(keys.tenant, "visitor").inc()
            await fan_out(self.ctx, keys.tenant, posted, sender_sid=sid)
        if conv is not None and new:
            await self.emit("session", {"conversation_id": conv.id}, room=visitor_room(keys.tenant, visitor_id))
            await self.ctx.router.submit(conv)
        return {"id": msg.id, "conversation_id": msg.conversation_id, "seq": msg.seq, "ts": msg.ts}

    async def _open_conversation(self, keys: TenantKeys, visitor_id: str, visitor: dict) -> tuple[Conversation, bool]:
        """The visitor's open conversation, or a new one (one at a time, even with several tabs)."""
        redis = self.ctx.redis
        lock = f"{keys.visitor(visitor_id)}:opening"
        for _ in range(50):
            cid = await redis.hget(keys.visitor(visitor_id), "conversation_id")
            conv = await get_conversation(redis, keys, cid) if cid else None
            if conv is not None and conv.state != "closed":
                return conv, False
            if await redis.set(lock, "1", nx=True, px=5000):
                try:
                    cid = await redis.hget(keys.visitor(visitor_id), "conversation_id")
                    conv = await get_conversation(redis, keys, cid) if cid else None
                    if conv is not None and conv.state != "closed":
                        return conv, False
                    return await self._create(keys, visitor_id, visitor), True
                finally:
                    await redis.delete(lock)
            await asyncio.sleep(0.02)
        raise InputError("busy", "could not open a conversation; try again")

    async def _create(self, keys: TenantKeys, visitor_id: str, visitor: dict) -> Conversation:
        tenant = self.ctx.config.tenants[keys.tenant]
        topic = visitor.get("topic") or next(iter(tenant.topics), "")
        if topic not in tenant.topics:
            raise InputError("no_topic", "this tenant has no topics configured")
        language = visitor.get("language") or tenant.languages[0]
        contact_id = await resolve_contact(
            self.ctx.redis, keys, [("visitor", visitor_id)], name=visitor.get("name", ""), email=visitor.get("email", "")
        )
        await self.ctx.redis.hset(keys.visitor(visitor_id), "contact_id", contact_id)
        channel = next((c for c in tenant.channels.values() if c.type == "widget"), None)
        conv = await create_conversation(
            self.ctx.redis, keys, channel=channel.id if channel else "web", channel_type="widget", work_channel="chat",
            contact_id=contact_id, topic=topic, queue=tenant.topics[topic].queue, language=language,
            visitor_id=visitor_id,
        )
        self.ctx.metrics.conversations.labels(keys.tenant, conv.channel).inc()
        return conv

    @acked
    async def on_history(self, sid: str, data: Any = None) -> dict:
        try:
            data = require_dict(data or {})
            after = int_field(data, "after_seq", 0)
        except InputError as err:
            return err.to_ack()
        keys, _, visitor = await self._whoami(sid)
        cid = visitor.get("conversation_id")
        if not cid:
            return {"conversation_id": None, "messages": []}
        msgs = await read_messages(self.ctx.redis, keys, cid, after_seq=after)
        return {"conversation_id": cid, "messages": [m.to_wire() for m in msgs]}

    @acked
    async def on_typing(self, sid: str, data: Any = None) -> None:
        keys, _, visitor = await self._whoami(sid)
        cid = visitor.get("conversation_id")
        if not cid:
            return
        agent_id = await self.ctx.redis.hget(keys.conv(cid), "agent_id")
        on = bool(data.get("on")) if isinstance(data, dict) else False
        if agent_id:
            await self.ctx.sio.emit(
                "typing", {"conversation_id": cid, "on": on}, room=agent_room(keys.tenant, agent_id), namespace="/agent"
            )

    @acked
    async def on_escalate(self, sid: str, data: Any = None) -> dict:
        try:
            data = require_dict(data)
            keys, visitor_id, visitor = await self._whoami(sid)
            request = parse_escalation(data)
        except InputError as err:
            return err.to_ack()
        cid = visitor.get("conversation_id")
        conv = await get_conversation(self.ctx.redis, keys, cid) if cid else None
        if conv is None or conv.state == "closed":
            conv, new = await self._open_conversation(keys, visitor_id, visitor)
        else:
            new = False
        await record_escalation(self.ctx, keys, conv, request, by="visitor")
        if new:
            await self.ctx.router.submit(conv)
        return {"ok": True, "conversation_id": conv.id, **request}

    @acked
    async def on_close(self, sid: str, data: Any = None) -> dict:
        """The visitor ends the conversation (unanswered: counts as abandoned in the statistics)."""
        keys, _, visitor = await self._whoami(sid)
        cid = visitor.get("conversation_id")
        conv = await get_conversation(self.ctx.redis, keys, cid) if cid else None
        if conv is None or conv.state == "closed":
            return {"ok": True, "conversation_id": cid or None}
        await end_conversation(self.ctx, keys.tenant, conv, reason="visitor")
        return {"ok": True, "conversation_id": conv.id}
