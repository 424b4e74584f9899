"""The Asterisk ARI dialer: agent leg first, the customer's when the agent answers, one mixing bridge.

Everything a later step needs travels with the call itself: the channel ids name the attempt, the
agent leg's appArgs carry the customer's number and the bridge's id is the attempt's. So whichever
gateway process holds the events websocket can carry on a call another process originated, and a
retried step meets Asterisk's 409 instead of ringing anybody twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientSession

from bridges.ari.client import AriClient
from bridges.ari.config import AriConfig
from bridges.ari.events import DIALSTATUS, Kind, Leg, Role, Step, status_of_cause, step_of
from bridges.ari.listener import EventListener
from bridges.base import BridgeError, Health, NotReady
from bridges.dialer import DialOutcome, DialRequest, DialStatus, OnOutcome

log = logging.getLogger(__name__)

REMEMBERED_CALLS = 10_000  # what this process saw of recent attempts; the oldest are forgotten


@dataclass(slots=True)
class _Call:
    """What this process has seen of one attempt (mutable: events arrive one by one)."""

    agent_up: bool = False
    customer_up: bool = False
    rang: bool = False
    final: bool = False
    customer_number: str = ""  # known when this process dialled; else the agent leg's appArgs carry it


class AriDialer:
    """One ARI dialer channel. ``start`` opens the events websocket; ``close`` ends it."""

    def __init__(self, config: AriConfig, http: ClientSession, on_outcome: OnOutcome,
                 first_backoff_s: float = 0.5) -> None:
        self.config = config
        self.client = AriClient(config, http)
        self.listener = EventListener(config, http, self.handle, first_backoff_s=first_backoff_s)
        self.on_outcome = on_outcome
        self._calls: OrderedDict[str, _Call] = OrderedDict()
        self._task: asyncio.Task[None] | None = None

    @property
    def health(self) -> Health:
        return self.listener.health

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self.listener.run(), name=f"ari-events:{self.config.app}")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def dial(self, request: DialRequest) -> None:
        """Originate the agent's leg; the rest follows from the events. A repeated attempt id is
        answered 409 by Asterisk and dials nobody. NotReady while the events websocket is down."""
        if not self.listener.connected.is_set():
            raise NotReady("the ARI events websocket is not connected: the call could not be followed")
        leg = Leg(request.attempt_id, Role.AGENT)
        created = await self.client.originate(
            leg.channel_id, self.config.agent_address(request.agent_endpoint),
            app_args=f"{Role.AGENT},{request.customer_number}", timeout_s=self.config.agent_ring_s,
            caller_id=f'"Callback" <{request.customer_number}>')  # the agent sees whom they will talk to
        if created:
            self._call(request.attempt_id).customer_number = request.customer_number
        else:
            log.info("callback attempt %s was dialled before: not dialling again", request.attempt_id)

    async def handle(self, event: Mapping[str, Any]) -> None:
        """Advance the call one ARI event concerns (events of other channels are ignored)."""
        step = step_of(event)
        if step is None:
            return
        call = self._call(step.leg.attempt_id)
        if step.leg.role is Role.AGENT:
            await self._agent_step(step, call)
        else:
            await self._customer_step(step, call)

    async def _agent_step(self, step: Step, call: _Call) -> None:
        attempt = step.leg.attempt_id
        if step.kind in (Kind.ENTERED, Kind.UP) and not call.agent_up and not call.final:
            number = step.args[1] if len(step.args) > 1 else call.customer_number
            if not number and step.kind is Kind.UP:
                return  # StasisStart follows with the number in its args; originate from there
            call.agent_up = True
            await self._originate_customer(attempt, number, call)
        elif step.kind is Kind.DIAL and step.dialstatus in DIALSTATUS and step.dialstatus not in ("ANSWER", "RINGING"):
            await self._finish(attempt, call, DialStatus.FAILED, f"agent: {step.dialstatus}")
        elif step.kind is Kind.DESTROYED:
            if call.customer_up:
                await self._finish(attempt, call, DialStatus.COMPLETED, f"agent hung up: {step.cause_txt}")
            elif call.agent_up:
                await self._finish(attempt, call, DialStatus.FAILED, "agent hung up before the customer answered")
            else:
                await self._finish(attempt, call, DialStatus.FAILED, f"agent: {step.cause_txt or 'not reached'}")
            await self._quietly(self.client.hangup(Leg(attempt, Role.CUSTOMER).channel_id))
            await self._quietly(self.client.destroy_bridge(attempt))

    async def _customer_step(self, step: Step, call: _Call) -> None:
        attempt = step.leg.attempt_id
        agent = Leg(attempt, Role.AGENT).channel_id
        if step.kind in (Kind.ENTERED, Kind.UP) and not call.customer_up and not call.final:
            if step.kind is Kind.UP:
                return  # only a leg inside our app can be bridged: wait for its StasisStart
            call.customer_up = True
            try:
                await self.client.bridge(attempt)
                await self.client.add_channels(attempt, [agent, step.leg.channel_id])
            except BridgeError as err:
                await self._finish(attempt, call, DialStatus.FAILED, f"could not bridge the call: {err}")
                await self._hang_up_both(attempt)
                return
            await self._report(attempt, DialStatus.ANSWERED, "ANSWER")
        elif step.kind is Kind.DIAL and step.dialstatus == "RINGING" and not call.rang:
            call.rang = True
            await self._report(attempt, DialStatus.RINGING, "RINGING")
        elif step.kind is Kind.DIAL and step.dialstatus in DIALSTATUS and step.dialstatus != "ANSWER":
            await self._finish(attempt, call, DIALSTATUS[step.dialstatus], step.dialstatus)
            await self._quietly(self.client.hangup(agent))
        elif step.kind is Kind.DESTROYED:
            if call.customer_up:
                await self._finish(attempt, call, DialStatus.COMPLETED, f"customer hung up: {step.cause_txt}")
            else:
                await self._finish(attempt, call, status_of_cause(step.cause), step.cause_txt)
            await self._quietly(self.client.hangup(agent))
            await self._quietly(self.client.destroy_bridge(attempt))

    async def _originate_customer(self, attempt: str, number: str, call: _Call) -> None:
        leg = Leg(attempt, Role.CUSTOMER)
        if not number:
            await self._finish(attempt, call, DialStatus.FAILED, "the agent leg carried no customer number")
            await self._quietly(self.client.hangup(Leg(attempt, Role.AGENT).channel_id))
            return
        try:
            await self.client.originate(leg.channel_id, self.config.customer_address(number),
                                        app_args=str(Role.CUSTOMER), timeout_s=self.config.customer_ring_s,
                                        caller_id=self.config.caller_id)
        except BridgeError as err:  # the agent is waiting on the line: tell them by hanging up
            await self._finish(attempt, call, DialStatus.FAILED, f"could not dial the customer: {err}")
            await self._quietly(self.client.hangup(Leg(attempt, Role.AGENT).channel_id))

    async def _finish(self, attempt: str, call: _Call, status: DialStatus, reason: str) -> None:
        """Report the attempt's one final outcome; later events of its legs change nothing."""
        if call.final:
            return
        call.final = True
        await self._report(attempt, status, reason)

    async def _report(self, attempt: str, status: DialStatus, reason: str) -> None:
        try:
            await self.on_outcome(DialOutcome(attempt, status, reason))
        except Exception:  # the gateway's failure must not stop the events of every other call
            log.exception("reporting %s of callback attempt %s failed", status, attempt)

    async def _hang_up_both(self, attempt: str) -> None:
        for role in Role:
            await self._quietly(self.client.hangup(Leg(attempt, role).channel_id))
        await self._quietly(self.client.destroy_bridge(attempt))

    @staticmethod
    async def _quietly(call: Awaitable[None]) -> None:
        """Clean-up: a leg or bridge that cannot be removed now is Asterisk's to time out."""
        try:
            await call
        except BridgeError as err:
            log.warning("ARI clean-up failed: %s", err)

    def _call(self, attempt: str) -> _Call:
        call = self._calls.get(attempt)
        if call is None:
            call = self._calls[attempt] = _Call()
            while len(self._calls) > REMEMBERED_CALLS:
                self._calls.popitem(last=False)
        return call
