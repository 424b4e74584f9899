"""The /supervisor namespace: live snapshots of the tenant's agents and queues, and the supervisor's
actions on them (force a state, log an agent out, assign, pick up, move, monitor, whisper, barge).

Protocol handling only: each routing action is one atomic decision in the ACD (gateway/routing/),
so a race with an agent's own accept or close has one winner and the loser gets an error ack.
Every action is audited. Ids are looked up in the supervisor's own tenant only.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import socketio

from gateway.agent_logout import log_agent_out
from gateway.assist.correct import correct
from gateway.audit import audit
from gateway.auth import Principal
from gateway.conversations.delivery import fan_out
from gateway.conversations.handover_notice import tell_handed_on
from gateway.conversations.notes import monitor_room, post_note
from gateway.conversations.outbound import reply_outbound
from gateway.errors import ClientError
from gateway.keys import TenantKeys
from gateway.rooms import session_room, supervisor_room
from gateway.routing.views import agent_detail
from gateway.services import Services
from gateway.sockets.acked import acked
from gateway.sockets.authenticate import authenticate
from gateway.store.conversations import Conversation, get_conversation
from gateway.store.messages import ConversationClosed, ConversationMissing, post_message, read_page
from gateway.texts import line
from gateway.validation import client_id_field, conversation_id_field, require_dict, text_field

FORCED_STATES = ("away", "offline")
BARGE_TTL_S = 86400
REASON_CHARS = 140


def _not_found() -> ClientError:
    return ClientError("not_found", "There is no such conversation.", 404)


class SupervisorNamespace(socketio.AsyncNamespace):
    def __init__(self, ctx: Services):
        super().__init__("/supervisor")
        self.ctx = ctx

    async def on_connect(self, sid: str, environ: dict, auth: Any = None) -> None:
        who = await authenticate(self.ctx, auth, "supervisor")
        await self.save_session(sid, {"principal": who})
        await self.enter_room(sid, supervisor_room(who.tenant))
        await self.enter_room(sid, session_room(who.tenant, who.session_id))
        self.ctx.live.add(sid, "/supervisor", who)
        self.ctx.metrics.sockets.labels("/supervisor").inc()
        snapshot = await self.ctx.router.snapshot(who.tenant, time.time())
        await self.emit("snapshot", snapshot, to=sid)

    async def on_disconnect(self, sid: str, *args: Any) -> None:
        self.ctx.metrics.sockets.labels("/supervisor").dec()
        self.ctx.live.remove(sid)

    # --- lookups -----------------------------------------------------------------------------
    async def _who(self, sid: str) -> Principal:
        who = (await self.get_session(sid)).get("principal")
        if who is None:
            raise ClientError("unauthorized", "not logged in", 401)
        return who

    def _agent_id(self, who: Principal, d: dict) -> str:
        agent_id = d.get("agent_id")
        if not isinstance(agent_id, str) or agent_id not in self.ctx.config.tenants[who.tenant].agents:
            raise ClientError("not_found", "There is no such agent.", 404)
        return agent_id

    async def _conv(self, who: Principal, d: dict, *, open_only: bool = True) -> Conversation:
        conv = await get_conversation(self.ctx.redis, TenantKeys(who.tenant), conversation_id_field(d))
        if conv is None:
            raise _not_found()
        if open_only and conv.state == "closed":
            raise ClientError("closed", "The conversation is closed.", 409)
        return conv

    async def _audit(self, who: Principal, action: str, details: dict) -> None:
        await audit(self.ctx.redis, TenantKeys(who.tenant), who, action, details)

    # --- agents ------------------------------------------------------------------------------
    @acked
    async def on_agent_state(self, sid: str, data: Any = None) -> dict:
        """Force an agent away or offline; the agent's console hears the state and why."""
        who, d = await self._who(sid), require_dict(data)
        agent_id, state = self._agent_id(who, d), d.get("state")
        if state not in FORCED_STATES:
            raise ClientError("bad_request", f"'state' must be one of {', '.join(FORCED_STATES)}")
        why = text_field(d, "reason", max_chars=REASON_CHARS, required=False).strip()
        reason = f"set by {who.name}" + (f": {why}" if why else "")  # what the agent's console shows
        # a supervisor's doing: requeued customers are told "transferred", nothing alarming
        effects = await self.ctx.router.set_state(who.tenant, agent_id, state, reason, calm=True)
        await tell_handed_on(self.ctx, who.tenant, effects)  # offline: its customers are back in line
        info = await self.ctx.router.engine(who.tenant).agent(agent_id)
        await self._audit(who, "supervisor.agent_state", {"agent_id": agent_id, "state": state})
        return {"ok": True, "agent_id": agent_id, "state": info.get("state", state)}

    @acked
    async def on_logout_agent(self, sid: str, data: Any = None) -> dict:
        """End the agent's login everywhere: its tokens are revoked, it goes offline in the ACD (its
        conversations back at the head of their queues), and its consoles hear ``session_ended``."""
        who, d = await self._who(sid), require_dict(data)
        agent_id = self._agent_id(who, d)
        out = await log_agent_out(self.ctx, who.tenant, agent_id, "logged_out_by_supervisor")
        await self._audit(who, "supervisor.logout_agent", {"agent_id": agent_id, "requeued": out.requeued})
        return {"ok": True, "agent_id": agent_id, "sessions_ended": out.sessions_ended, "requeued": out.requeued}

    @acked
    async def on_agent_detail(self, sid: str, data: Any = None) -> dict:
        """One agent for the drill-down: state, load and occupancy, conversations, state changes today."""
        who, d = await self._who(sid), require_dict(data)
        agent_id = self._agent_id(who, d)
        tenant = self.ctx.config.tenants[who.tenant]
        now = time.time()
        zone = ZoneInfo(tenant.hours.timezone if tenant.hours else "UTC")
        midnight = datetime.fromtimestamp(now, zone).replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
        return {"ok": True, **await agent_detail(self.ctx.redis, self.ctx.router.engine(who.tenant), tenant,
                                                 agent_id, since=midnight, now=now)}

    # --- conversations -----------------------------------------------------------------------
    async def _assign(self, who: Principal, conv: Conversation, agent_id: str) -> dict:
        await self.ctx.router.assign(who.tenant, conv.id, agent_id)
        await self._audit(who, "supervisor.assign", {"conversation_id": conv.id, "agent_id": agent_id})
        return {"ok": True, "conversation_id": conv.id, "agent_id": agent_id}

    @acked
    async def on_assign(self, sid: str, data: Any = None) -> dict:
        """A waiting or offered conversation to that agent at once (an open offer elsewhere is withdrawn)."""
        who, d = await self._who(sid), require_dict(data)
        agent_id = self._agent_id(who, d)
        return await self._assign(who, await self._conv(who, d), agent_id)

    @acked
    async def on_pick_up(self, sid: str, data: Any = None) -> dict:
        """Take a waiting conversation oneself: only a supervisor who is also an agent of the tenant."""
        who, d = await self._who(sid), require_dict(data)
        conv = await self._conv(who, d)
        if who.user_id not in self.ctx.config.tenants[who.tenant].agents:
            raise ClientError("not_an_agent", "You are not set up as an agent, so you cannot take conversations "
                              "yourself. Assign it to an agent instead.", 403)
        return await self._assign(who, conv, who.user_id)

    @acked
    async def on_move(self, sid: str, data: Any = None) -> dict:
        """A conversation still waiting to another queue; it keeps its place in time (its waiting time)."""
        who, d = await self._who(sid), require_dict(data)
        queue = d.get("queue")
        if not isinstance(queue, str) or queue not in self.ctx.config.tenants[who.tenant].queues:
            raise ClientError("not_found", "There is no such queue.", 404)
        conv = await self._conv(who, d)
        if conv.queue == queue:
            raise ClientError("bad_request", "The conversation is already in that queue.")
        await self.ctx.router.move(who.tenant, conv.id, queue)
        await self._audit(who, "supervisor.move", {"conversation_id": conv.id, "from": conv.queue, "queue": queue})
        return {"ok": True, "conversation_id": conv.id, "queue": queue}

    @acked
    async def on_assist_correct(self, sid: str, data: Any = None) -> dict:
        """``assist_correct {conversation_id, topic?, language?}``: as the agent's, on any open conversation of
        the tenant → ack ``{ok, transferred}`` (gateway/assist/correct.py)."""
        return await correct(self.ctx, await self._who(sid), data)

    async def _transcript(self, who: Principal, conv: Conversation) -> dict:
        limits = self.ctx.config.limits
        page = await read_page(self.ctx.redis, TenantKeys(who.tenant), conv.id, 0,
                               max_messages=limits.history_page_messages, max_bytes=limits.history_page_bytes)
        return page.to_wire(conv.id)

    @acked
    async def on_monitor(self, sid: str, data: Any = None) -> dict:
        """Read along: the conversation's messages (and notes) come to this socket; ack with the transcript."""
        who, d = await self._who(sid), require_dict(data)
        conv = await self._conv(who, d)
        await self.enter_room(sid, monitor_room(who.tenant, conv.id))
        await self._audit(who, "supervisor.monitor", {"conversation_id": conv.id, "agent_id": conv.agent_id})
        return {"ok": True, **await self._transcript(who, conv), "agent_id": conv.agent_id, "state": conv.state}

    @acked
    async def on_unmonitor(self, sid: str, data: Any = None) -> dict:
        who, d = await self._who(sid), require_dict(data)
        await self.leave_room(sid, monitor_room(who.tenant, conversation_id_field(d)))
        return {"ok": True}

    @acked
    async def on_whisper(self, sid: str, data: Any = None) -> dict:
        """A note only the agent (and supervisors) read; never the customer."""
        who, d = await self._who(sid), require_dict(data)
        conv = await self._conv(who, d)
        if conv.state != "assigned" or not conv.agent_id:
            raise ClientError("not_assigned", "No agent is serving this conversation yet: there is nobody to whisper to.",
                              409)
        text = text_field(d, "text", max_chars=self.ctx.config.limits.message_chars)
        msg = await post_note(self.ctx, TenantKeys(who.tenant), conv, author_id=who.user_id, author_name=who.name,
                              text=text, whisper=True, client_id=client_id_field(d))
        if not msg.duplicate:
            await self._audit(who, "supervisor.whisper", {"conversation_id": conv.id, "agent_id": conv.agent_id})
        return {"ok": True, "id": msg.id, "conversation_id": conv.id, "seq": msg.seq, "ts": msg.ts}

    @acked
    async def on_barge(self, sid: str, data: Any = None) -> dict:
        """Join the conversation: the customer is told, and this supervisor may write (``message``)."""
        who, d = await self._who(sid), require_dict(data)
        conv = await self._conv(who, d)
        if conv.state != "assigned":
            raise ClientError("not_assigned", "Only a conversation an agent is serving can be joined; assign it instead.",
                              409)
        keys = TenantKeys(who.tenant)
        async with self.ctx.redis.pipeline(transaction=True) as pipe:
            pipe.sadd(keys.conv_barged(conv.id), who.user_id)
            pipe.expire(keys.conv_barged(conv.id), BARGE_TTL_S)
            added, _ = await pipe.execute()
        await self.enter_room(sid, monitor_room(who.tenant, conv.id))
        if added:  # once per supervisor: a second click does not announce again
            try:
                posted = await post_message(self.ctx.redis, keys, conv.id, author_kind="system", author_name="omnirelay",
                                            text=line(conv.language, "barged", name=who.name),
                                            extra={"joined": {"name": who.name}})
            except (ConversationMissing, ConversationClosed) as err:
                raise ClientError("closed", "The conversation is closed.", 409) from err
            await fan_out(self.ctx, who.tenant, posted)
            await self._audit(who, "supervisor.barge", {"conversation_id": conv.id, "agent_id": conv.agent_id})
        return {"ok": True, **await self._transcript(who, conv), "agent_id": conv.agent_id}

    @acked
    async def on_message(self, sid: str, data: Any = None) -> dict:
        """A supervisor who barged in writes to the customer, under their own name."""
        who, d = await self._who(sid), require_dict(data)
        keys = TenantKeys(who.tenant)
        conv = await self._conv(who, d)
        if not await self.ctx.redis.sismember(keys.conv_barged(conv.id), who.user_id):
            raise ClientError("forbidden", "Join the conversation (barge) before you write to the customer.", 403)
        text = text_field(d, "text", max_chars=self.ctx.config.limits.message_chars)
        try:
            posted = await post_message(self.ctx.redis, keys, conv.id, author_kind="agent", author_name=who.name,
                                        author_id=who.user_id, text=text, client_id=client_id_field(d),
                                        extra={"supervisor": True})
        except ConversationMissing as err:
            raise _not_found() from err
        except ConversationClosed as err:
            raise ClientError("closed", "The conversation is closed.", 409) from err
        msg = posted.message
        if not msg.duplicate:
            self.ctx.metrics.messages.labels(who.tenant, "agent").inc()
            await fan_out(self.ctx, who.tenant, posted, sender_sid=sid)
            if not posted.visitor_id:  # a bridged channel: the reply leaves through its platform
                await reply_outbound(self.ctx, conv, msg)
        return {"id": msg.id, "conversation_id": conv.id, "seq": msg.seq, "ts": msg.ts}

