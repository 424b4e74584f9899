"""The /agent namespace: the agent console's live connection (offers, conversations, replies).

Protocol handling only: who the socket is, what the event asks, what the ack says. What a close,
a reply or an access check means lives in gateway/conversations/ and gateway/routing/.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import socketio

from acd.effects import Assigned, TaskRequeued
from acd.errors import InvalidState
from gateway.assist.confirm import transferred_by_agent
from gateway.assist.correct import correct
from gateway.audit import audit
from gateway.auth import Principal
from gateway.callbacks.messenger import offer_callback
from gateway.callbacks.records import get_callback
from gateway.callbacks.scheduler import callback_of_task
from gateway.conversations.access import agent_conversation
from gateway.conversations.closing import checked_wrapup_code, end_conversation
from gateway.conversations.delivery import fan_out
from gateway.conversations.labels import change_label
from gateway.conversations.notes import post_note
from gateway.conversations.outbound import reply_outbound, template_for
from gateway.conversations.transfer_request import leave_handover_note, transfer_target
from gateway.errors import ClientError
from gateway.escalation import parse_escalation, record_escalation
from gateway.keys import TenantKeys
from gateway.rooms import agent_room, session_room, visitor_room
from gateway.services import Services
from gateway.sockets.acked import acked
from gateway.sockets.authenticate import authenticate
from gateway.store.conversations import Conversation, get_conversation, update_conversation
from gateway.store.messages import (
    ConversationClosed,
    ConversationMissing,
    NotAssigned,
    WindowClosed,
    post_message,
    read_page,
)
from gateway.validation import client_id_field, conversation_id_field, int_field, require_dict, text_field

log = logging.getLogger(__name__)
_STATES = ("available", "away", "offline")
CALLBACK_OUTCOMES = ("reached", "no_answer", "busy", "wrong_number")


class AgentNamespace(socketio.AsyncNamespace):
    def __init__(self, ctx: Services):
        super().__init__("/agent")
        self.ctx = ctx

    async def on_connect(self, sid: str, environ: dict, auth: Any = None) -> None:
        who = await authenticate(self.ctx, auth, "agent")
        await self.save_session(sid, {"principal": who})
        await self.enter_room(sid, agent_room(who.tenant, who.user_id))
        await self.enter_room(sid, session_room(who.tenant, who.session_id))
        self.ctx.live.add(sid, "/agent", who)
        self.ctx.metrics.sockets.labels("/agent").inc()
        await self.ctx.router.agent_connected(who.tenant, who.user_id, sid)
        await self.emit("hello", await self._hello(who), to=sid)

    async def catch_up(self, sids: list[str]) -> int:
        """Consoles of this process that may have missed events (gateway/sockets/reannounce.py): a fresh
        ``hello``, as on connect. Returns how many were told."""
        told = 0
        for sid in sids:
            try:
                who = (await self.get_session(sid))["principal"]
            except KeyError:  # gone meanwhile, or not through on_connect yet (it says hello itself)
                continue
            await self.emit("hello", await self._hello(who), to=sid, ignore_queue=True)
            told += 1
        return told

    async def on_disconnect(self, sid: str, *args: Any) -> None:
        self.ctx.metrics.sockets.labels("/agent").dec()
        self.ctx.live.remove(sid)
        self.ctx.typing.forget(sid)
        session = await self.get_session(sid)
        who = session.get("principal")
        if who is not None:
            await self.ctx.router.agent_disconnected(who.tenant, who.user_id, sid)

    async def _who(self, sid: str) -> Principal:
        session = await self.get_session(sid)
        who = session.get("principal")
        if who is None:
            raise ClientError("unauthorized", "not logged in", 401)
        return who

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
            "callbacks": await self._callbacks(who),
            **self._workspace(who.tenant),
        }

    def _workspace(self, tenant_id: str) -> dict:
        """The tenant's labels and each queue's wrap-up codes, as the console shows them (names, not ids)."""
        tenant = self.ctx.config.tenants[tenant_id]
        return {
            "labels": [{"id": lid, "name": label.name or lid} for lid, label in tenant.labels.items()],
            "wrapup": {
                qid: {"required": q.wrapup_required,
                      "codes": [{"id": cid, "name": code.name or cid} for cid, code in q.wrapup_codes.items()]}
                for qid, q in tenant.queues.items()
            },
        }

    async def _callbacks(self, who: Principal) -> list[dict]:
        """The callback attempts this agent holds (accepted, being dialled), as the console shows them."""
        keys, out = TenantKeys(who.tenant), []
        for task_id in await self.ctx.router.engine(who.tenant).assigned_tasks(who.user_id):
            found = callback_of_task(task_id)
            cb = await get_callback(self.ctx.redis, keys, found[0]) if found else None
            if cb is not None and found is not None and cb.in_attempt and cb.task_id == task_id:
                out.append({"conversation_id": cb.conversation_id, "state": "dialling",
                            "callback": {"id": cb.id, "phone": cb.phone, "attempt": found[1]}})
        return out

    async def _mine(self, who: Principal, data: dict, *, offered_ok: bool = False) -> Conversation:
        """The conversation named in ``data`` if this agent may act on it."""
        return await agent_conversation(self.ctx, who, conversation_id_field(data), offered_ok=offered_ok)

    @acked
    async def on_state(self, sid: str, data: Any = None) -> dict:
        """``state {state, hand_back?}``: available | away | offline. Offline gives the open
        conversations back to the head of their queues; with ``hand_back: true`` (the console asked
        the agent first) the customers are told they are being transferred, not that the agent dropped out."""
        who, d = await self._who(sid), require_dict(data if data is not None else {})
        state = d.get("state")
        if state not in _STATES:
            raise ClientError("bad_request", f"'state' must be one of {', '.join(_STATES)}")
        hand_back = d.get("hand_back", False)
        if not isinstance(hand_back, bool) or (hand_back and state != "offline"):
            raise ClientError("bad_request", "'hand_back' is true or false, and true only with 'state': 'offline'")
        effects = await self.ctx.router.set_state(who.tenant, who.user_id, state,
                                                  "handed_back" if hand_back else "requested", calm=hand_back)
        handed = [e.task_id for e in effects if isinstance(e, TaskRequeued)]
        info = await self.ctx.router.engine(who.tenant).agent(who.user_id)
        await audit(self.ctx.redis, TenantKeys(who.tenant), who, "agent.state",
                    {"state": state, **({"handed_back": handed} if handed else {})})
        return {"state": info.get("state", state), "handed_back": handed}

    @staticmethod
    def _offer_id(d: dict) -> str:
        offer_id = d.get("offer_id")
        if not isinstance(offer_id, str) or len(offer_id) > 64:
            raise ClientError("bad_request", "'offer_id' is required")
        return offer_id

    @acked
    async def on_accept(self, sid: str, data: Any = None) -> dict:
        who, d = await self._who(sid), require_dict(data)
        effects = await self.ctx.router.accept(who.tenant, who.user_id, self._offer_id(d))
        assigned = next((e for e in effects if isinstance(e, Assigned)), None)
        if assigned is None:
            return {"ok": True}
        conv = await get_conversation(self.ctx.redis, TenantKeys(who.tenant), assigned.task_id)
        return {"ok": True, "conversation": await self.ctx.router.describe(who.tenant, conv) if conv else None}

    @acked
    async def on_decline(self, sid: str, data: Any = None) -> dict:
        who, d = await self._who(sid), require_dict(data)
        await self.ctx.router.decline(who.tenant, who.user_id, self._offer_id(d))
        return {"ok": True}

    @acked
    async def on_message(self, sid: str, data: Any = None) -> dict:
        who, d = await self._who(sid), require_dict(data)
        template = d.get("template") is True
        cid = conversation_id_field(d)
        keys = TenantKeys(who.tenant)
        if template:  # a messenger's pre-approved message, for when its reply window has closed
            chosen = template_for(self.ctx, await self._mine(who, d))
            text = f"Template: {chosen.name}"
        else:
            text = text_field(d, "text", max_chars=self.ctx.config.limits.message_chars)
        client_id = client_id_field(d)
        canned_id = self._canned_id(who.tenant, d)
        try:
            posted = await post_message(
                self.ctx.redis, keys, cid, author_kind="agent", author_name=who.name, author_id=who.user_id,
                text=text, client_id=client_id, require_agent=who.user_id, template=template,
                extra={"template": True} if template else None,
            )
        except ConversationMissing as err:
            raise ClientError("not_found", "There is no such conversation.", 404) from err
        except NotAssigned as err:
            raise ClientError("forbidden", "This conversation is not assigned to you.", 403) from err
        except ConversationClosed as err:
            raise ClientError("closed", "The conversation is closed.", 409) from err
        except WindowClosed as err:
            raise ClientError("window_closed", "The customer's reply window has closed: send a template "
                              "or continue by email.", 409) from err
        msg = posted.message
        if not msg.duplicate:
            self.ctx.metrics.messages.labels(who.tenant, "agent").inc()
            await fan_out(self.ctx, who.tenant, posted, sender_sid=sid)
            if not posted.visitor_id:  # a bridged channel: the reply leaves through its platform
                conv = await get_conversation(self.ctx.redis, keys, cid)
                if conv is not None:
                    await reply_outbound(self.ctx, conv, msg, template=template)
            if canned_id and self.ctx.answers is not None:  # what the suggestions learn from (gateway/assist)
                self.ctx.answers.learn_later(who.tenant, cid, canned_id, who.user_id, msg.seq)
        return {"id": msg.id, "conversation_id": cid, "seq": msg.seq, "ts": msg.ts}

    def _canned_id(self, tenant_id: str, d: dict) -> str | None:
        """The canned answer (or suggestion) the message was inserted from, if the console says so."""
        canned_id = d.get("canned_id")
        if canned_id is None or canned_id == "":
            return None
        if not isinstance(canned_id, str) or canned_id not in {c.id for c in self.ctx.config.tenants[tenant_id].canned}:
            raise ClientError("unknown_canned", "'canned_id' names no canned answer of this tenant.")
        return canned_id

    @acked
    async def on_assist_suggest(self, sid: str, data: Any = None) -> dict:
        """``assist_suggest {conversation_id}`` → the canned answers most likely to fit the customer's last message."""
        who, d = await self._who(sid), require_dict(data)
        conv = await self._mine(who, d, offered_ok=True)
        if self.ctx.answers is None:
            raise ClientError("unavailable", "Answer suggestions are not running.", 503)
        return await self.ctx.answers.for_conversation(who.tenant, conv.id)

    @acked
    async def on_assist_correct(self, sid: str, data: Any = None) -> dict:
        """``assist_correct {conversation_id, topic?, language?}``: the agent corrects the detected topic or
        language of a conversation it holds → ack ``{ok, transferred}`` (gateway/assist/correct.py)."""
        return await correct(self.ctx, await self._who(sid), data)

    @acked
    async def on_history(self, sid: str, data: Any = None) -> dict:
        who, d = await self._who(sid), require_dict(data if data is not None else {})
        conv = await self._mine(who, d, offered_ok=True)
        limits = self.ctx.config.limits
        page = await read_page(self.ctx.redis, TenantKeys(who.tenant), conv.id, int_field(d, "after_seq"),
                               max_messages=limits.history_page_messages, max_bytes=limits.history_page_bytes)
        return page.to_wire(conv.id)

    @acked
    async def on_typing(self, sid: str, data: Any = None) -> dict:
        who, d = await self._who(sid), require_dict(data)
        conv = await self._mine(who, d)
        on = bool(d.get("on"))
        if conv.visitor_id and self.ctx.typing.should_forward(sid, on):
            await self.ctx.sio.emit(
                "typing", {"conversation_id": conv.id, "on": on},
                room=visitor_room(who.tenant, conv.visitor_id), namespace="/visitor",
            )
        return {"ok": True}

    @acked
    async def on_close(self, sid: str, data: Any = None) -> dict:
        who, d = await self._who(sid), require_dict(data)
        conv = await self._mine(who, d)
        code = checked_wrapup_code(self.ctx.config.tenants[who.tenant], conv.queue, d.get("wrapup_code"))
        await end_conversation(self.ctx, who.tenant, conv, reason="agent", wrapup_code=code)
        await audit(self.ctx.redis, TenantKeys(who.tenant), who, "conversation.close", {"conversation_id": conv.id})
        return {"ok": True}

    @acked
    async def on_wrapup(self, sid: str, data: Any = None) -> dict:
        who, d = await self._who(sid), require_dict(data)
        cid, code = conversation_id_field(d), d.get("wrapup_code")
        if not isinstance(code, str) or not code or len(code) > 64:
            raise ClientError("bad_request", "'wrapup_code' must be a short text")
        conv = await get_conversation(self.ctx.redis, TenantKeys(who.tenant), cid)
        if conv is None:
            raise ClientError("not_found", "There is no such conversation.", 404)
        if conv.agent_id != who.user_id:  # the ACD answers "closed" to anyone: the code is the holder's to give
            raise ClientError("forbidden", "This conversation is not assigned to you.", 403)
        checked_wrapup_code(self.ctx.config.tenants[who.tenant], conv.queue, code)
        try:
            await self.ctx.router.wrapup_done(who.tenant, who.user_id, cid, code)
        except InvalidState as err:  # an open conversation ends through close (with the code), never here
            raise ClientError("still_open", "The conversation is still open; close it with the wrap-up code.") from err
        # kept with the conversation (and archived with it): search filters by it
        await update_conversation(self.ctx.redis, TenantKeys(who.tenant), cid, wrapup_code=code)
        return {"ok": True}

    @acked
    async def on_transfer(self, sid: str, data: Any = None) -> dict:
        who, d = await self._who(sid), require_dict(data)
        conv = await self._mine(who, d)
        queue, agent, note = transfer_target(self.ctx.config.tenants[who.tenant], self.ctx.config.limits.message_chars, d)
        if agent == who.user_id:
            raise ClientError("bad_request", "You cannot transfer a conversation to yourself.")
        keys = TenantKeys(who.tenant)
        await leave_handover_note(self.ctx, keys, conv, who, note)
        await self.ctx.router.transfer(who.tenant, conv.id, queue=queue, agent=agent)
        if queue is not None:  # a training signal for the topic classifier when one topic routes there
            await transferred_by_agent(self.ctx, who.tenant, conv, queue, who.user_id)
        await audit(self.ctx.redis, keys, who, "conversation.transfer",
                    {"conversation_id": conv.id, "queue": queue or "", "agent_id": agent or "",
                     **({"note": True} if note else {})})
        return {"ok": True}

    @acked
    async def on_note(self, sid: str, data: Any = None) -> dict:
        """An internal note (the contract's ``note``): stored with the conversation, never sent to the customer."""
        who, d = await self._who(sid), require_dict(data)
        conv = await self._mine(who, d)
        text = text_field(d, "text", max_chars=self.ctx.config.limits.message_chars)
        keys = TenantKeys(who.tenant)
        client_id = client_id_field(d)  # its own space: a note never matches a message's client id
        msg = await post_note(self.ctx, keys, conv, author_id=who.user_id, author_name=who.name, text=text,
                              client_id=f"note:{client_id}" if client_id else "")
        if not msg.duplicate:
            await audit(self.ctx.redis, keys, who, "conversation.note", {"conversation_id": conv.id, "seq": msg.seq})
        return {"id": msg.id, "conversation_id": conv.id, "seq": msg.seq, "ts": msg.ts}

    @acked
    async def on_label(self, sid: str, data: Any = None) -> dict:
        """``label {conversation_id, add?|remove?}``: put a configured label on the conversation or take it
        off (also in wrap-up, by the agent who held it) → ack ``{labels}``."""
        who, d = await self._who(sid), require_dict(data)
        cid = conversation_id_field(d)
        add, remove = d.get("add"), d.get("remove")
        if (add is None) == (remove is None) or not isinstance(add if add is not None else remove, str):
            raise ClientError("bad_request", "give either 'add' or 'remove' with a label id")
        label = str(add if add is not None else remove)
        keys = TenantKeys(who.tenant)
        conv = await get_conversation(self.ctx.redis, keys, cid)
        if conv is None:
            raise ClientError("not_found", "There is no such conversation.", 404)
        if conv.agent_id != who.user_id:  # (checked again atomically with the change)
            raise ClientError("forbidden", "This conversation is not assigned to you.", 403)
        labels = await change_label(self.ctx, keys, cid, label, add=add is not None, agent_id=who.user_id)
        await audit(self.ctx.redis, keys, who, "conversation.label",
                    {"conversation_id": cid, "added" if add is not None else "removed": label})
        return {"ok": True, "conversation_id": cid, "labels": labels}

    @acked
    async def on_escalate(self, sid: str, data: Any = None) -> dict:
        who, d = await self._who(sid), require_dict(data)
        conv = await self._mine(who, d)
        if d.get("to") == "callback_offer":  # a messenger customer confirms it themselves (gateway/callbacks/messenger.py)
            return {"ok": True, **await offer_callback(self.ctx, TenantKeys(who.tenant), conv, d.get("phone"))}
        request = parse_escalation(d)
        await record_escalation(self.ctx, TenantKeys(who.tenant), conv, request, by="agent")
        return {"ok": True, **request}

    @acked
    async def on_callback_outcome(self, sid: str, data: Any = None) -> dict:
        """The agent says how the callback went (the contract's ``callback_outcome``); the dialer's own
        report may have said it first: the first outcome of an attempt wins."""
        who, d = await self._who(sid), require_dict(data)
        cid, outcome = conversation_id_field(d), d.get("outcome")
        if outcome not in CALLBACK_OUTCOMES:
            raise ClientError("bad_request", f"'outcome' must be one of {', '.join(CALLBACK_OUTCOMES)}")
        if self.ctx.dialling is None:
            raise ClientError("not_found", "Callbacks are not set up here.", 404)
        keys = TenantKeys(who.tenant)
        for task_id in await self.ctx.router.engine(who.tenant).assigned_tasks(who.user_id):
            found = callback_of_task(task_id)
            cb = await get_callback(self.ctx.redis, keys, found[0]) if found else None
            if cb is not None and cb.conversation_id == cid:
                settled = await self.ctx.dialling.settle(who.tenant, task_id, outcome)
                return {"ok": True, "callback_id": cb.id, "settled": settled is not None}
        raise ClientError("not_found", "You hold no callback of this conversation.", 404)
