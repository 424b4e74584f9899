"""The /visitor namespace: website visitors chatting through the widget."""

from __future__ import annotations

import logging
import time
from typing import Any

import socketio

from acd import replies
from acd.lua_runner import runner
from gateway.abandonment import TABS_TTL_S
from gateway.api.client_address import address_subject, client_address
from gateway.assist.auto_answer import to_person
from gateway.callbacks.numbers import normalise
from gateway.conversations.closing import end_conversation
from gateway.conversations.inbound import Customer, customer_wrote, open_conversation
from gateway.conversations.notes import customer_visible
from gateway.conversations.rating import parse_rating, rate_conversation, send_transcript
from gateway.customer_presence import tell_presence
from gateway.errors import ClientError
from gateway.escalation import parse_escalation, record_escalation
from gateway.identity import IdentityError, verify_user
from gateway.keys import TenantKeys
from gateway.ratelimit import allow
from gateway.rooms import agent_room, visitor_room
from gateway.services import Services
from gateway.sockets.acked import acked, refuse
from gateway.sockets.dead_node_tabs import NodeTabs
from gateway.sockets.departures import Departure, Departures, depart_all, visitors_left
from gateway.sockets.origin import check_visitor_origin
from gateway.sockets.protocol import GatewayServer
from gateway.store.contacts import valid_email
from gateway.store.conversations import Conversation, get_conversation
from gateway.store.messages import Page, read_page
from gateway.store.scripts import store_script
from gateway.validation import client_id_field, conversation_id_field, int_field, require_dict, text_field
from gateway.visitor_token import issue_visitor_token, read_visitor_token

log = logging.getLogger(__name__)
VISITOR_CONNECT = store_script("visitor_connect")
NAME_MAX = 100
TRANSCRIPTS_PER_CONVERSATION = 3  # per day
CLOSE_BOUND_S = 1.0


class VisitorNamespace(socketio.AsyncNamespace):
    def __init__(self, ctx: Services):
        super().__init__("/visitor")
        self.ctx = ctx
        self.leaving = False  # the process is stopping: depart_all recorded (or records) every socket's leaving
        self.departures = Departures(ctx)
        self.tabs = NodeTabs(ctx, self)  # this node's open tabs; a dead node's are swept (dead_node_tabs.py)

    async def on_connect(self, sid: str, environ: dict, auth: Any = None) -> None:
        try:
            await self._connect(sid, environ, auth)
        except socketio.exceptions.ConnectionRefusedError:
            raise
        except Exception as err:
            # python-socketio answers nothing to a connect handler that raises, and the page would wait
            # for ever; refused, it would start over as a new visitor. Closed, it comes back after its
            # back-off with its token (Redis out of reach, its pool busy for POOL_WAIT_S under a storm).
            log.warning("visitor connect failed; closing the connection", extra={"error": repr(err)})
            eio_sid = self.server.manager.eio_sid_from_sid(sid, self.namespace)
            if isinstance(self.server, GatewayServer):
                await self.server.close_engine(eio_sid, CLOSE_BOUND_S)
            raise refuse("unavailable", "the gateway cannot take this connection now") from err

    async def _connect(self, sid: str, environ: dict, auth: Any) -> None:
        auth = auth if isinstance(auth, dict) else {}
        tenant_id = auth.get("tenant")
        tenant = self.ctx.config.tenants.get(tenant_id) if isinstance(tenant_id, str) else None
        if tenant is None:
            self.ctx.metrics.rejected.labels("unknown_tenant").inc()
            raise refuse("unknown_tenant", "unknown tenant")
        check_visitor_origin(self.ctx, tenant, environ)  # the tenant's widget allowed_origins
        try:
            user = verify_user(tenant.widget.identity_secret, auth)
        except IdentityError as err:
            self.ctx.metrics.rejected.labels("bad_identity").inc()
            raise refuse("bad_identity", str(err)) from err
        keys = TenantKeys(tenant.id)
        secret = self.ctx.config.server.secret_key
        token = auth.get("visitor_token")
        claimed = read_visitor_token(secret, tenant.id, token) or ""
        fresh_token, fresh_id = issue_visitor_token(secret, tenant.id)  # taken when the token's visitor is not
        profile = self._profile(tenant, auth)
        if user is not None:
            profile.update(user_id=user.user_id, user_email=user.email)
        # a visitor who never wrote is kept only briefly (one address may open many such sessions)
        lifetime = self.ctx.config.server.visitor_token_ttl_s, tenant.widget.idle_visitor_ttl_s
        node = self.ctx.node_id
        fresh, visitor_id, conversation_id, name, tabs, state, agent_id, close_reason = await runner(
            self.ctx.redis).call(VISITOR_CONNECT, keys=[
                keys.visitor(claimed or fresh_id), keys.visitor(fresh_id), keys.visitor_sockets(claimed or fresh_id),
                keys.visitor_sockets(fresh_id), keys.node_tabs(node), keys.tab_nodes(), keys.abandon_due(), keys.prefix,
            ], args=[
                claimed, fresh_id, user.user_id if user is not None else "", repr(time.time()), lifetime[0], lifetime[1],
                TABS_TTL_S, node, sid, *(x for field_value in profile.items() for x in field_value),
            ])
        if fresh:
            token = fresh_token
        if conversation_id and not state:  # closed and evicted from Redis: the history database has it
            evicted = await get_conversation(self.ctx.redis, keys, conversation_id)
            if evicted is not None:
                state, agent_id, close_reason = evicted.state, evicted.agent_id, evicted.close_reason
        request = environ.get("aiohttp.request")
        await self.save_session(sid, {
            "tenant": tenant.id, "visitor_id": visitor_id, "name": name or "Visitor",
            "conversation_id": conversation_id or None,
            "address": address_subject(client_address(request)) if request is not None else "?",
        })
        await self.enter_room(sid, visitor_room(tenant.id, visitor_id))
        if self.leaving:  # depart_all may have looked before this tab was recorded: it leaves by itself
            await visitors_left(self.ctx, [Departure(tenant.id, visitor_id, sid)], node)
            return
        self.tabs.open[tenant.id] += 1
        if conversation_id and tabs == 1:  # the first tab again: the agent sees the customer is back
            await tell_presence(self.ctx, keys, conversation_id, "back", holder=(agent_id, state))
        self.ctx.metrics.sockets.labels("/visitor").inc()
        # this socket is here: straight to it, not through the fan-out (which publishes whenever its view of
        # the other processes is stale, as under a reconnect storm)
        await self.emit("session", {"visitor_token": token, "conversation_id": conversation_id or None}, to=sid,
                        ignore_queue=True)
        await self._tell_state(sid, keys.tenant, conversation_id, state, agent_id, close_reason)

    async def _tell_state(self, sid: str, tenant: str, conversation_id: str, state: str, agent_id: str,
                          close_reason: str) -> None:
        """A tab that connects (or catches up) hears whether its conversation is with an agent or closed."""
        if state == "assigned" and agent_id:
            agent = self.ctx.config.tenants[tenant].agents.get(agent_id)
            await self.emit("assigned", {"conversation_id": conversation_id, "agent": {"name": agent.name if agent else ""}},
                            to=sid, ignore_queue=True)
        elif state == "closed":
            await self.emit("closed", {"conversation_id": conversation_id, "reason": close_reason}, to=sid,
                            ignore_queue=True)

    async def catch_up(self, sids: list[str]) -> int:
        """Tabs of this process that may have missed events (gateway/sockets/reannounce.py): ``resync``, and
        their conversation's state as on connect. Returns how many were told."""
        visitors: list[tuple[str, str, str]] = []
        for sid in sids:
            try:
                session = await self.get_session(sid)
            except KeyError:  # gone meanwhile
                continue
            if session.get("visitor_id"):
                visitors.append((sid, session["tenant"], session["visitor_id"]))
        if not visitors:
            return 0
        # the visitor's conversation now (another tab may have started one meanwhile), then its state
        async with self.ctx.redis.pipeline(transaction=False) as pipe:
            for _, tenant, vid in visitors:
                pipe.hget(TenantKeys(tenant).visitor(vid), "conversation_id")
            current = [replies.maybe_text(cid) or "" for cid in await pipe.execute()]
        tabs = [(sid, tenant, cid) for (sid, tenant, _), cid in zip(visitors, current, strict=True) if cid]
        async with self.ctx.redis.pipeline(transaction=False) as pipe:
            for _, tenant, cid in tabs:
                pipe.hmget(TenantKeys(tenant).conv(cid), "state", "agent_id", "close_reason")
            states = await pipe.execute() if tabs else []
        for (sid, tenant, cid), fields in zip(tabs, states, strict=True):
            await self.emit("resync", {"conversation_id": cid}, to=sid, ignore_queue=True)
            await self._tell_state(sid, tenant, cid, *(replies.maybe_text(f) or "" for f in fields))
        return len(tabs)

    async def on_disconnect(self, sid: str, *args: Any) -> None:
        self.ctx.metrics.sockets.labels("/visitor").dec()
        self.ctx.typing.forget(sid)
        session = await self.get_session(sid)
        if session:  # recorded with every other socket closing about now (gateway/sockets/departures.py)
            self.departures.add(Departure(session["tenant"], session["visitor_id"], sid))
            self.tabs.closed(session["tenant"])

    async def depart_all(self, bound_s: float) -> int:
        """The process is stopping: every visitor socket leaves at once (gateway/sockets/departures.py)."""
        self.leaving = True
        self.tabs.open.clear()
        return await depart_all(self, self.departures, bound_s)

    def _profile(self, tenant: Any, auth: dict) -> dict[str, str]:
        """What the visitor typed in the pre-chat form, bounded; the email is only a claim."""
        out: dict[str, str] = {}
        name = auth.get("name")
        if isinstance(name, str) and name.strip():
            out["name"] = name.strip()[:NAME_MAX]
        email = auth.get("email")
        if isinstance(email, str) and valid_email(email.strip()):
            out["email"] = email.strip()
        language = auth.get("language")
        if isinstance(language, str) and language in tenant.languages:
            out["language"] = language
        topic = auth.get("topic")
        if isinstance(topic, str) and topic in tenant.topics:
            out["topic"] = topic
        return out

    async def _whoami(self, sid: str) -> tuple[TenantKeys, str, dict]:
        session = await self.get_session(sid)
        keys = TenantKeys(session["tenant"])
        visitor = await self.ctx.redis.hgetall(keys.visitor(session["visitor_id"]))
        return keys, session["visitor_id"], visitor

    async def _customer(self, keys: TenantKeys, session: dict) -> Customer:
        """The widget visitor as a customer: what their pre-chat form and a signed identity say."""
        visitor_id = session["visitor_id"]
        visitor = replies.fields(await self.ctx.redis.hgetall(keys.visitor(visitor_id)))
        tenant = self.ctx.config.tenants[keys.tenant]
        identities = [("visitor", visitor_id)]
        if visitor.get("user_id"):  # signed by the customer's website: verified
            identities.append(("user", visitor["user_id"]))
            if visitor.get("user_email"):
                identities.append(("email", visitor["user_email"]))
        channel = next((c for c in tenant.channels.values() if c.type == "widget"), None)
        return Customer(
            pointer=keys.visitor(visitor_id), name=visitor.get("name", ""),
            channel=channel.id if channel else "web", channel_type="widget", work_channel="chat",
            topic=visitor.get("topic") or next(iter(tenant.topics), ""),
            language=visitor.get("language") or tenant.languages[0],
            identities=identities, email=visitor.get("email", ""), visitor_id=visitor_id,
            address=session.get("address", "?"),
        )

    @acked
    async def on_message(self, sid: str, data: Any = None) -> dict:
        data = require_dict(data)
        text = text_field(data, "text", max_chars=self.ctx.config.limits.message_chars)
        client_id = client_id_field(data)
        session = await self.get_session(sid)
        keys, visitor_id = TenantKeys(session["tenant"]), session["visitor_id"]

        async def opened(conv: Conversation) -> None:
            await self.emit("session", {"conversation_id": conv.id}, room=visitor_room(keys.tenant, visitor_id))

        wrote = await customer_wrote(
            self.ctx, keys, text, author=(session["name"], visitor_id), client_id=client_id,
            customer=lambda: self._customer(keys, session), current=session.get("conversation_id"),
            rate=(f"v:{visitor_id}", self.ctx.config.limits.visitor_messages_per_10s, 10),
            sender_sid=sid, on_open=opened,
        )
        msg = wrote.posted.message
        session["conversation_id"] = msg.conversation_id
        return {"id": msg.id, "conversation_id": msg.conversation_id, "seq": msg.seq, "ts": msg.ts}

    @acked
    async def on_history(self, sid: str, data: Any = None) -> dict:
        data = require_dict(data if data is not None else {})
        after = int_field(data, "after_seq", 0)
        keys, _, visitor = await self._whoami(sid)
        cid = visitor.get("conversation_id")
        if not cid:
            return {"conversation_id": None, "messages": [], "next_after_seq": None}
        limits = self.ctx.config.limits
        page = await read_page(self.ctx.redis, keys, cid, after, max_messages=limits.history_page_messages,
                               max_bytes=limits.history_page_bytes)
        # internal notes are the staff's; the paging point stays where the unfiltered page ended
        return Page(customer_visible(page.messages), page.next_after_seq).to_wire(cid)

    @acked
    async def on_typing(self, sid: str, data: Any = None) -> None:
        on = bool(data.get("on")) if isinstance(data, dict) else False
        if not self.ctx.typing.should_forward(sid, on):
            return
        keys, _, visitor = await self._whoami(sid)
        cid = visitor.get("conversation_id")
        if not cid:
            return
        agent_id = replies.maybe_text(await self.ctx.redis.hget(keys.conv(cid), "agent_id"))
        if agent_id:
            await self.ctx.sio.emit(
                "typing", {"conversation_id": cid, "on": on}, room=agent_room(keys.tenant, agent_id), namespace="/agent"
            )

    @acked
    async def on_escalate(self, sid: str, data: Any = None) -> dict:
        request = parse_escalation(require_dict(data))
        session = await self.get_session(sid)
        keys, visitor_id, visitor = await self._whoami(sid)
        # an escalation is stored and forwarded: it counts against the visitor's message budget
        if not await allow(self.ctx.redis, keys, f"v:{visitor_id}", self.ctx.config.limits.visitor_messages_per_10s, 10):
            self.ctx.metrics.rejected.labels("rate_limited").inc()
            raise ClientError("rate_limited", "too many requests; wait a few seconds", 429)
        if request["to"] == "callback":  # a number we could never call opens nothing
            normalise(request["phone"], self.ctx.config.tenants[keys.tenant].callbacks)
        cid = visitor.get("conversation_id")
        conv = await get_conversation(self.ctx.redis, keys, cid) if cid else None
        new = False
        if conv is None or conv.state == "closed":
            conv, new = await open_conversation(self.ctx, keys, await self._customer(keys, session))
            session["conversation_id"] = conv.id
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

    @acked
    async def on_end_chat(self, sid: str, data: Any = None) -> dict:
        """The visitor pressed "End chat": the conversation closes with reason ``visitor_ended``
        (the agent is told like any close); the widget then offers the rating and the transcript."""
        keys, _, visitor = await self._whoami(sid)
        cid = visitor.get("conversation_id")
        conv = await get_conversation(self.ctx.redis, keys, cid) if cid else None
        if conv is None:
            raise ClientError("no_conversation", "There is no conversation to end.", 404)
        if conv.state != "closed":
            await end_conversation(self.ctx, keys.tenant, conv, reason="visitor_ended")
        return {"ok": True, "conversation_id": conv.id}

    async def _own_conversation(self, sid: str, data: dict) -> tuple[TenantKeys, Conversation]:
        """The conversation a request names, when it is this visitor's own (else not_found)."""
        keys, visitor_id, visitor = await self._whoami(sid)
        cid = data.get("conversation_id") or visitor.get("conversation_id")
        if not isinstance(cid, str) or not cid:
            raise ClientError("not_found", "There is no such conversation.", 404)
        cid = conversation_id_field({"conversation_id": cid})
        conv = await get_conversation(self.ctx.redis, keys, cid)
        if conv is None or conv.visitor_id != visitor_id:  # another visitor's conversation: never say it exists
            raise ClientError("not_found", "There is no such conversation.", 404)
        return keys, conv

    @acked
    async def on_talk_to_person(self, sid: str, data: Any = None) -> dict:
        """``talk_to_person {conversation_id?}`` after an automatic answer: queued for a person, priority kept."""
        keys, conv = await self._own_conversation(sid, require_dict(data if data is not None else {}))
        if conv.state == "closed":
            raise ClientError("closed", "This conversation has ended. Write a new message to start another.", 409)
        await to_person(self.ctx, keys, conv.id, "asked")  # (already with a person or in line: nothing to do)
        return {"ok": True, "queued": True, "conversation_id": conv.id}

    @acked
    async def on_rate(self, sid: str, data: Any = None) -> dict:
        """``rate {conversation_id, score: 1..5, comment?}``: once, after the close (gateway/conversations/rating.py)."""
        data = require_dict(data)
        score, comment = parse_rating(data)
        keys, conv = await self._own_conversation(sid, data)
        rating = await rate_conversation(self.ctx, keys, conv, score=score, comment=comment, via="widget")
        return {"ok": True, "conversation_id": conv.id, "rating": rating}

    @acked
    async def on_transcript(self, sid: str, data: Any = None) -> dict:
        """``transcript {email, conversation_id?}``: the conversation by email (no internal notes)."""
        data = require_dict(data)
        email = data.get("email")
        if not isinstance(email, str) or not valid_email(email.strip()):
            raise ClientError("bad_email", "Please enter a valid email address.")
        keys, conv = await self._own_conversation(sid, data)
        session = await self.get_session(sid)
        if not await allow(self.ctx.redis, keys, f"v:{session['visitor_id']}", self.ctx.config.limits.visitor_messages_per_10s, 10):
            raise ClientError("rate_limited", "too many requests; wait a few seconds", 429)
        # each request mails an address nobody verified: a few per conversation, not a mail cannon
        if not await allow(self.ctx.redis, keys, f"transcript:{conv.id}", TRANSCRIPTS_PER_CONVERSATION, 86400):
            raise ClientError("too_many_transcripts", f"The transcript of this conversation was sent "
                              f"{TRANSCRIPTS_PER_CONVERSATION} times already.", 429)
        await send_transcript(self.ctx, keys, conv, email.strip())
        return {"ok": True, "conversation_id": conv.id}
