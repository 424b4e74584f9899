"""CRM lookups of one gateway process: cached per contact in Redis, one request per contact at a time,
waited for at most ``crm.timeout_s`` by routing; an answer that comes later is cached all the same and
pushed to the console of whoever holds the conversation (``crm`` on /agent).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import ClientSession

from gateway.background import Background
from gateway.config.schema import CrmConfig
from gateway.crm import health
from gateway.crm.answer import UNAVAILABLE, Answer, card, priority
from gateway.crm.client import ask
from gateway.keys import TenantKeys
from gateway.rooms import agent_room
from gateway.services import Services
from gateway.store.contacts import get_contact, live_contact_id
from gateway.store.conversations import Conversation, get_conversation

log = logging.getLogger(__name__)


@dataclass
class _Flight:
    """A lookup under way, and the conversations that want its answer."""

    task: asyncio.Task
    conversations: set[str] = field(default_factory=set)


class CrmLookups:
    """Every tenant's CRM lookups in this process."""

    def __init__(self, svc: Services, http: ClientSession, background: Background) -> None:
        self.svc = svc
        self.http = http
        self.background = background
        self._flights: dict[tuple[str, str], _Flight] = {}

    def settings(self, tenant: str) -> CrmConfig | None:
        """The tenant's CRM settings, None when it looks nothing up (read each time: admin changes apply)."""
        t = self.svc.config.tenants.get(tenant)
        return t.crm if t is not None and t.crm.url else None

    async def priority_for(self, conv: Conversation) -> int:
        """The priority the contact's CRM answer earns, waiting at most ``timeout_s`` for it (the
        routing hook: never raises; 0 without an answer in time)."""
        crm = self.settings(conv.tenant)
        if crm is None:
            return 0
        try:
            return priority(crm, await self.answer(conv, wait_s=crm.timeout_s))
        except Exception:  # the customer is routed whatever happens here
            log.exception("CRM lookup failed inside the gateway; routed without it", extra={"conversation": conv.id})
            return 0

    async def card_for(self, conv: Conversation) -> dict[str, Any]:
        """The panel's view of the conversation's contact in the CRM (``status`` off without a CRM)."""
        crm = self.settings(conv.tenant)
        if crm is None:
            return {"status": "off", "fields": []}
        return card(crm, await self.answer(conv, wait_s=crm.timeout_s))

    async def answer(self, conv: Conversation, *, wait_s: float) -> Answer | None:
        """The contact's answer from the cache, else from a lookup (started, or joined when one is
        under way) within ``wait_s``; None when it takes longer (it still lands in the cache)."""
        keys = TenantKeys(conv.tenant)
        contact_id = await live_contact_id(self.svc.redis, keys, conv.contact_id)
        cached = await self.svc.redis.get(keys.crm_answer(contact_id))
        if cached:
            return Answer.from_cache(orjson.loads(cached))
        flight = self._flights.get((conv.tenant, contact_id))
        if flight is None:
            task = self.background.start(f"crm-lookup:{conv.tenant}", self._lookup(conv, contact_id))
            flight = self._flights[(conv.tenant, contact_id)] = _Flight(task)
        flight.conversations.add(conv.id)
        try:
            return await asyncio.wait_for(asyncio.shield(flight.task), wait_s)
        except TimeoutError:
            return None

    async def _lookup(self, conv: Conversation, contact_id: str) -> Answer:
        answer: Answer | None = None
        try:
            crm = self.settings(conv.tenant)
            if crm is None:
                return Answer(UNAVAILABLE, reason="no_secret")
            started = time.perf_counter()
            answer = await ask(self.http, crm, await self._request(conv, contact_id))
            self.svc.metrics.crm_seconds.labels(conv.tenant).observe(time.perf_counter() - started)
            await self._settle(conv.tenant, crm, contact_id, answer)
            return answer
        finally:
            flight = self._flights.pop((conv.tenant, contact_id), None)
            if flight is not None and answer is not None:
                self.background.start(f"crm-push:{conv.tenant}", self._push(conv.tenant, flight.conversations, answer))

    async def _request(self, conv: Conversation, contact_id: str) -> dict[str, Any]:
        """What the CRM is told: the contact's verified identities and where the customer wrote (no
        typed claims: anyone can type anyone's address)."""
        contact = await get_contact(self.svc.redis, TenantKeys(conv.tenant), contact_id)
        identities = sorted(contact.identities) if contact is not None else []
        return {
            "tenant": conv.tenant,
            "contact": {"id": contact_id},
            "identities": [{"kind": kind, "value": value} for kind, _, value in (i.partition(":") for i in identities)],
            "conversation": {"id": conv.id, "channel": conv.channel, "channel_type": conv.channel_type,
                             "topic": conv.topic, "language": conv.language},
        }

    async def _settle(self, tenant: str, crm: CrmConfig, contact_id: str, answer: Answer) -> None:
        """Cache the answer (a failure for ``retry_after_s``), count it, and record the CRM's health."""
        failed = answer.status == UNAVAILABLE
        outcome = answer.reason if failed else answer.status
        self.svc.metrics.crm_lookups.labels(tenant, outcome).inc()
        if failed:
            log.warning("CRM unavailable", extra={"tenant": tenant, "reason": answer.reason, "detail": answer.detail})
        ttl = crm.retry_after_s if failed else crm.cache_ttl_s
        if ttl > 0:
            await self.svc.redis.set(TenantKeys(tenant).crm_answer(contact_id), orjson.dumps(answer.to_cache()),
                                     px=max(1, int(ttl * 1000)))
        await health.record(self.svc.redis, tenant, answer)

    async def _push(self, tenant: str, conversations: set[str], answer: Answer) -> None:
        """Send the answer to the console of whoever holds (or is offered) each waiting conversation."""
        crm = self.settings(tenant)
        if crm is None:
            return
        keys = TenantKeys(tenant)
        for cid in conversations:
            conv = await get_conversation(self.svc.redis, keys, cid)
            if conv is None or conv.state == "closed":
                continue
            agent = conv.agent_id if conv.state == "assigned" else ""
            if not agent:
                task = await self.svc.router.engine(tenant).task(cid)
                agent = str(task.get("agent") or "") if task and task.get("state") == "offered" else ""
            if agent:
                await self.svc.sio.emit("crm", {"conversation_id": cid, "crm": card(crm, answer)},
                                        room=agent_room(tenant, agent), namespace="/agent")
