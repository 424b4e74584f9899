"""The /agent namespace: the agent console's live connection (offers, conversations, replies)."""

from __future__ import annotations

import logging
import time
from typing import Any

import socketio
from redis.exceptions import RedisError

from acd.errors import AcdError, InvalidState
from gateway.auth import Principal
from gateway.delivery import end_conversation, fan_out
from gateway.escalation import parse_escalation, record_escalation
from gateway.keys import TenantKeys
from gateway.rooms import agent_room, session_room, visitor_room
from gateway.sockets.context import Context, authenticate
from gateway.sockets.validation import (
    UNAVAILABLE,
    InputError,
    client_id_field,
    int_field,
    require_dict,
    text_field,
)
from gateway.store.conversations import Conversation, get_conversation
from gateway.store.ids import is_id
from gateway.store.messages import (
    ConversationClosed,
    ConversationMissing,
    NotAssigned,
    post_message,
    read_page,
)

log = logging.getLogger(__name__)
_STATES = ("available", "away", "offline")
# What the console shows for a routing refusal: a sentence, never an internal id.
ACD_MESSAGES = {
    "offer_gone": "This offer is no longer available.",
    "not_your_offer": "This offer was made to another agent.",
    "not_your_task": "This conversation is held by another agent.",
    "over_capacity": "The agent has no free slot for this kind of conversation.",
    "unknown_agent": "There is no such agent.",
    "unknown_task": "This conversation is not known to routing.",
    "unknown_queue": "There is no such queue.",
    "agent_unavailable": "That agent is not available right now.",
    "invalid_state": "This is not possible in the conversation's current state.",
    "bad_request": "The request was not understood.",
}


def conversation_id_field(data: dict) -> str:
    """The conversation id of a request, checked against the generated form before any key is built."""
    cid = data.get("conversation_id")
    if not isinstance(cid, str):
        raise InputError("bad_request", "'conversation_id' is required")
    if not is_id("c", cid):
        raise InputError("not_found", "There is no such conversation.")
    return cid


class AgentNamespace(socketio.AsyncNamespace):
    def __init__(self, ctx: Context):
        super().__init__("/agent")
        self.ctx = ctx

    async def on_connect(self, sid: str, environ: dict, auth: Any = None) -> None:
        who = await authenticate(self.ctx, auth, "agent")
        await self.save_session(sid, {"principal": who})
        await self.enter_room(sid, agent_room(who.tenant, who.user_id))
        await self.enter_room(sid, session_room(who.tenant, who.session_id))
        self.ctx.live.add(sid, "/agent", who)
        self.ctx.metrics.sockets.labels("/agent").inc()
        await self.ctx.router.run(who.tenant, "agent_connected", who.user_id, sid, self.ctx.node_id)
        await self.emit("hello", await self._hello(who), to=sid)

    async def on_disconnect(self, sid: str, *args: Any) -> None:
        self.ctx.metrics.sockets.labels("/agent").dec()
        self.ctx.live.remove(sid)
        self.ctx.typing.forget(sid)
        who = await self._who(sid)
        if who is not None:
            await self.ctx.router.run(who.tenant, "agent_disconnected", who.user_id, sid, self.ctx.node_id)

    async def _who(self, sid: str) -> Principal | None:
        session = await self.get_session(sid)
        return session.get("principal")

    async def _hello(self, who: Principal) -> dict:
        engine = self.ctx.router.engine(who.tenant)
        keys = TenantKeys(who.tenant)
        info = await engine.agent(who.user_id)
        conversations = []
        for cid in await engine.assigned_tasks(who.user_id):
            conv = await get_conversation(self.ctx.redis, keys, cid)
            if conv is not None and conv.state != "closed":
                conversations.append(await self.ctx.router.describe(who.tenant, conv))
        return {
            "agent": {"id": who.user_id, "name": who.name},
            "state": info.get("state", "offline"),
            "conversations": conversations,
            "offers": await self.ctx.router.pending_offers(who.tenant, who.user_id, time.time()),
        }

    async def _mine(self, who: Principal, data: dict, *, offered_ok: bool = False) -> Conversation:
        """The conversation named in ``data`` if this agent may act on it."""
        cid = conversation_id_field(data)
        conv = await get_conversation(self.ctx.redis, TenantKeys(who.tenant), cid)
        if conv is None:
            raise InputError("not_found", "There is no such conversation.")
        if conv.agent_id != who.user_id or conv.state not in ("assigned",):
            if offered_ok and conv.state == "offered":
                task = await self.ctx.router.engine(who.tenant).task(cid)
                if task and task.get("agent") == who.user_id:
                    return conv
            raise InputError("forbidden", "This conversation is not assigned to you.")
        return conv

    async def _guard(self, sid: str, data: Any, action) -> dict:
        who = await self._who(sid)
        if who is None:
            return {"error": {"code": "unauthorized", "message": "not logged in"}}
        try:
            return await action(who, require_dict(data if data is not None else {}))
        except InputError as err:
            return err.to_ack()
        except AcdError as err:
            code = getattr(err, "code", type(err).__name__)
            return {"error": {"code": code, "message": ACD_MESSAGES.get(code, "Routing refused this request.")}}
        except (RedisError, OSError):
            log.exception("redis unavailable in an agent handler")
            return UNAVAILABLE

    async def on_state(self, sid: str, data: Any = None) -> dict:
        async def act(who: Principal, d: dict) -> dict:
            state = d.get("state")
            if state not in _STATES:
                raise InputError("bad_request", f"'state' must be one of {', '.join(_STATES)}")
            await self.ctx.router.run(who.tenant, "set_state", who.user_id, state)
            info = await self.ctx.router.engine(who.tenant).agent(who.user_id)
            return {"state": info.get("state", state)}

        return await self._guard(sid, data, act)

    async def on_accept(self, sid: str, data: Any = None) -> dict:
        async def act(who: Principal, d: dict) -> dict:
            offer_id = d.get("offer_id")
            if not isinstance(offer_id, str) or len(offer_id) > 64:
                raise InputError("bad_request", "'offer_id' is required")
            effects = await self.ctx.router.run(who.tenant, "accept", who.user_id, offer_id)
            assigned = next((e for e in effects if e.kind == "assigned"), None)
            if assigned is None:
                return {"ok": True}
            conv = await get_conversation(self.ctx.redis, TenantKeys(who.tenant), assigned.task_id)
            return {"ok": True, "conversation": await self.ctx.router.describe(who.tenant, conv) if conv else None}

        return await self._guard(sid, data, act)

    async def on_decline(self, sid: str, data: Any = None) -> dict:
        async def act(who: Principal, d: dict) -> dict:
            offer_id = d.get("offer_id")
            if not isinstance(offer_id, str) or len(offer_id) > 64:
                raise InputError("bad_request", "'offer_id' is required")
            await self.ctx.router.run(who.tenant, "decline", who.user_id, offer_id)
            return {"ok": True}

        return await self._guard(sid, data, act)

    async def on_message(self, sid: str, data: Any = None) -> dict:
        async def act(who: Principal, d: dict) -> dict:
            text = text_field(d, "text", max_chars=self.ctx.config.limits.message_chars)
            client_id = client_id_field(d)
            cid = conversation_id_field(d)
            keys = TenantKeys(who.tenant)
            try:
                posted = await post_message(
                    self.ctx.redis, keys, cid, author_kind="agent", author_name=who.name,
                    author_id=who.user_id, text=text, client_id=client_id, require_agent=who.user_id,
                )
            except ConversationMissing as err:
                raise InputError("not_found", "There is no such conversation.") from err
            except NotAssigned as err:
                raise InputError("forbidden", "This conversation is not assigned to you.") from err
            except ConversationClosed as err:
                raise InputError("closed", "The conversation is closed.") from err
            msg = posted.message
            if not msg.duplicate:
                self.ctx.metrics.messages.labels(who.tenant, "agent").inc()
                await fan_out(self.ctx, who.tenant, posted, sender_sid=sid)
                if not posted.visitor_id:  # a bridged channel: the reply leaves through its platform
                    conv = await get_conversation(self.ctx.redis, keys, cid)
                    if conv is not None:
                        await self.ctx.router.outbound(who.tenant, conv, msg)
            return {"id": msg.id, "conversation_id": cid, "seq": msg.seq, "ts": msg.ts}

        return await self._guard(sid, data, act)

    async def on_history(self, sid: str, data: Any = None) -> dict:
        async def act(who: Principal, d: dict) -> dict:
            conv = await self._mine(who, d, offered_ok=True)
            limits = self.ctx.config.limits
            page = await read_page(self.ctx.redis, TenantKeys(who.tenant), conv.id, int_field(d, "after_seq"),
                                   max_messages=limits.history_page_messages, max_bytes=limits.history_page_bytes)
            return page.to_wire(conv.id)

        return await self._guard(sid, data, act)

    async def on_typing(self, sid: str, data: Any = None) -> dict:
        async def act(who: Principal, d: dict) -> dict:
            conv = await self._mine(who, d)
            on = bool(d.get("on"))
            if conv.visitor_id and self.ctx.typing.should_forward(sid, on):
                await self.ctx.sio.emit(
                    "typing", {"conversation_id": conv.id, "on": on},
                    room=visitor_room(who.tenant, conv.visitor_id), namespace="/visitor",
                )
            return {"ok": True}

        return await self._guard(sid, data, act)

    async def on_close(self, sid: str, data: Any = None) -> dict:
        async def act(who: Principal, d: dict) -> dict:
            conv = await self._mine(who, d)
            code = d.get("wrapup_code")
            if code is not None and (not isinstance(code, str) or len(code) > 64):
                raise InputError("bad_request", "'wrapup_code' must be a short string")
            await end_conversation(self.ctx, who.tenant, conv, reason="agent", wrapup_code=code)
            return {"ok": True}

        return await self._guard(sid, data, act)

    async def on_wrapup(self, sid: str, data: Any = None) -> dict:
        async def act(who: Principal, d: dict) -> dict:
            cid, code = conversation_id_field(d), d.get("wrapup_code")
            if not isinstance(code, str) or not code or len(code) > 64:
                raise InputError("bad_request", "'wrapup_code' must be a short text")
            try:
                await self.ctx.router.run(who.tenant, "wrapup_done", who.user_id, cid, code)
            except InvalidState as err:  # an open conversation ends through close (with the code), never here
                raise InputError("still_open", "The conversation is still open; close it with the wrap-up code.") from err
            return {"ok": True}

        return await self._guard(sid, data, act)

    async def on_transfer(self, sid: str, data: Any = None) -> dict:
        async def act(who: Principal, d: dict) -> dict:
            conv = await self._mine(who, d)
            tenant = self.ctx.config.tenants[who.tenant]
            queue, agent = d.get("queue"), d.get("agent")
            if (queue is None) == (agent is None):
                raise InputError("bad_request", "give either 'queue' or 'agent'")
            if queue is not None and (not isinstance(queue, str) or queue not in tenant.queues):
                raise InputError("not_found", "There is no such queue.")
            if agent is not None and (not isinstance(agent, str) or agent not in tenant.agents):
                raise InputError("not_found", "There is no such agent.")
            if agent == who.user_id:
                raise InputError("bad_request", "You cannot transfer a conversation to yourself.")
            await self.ctx.router.run(who.tenant, "transfer", conv.id, queue=queue, agent=agent)
            return {"ok": True}

        return await self._guard(sid, data, act)

    async def on_escalate(self, sid: str, data: Any = None) -> dict:
        async def act(who: Principal, d: dict) -> dict:
            conv = await self._mine(who, d)
            request = parse_escalation(d)
            await record_escalation(self.ctx, TenantKeys(who.tenant), conv, request, by="agent")
            return {"ok": True, **request}

        return await self._guard(sid, data, act)

