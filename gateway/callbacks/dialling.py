"""An accepted callback attempt is dialled (once), and its outcome decides what comes next:
reached ends it; no answer, busy or a failed call try again after ``retry_after_s`` up to
``max_attempts``; a wrong number or the last attempt ends it, with a line and (when the contact has
an address) a mail to the customer.

Two records make this safe with several processes and repeated reports: the attempt's ``dialled``
key is set before the one ``dial`` call, and its ``settled`` key lets only the first final outcome act.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import AsyncIterator

from aiohttp import ClientSession, web

from acd.effects import Assigned
from bridges.base import BridgeError
from bridges.dialer import FINAL_STATUSES, Dialer, DialOutcome, DialRequest, DialStatus, OnOutcome
from bridges.dialers import DIALERS
from gateway import appkeys as K
from gateway.alerts.sources import callback_ran_out
from gateway.callbacks.figures import tenant_zone
from gateway.callbacks.mail import mail_gave_up
from gateway.callbacks.records import Callback, end_callback, get_callback, mark_dialling
from gateway.callbacks.requests import timezone_of
from gateway.callbacks.scheduler import callback_of_task
from gateway.callbacks.texts import text, when_text
from gateway.conversations.delivery import fan_out
from gateway.conversations.to_messenger import send_to_messenger
from gateway.keys import TenantKeys
from gateway.rooms import agent_room
from gateway.services import Services
from gateway.store.contacts import get_contact
from gateway.store.conversations import get_conversation
from gateway.store.messages import Message, post_message

log = logging.getLogger(__name__)

RECORD_TTL_S = 7 * 24 * 3600
TOLD_ON_MESSENGER = ("retry", "gave_up", "wrong_number")
OUTCOMES = ("reached", "no_answer", "busy", "wrong_number", "failed")
_FROM_STATUS = {DialStatus.COMPLETED: "reached", DialStatus.BUSY: "busy", DialStatus.NO_ANSWER: "no_answer",
                DialStatus.FAILED: "failed"}


class Dialling:
    """The tenants' dialers of this process and what their outcomes do."""

    def __init__(self, ctx: Services, http: ClientSession) -> None:
        self.ctx = ctx
        self.dialers: dict[str, Dialer] = {}
        for tid, tenant in ctx.config.tenants.items():
            channel = tenant.channels.get(tenant.callbacks.dialer)
            spec = DIALERS.get(channel.type) if channel else None
            if channel is None or spec is None:
                continue
            if any(not getattr(channel, name, "") for name in spec.secrets):
                log.warning("dialer disabled: a required setting is missing", extra={"tenant": tid, "channel": channel.id})
                continue
            names = {f.name for f in dataclasses.fields(spec.config)}
            config = spec.config(**{n: getattr(channel, n) for n in names if hasattr(channel, n)})
            self.dialers[tid] = spec.factory(config, http, self._reporter(tid))

    def _reporter(self, tenant: str) -> OnOutcome:
        async def report(o: DialOutcome) -> None:
            await self.outcome(tenant, o)

        return report

    async def assigned(self, tenant: str, e: Assigned) -> None:
        """An agent accepted a callback attempt: ring the agent, then the customer (never twice)."""
        found = callback_of_task(e.task_id)
        keys = TenantKeys(tenant)
        cb = await get_callback(self.ctx.redis, keys, found[0]) if found else None
        if cb is None or cb.task_id != e.task_id or not cb.in_attempt:
            return
        zone = tenant_zone(self.ctx.config.tenants[tenant])
        if not await mark_dialling(self.ctx.redis, keys, cb, e.task_id, e.agent_id, zone=zone, ttl_s=RECORD_TTL_S):
            return  # dialled already (a repeated effect, another process), or cancelled meanwhile
        await self._tell_agent(tenant, e.agent_id, cb, "dialling")
        await self._line(keys, cb, "calling", n=str(cb.attempts))
        dialer = self.dialers.get(tenant)
        if dialer is None:
            await self.outcome(tenant, DialOutcome(e.task_id, DialStatus.FAILED, "no dialer configured"))
            return
        agent = self.ctx.config.tenants[tenant].agents.get(e.agent_id)
        public = self.ctx.config.server.public_url.rstrip("/")
        try:
            await dialer.dial(DialRequest(
                callback_id=cb.id, attempt_id=e.task_id, agent_endpoint=(agent.phone if agent else "") or f"sip:{e.agent_id}",
                customer_number=cb.phone, conversation_url=f"{public}/agent#conversation={cb.conversation_id}",
            ))
        except BridgeError as err:  # not placed: counts as a failed attempt (retried within max_attempts)
            log.warning("dialling failed", extra={"tenant": tenant, "attempt": e.task_id, "error": repr(err)})
            await self.outcome(tenant, DialOutcome(e.task_id, DialStatus.FAILED, str(err)[:200]))

    async def outcome(self, tenant: str, o: DialOutcome) -> None:
        """A report of the phone system; progress is kept, a final status settles the attempt."""
        found = callback_of_task(o.attempt_id)
        if found is None:
            return
        keys = TenantKeys(tenant)
        await self.ctx.redis.rpush(keys.callback_attempts(found[0]), json.dumps(
            {"n": found[1], "status": o.status.value, "reason": o.reason, "at": time.time()}))
        if o.status in FINAL_STATUSES:
            await self.settle(tenant, o.attempt_id, _FROM_STATUS[o.status])

    async def settle(self, tenant: str, attempt_id: str, outcome: str) -> Callback | None:
        """The attempt's final outcome (from the dialer or the agent); the first one wins."""
        keys = TenantKeys(tenant)
        found = callback_of_task(attempt_id)
        cb = await get_callback(self.ctx.redis, keys, found[0]) if found else None
        if cb is None or cb.task_id != attempt_id or not cb.in_attempt:
            return None
        if not await self.ctx.redis.set(keys.callback_settled(attempt_id), outcome, nx=True, ex=RECORD_TTL_S):
            return None
        await self.ctx.router.close(tenant, attempt_id, f"callback_{outcome}")  # frees the agent's voice slot
        agent_id = await self.ctx.redis.get(keys.callback_dialled(attempt_id))
        if agent_id:  # dialled by that agent's acceptance: their console closes the voice item
            await self._tell_agent(tenant, agent_id if isinstance(agent_id, str) else agent_id.decode(), cb, outcome)
        await self.ctx.redis.hset(keys.callback(cb.id), "in_attempt", "0")
        cfg = self.ctx.config.tenants[tenant].callbacks
        if outcome == "reached":
            await end_callback(self.ctx.redis, keys, cb, "reached", zone=tenant_zone(self.ctx.config.tenants[tenant]))
            await self._line(keys, cb, "reached")
        elif outcome != "wrong_number" and cb.attempts < cfg.max_attempts:
            due = time.time() + cfg.retry_after_s
            async with self.ctx.redis.pipeline(transaction=True) as pipe:
                pipe.hset(keys.callback(cb.id), mapping={"state": "scheduled", "due": str(due)})
                pipe.zadd(keys.callbacks_due(), {cb.id: due})
                await pipe.execute()
            await self._line(keys, cb, "retry", when=when_text(due, timezone_of(self.ctx, tenant, cb.queue)))
        else:
            await end_callback(self.ctx.redis, keys, cb, "failed", zone=tenant_zone(self.ctx.config.tenants[tenant]))
            line = await self._line(keys, cb, "wrong_number" if outcome == "wrong_number" else "gave_up")
            await self._mail(keys, cb, line)
            if outcome != "wrong_number":  # its attempts ran out: the supervisors' alert (gateway/alerts)
                await callback_ran_out(self.ctx.redis, keys, cb.id)
        return cb

    async def _tell_agent(self, tenant: str, agent_id: str, cb: Callback, state: str) -> None:
        """The agent's console shows the callback as a voice item: ``dialling`` opens it, an outcome closes it."""
        event = {"conversation_id": cb.conversation_id, "state": state,
                 "callback": {"id": cb.id, "phone": cb.phone, "attempt": cb.attempts}}
        try:
            await self.ctx.sio.emit("callback", event, room=agent_room(tenant, agent_id), namespace="/agent")
        except Exception:  # the console learns it on the next hello at worst; the callback goes on
            log.warning("callback event not emitted", extra={"tenant": tenant, "callback": cb.id}, exc_info=True)

    async def _line(self, keys: TenantKeys, cb: Callback, kind: str, **values: str) -> Message:
        """One step of the callback in the conversation's timeline, in its language."""
        posted = await post_message(
            self.ctx.redis, keys, cb.conversation_id, author_kind="system", author_name="omnirelay",
            text=text(cb.language, kind, phone=cb.phone, **values), allow_closed=True,
            extra={"callback": {"id": cb.id, "event": kind, "attempt": cb.attempts}},
        )
        await fan_out(self.ctx, keys.tenant, posted)
        if kind in TOLD_ON_MESSENGER:  # the ringing phone says "calling"; the rest a messenger customer reads
            conv = await get_conversation(self.ctx.redis, keys, cb.conversation_id)
            if conv is not None:
                await send_to_messenger(self.ctx, conv, posted.message)
        return posted.message

    async def _mail(self, keys: TenantKeys, cb: Callback, line: Message) -> None:
        """The customer hears by mail that we gave up (the conversation so far, in their language)."""
        contact = await get_contact(self.ctx.redis, keys, cb.contact_id)
        conv = await get_conversation(self.ctx.redis, keys, cb.conversation_id)
        if contact and contact.email and conv:
            await mail_gave_up(self.ctx, keys, conv, contact.email, line)


DIALLING = web.AppKey("callback_dialling", Dialling)


async def dialling_ctx(app: web.Application) -> AsyncIterator[None]:
    """The dialers (one HTTP client for them all) and the hook that dials accepted attempts."""
    async with ClientSession() as http:
        dialling = Dialling(app[K.SERVICES], http)
        app[DIALLING] = dialling
        app[K.SERVICES].dialling = dialling  # the agent's callback_outcome reaches it
        app[K.ROUTER].effects.on_other_assigned = dialling.assigned
        for dialer in dialling.dialers.values():  # a dialer that holds a connection (ARI's events) opens it
            start = getattr(dialer, "start", None)
            if start is not None:
                await start()
        yield
        app[K.ROUTER].effects.on_other_assigned = None
        for dialer in dialling.dialers.values():
            close = getattr(dialer, "close", None)
            if close is not None:
                await close()
