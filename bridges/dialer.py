"""The contract of a dialer: an outbound-only bridge that places a callback agent-first.

The gateway asks for one call per attempt (``dial``); the dialer reports what became of it through
``on_outcome`` (the webhook dialer hears it on ``POST /webhooks/dialer/{channel}``, ARI over its events
websocket). ``attempt_id`` is the idempotency key: a repeated attempt id must never dial twice.
"""

from __future__ import annotations

import builtins
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, Protocol, TypeVar

from aiohttp import ClientSession


class DialStatus(StrEnum):
    """What the phone system says about one attempt; the last three end it."""

    RINGING = "ringing"
    ANSWERED = "answered"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    FAILED = "failed"
    COMPLETED = "completed"


# The statuses after which no further report is expected for the attempt.
FINAL_STATUSES = frozenset({DialStatus.BUSY, DialStatus.NO_ANSWER, DialStatus.FAILED, DialStatus.COMPLETED})


@dataclass(frozen=True, slots=True)
class DialRequest:
    """One attempt to connect an agent with a customer (agent leg first, then the customer)."""

    callback_id: str
    attempt_id: str  # idempotency key: the same id is never dialled twice
    agent_endpoint: str  # the agent's phone (SIP URI, extension or E.164 number)
    customer_number: str  # E.164
    conversation_url: str  # where the agent reads the conversation so far


@dataclass(frozen=True, slots=True)
class DialOutcome:
    """A report about one attempt; ``reason`` is the phone system's words (e.g. ARI's dialstatus)."""

    attempt_id: str
    status: DialStatus
    reason: str = ""


OnOutcome = Callable[[DialOutcome], Awaitable[None]]


class Dialer(Protocol):
    """One configured dialer channel; built with the gateway's ``on_outcome`` callback."""

    async def dial(self, request: DialRequest) -> None:
        """Ask the phone system to place the call; NotReady to retry, AuthFailed, Fatal (from
        bridges.base). Returns once the system has taken the request, not when the call ends."""


C = TypeVar("C")


@dataclass(frozen=True, slots=True)
class DialerSpec(Generic[C]):
    """What the gateway needs to build one dialer channel type (the dialer counterpart of BridgeSpec)."""

    type: str  # the channel type in the config (webhook, ari)
    config: builtins.type[C]  # frozen dataclass; its fields are read from the channel's config by name
    factory: Callable[[C, ClientSession, OnOutcome], Dialer]
    secrets: tuple[str, ...] = field(default=())  # must be set, or the channel is not started
