"""The typed bundle every handler works with (sockets, REST, webhooks, loops): built once in the app
factory. It names what it needs of Socket.IO as a small protocol, so code below the namespaces never
depends on the socket layer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis

from gateway.assist.service import Assist
from gateway.auth import Sessions
from gateway.config.schema import Config
from gateway.emitter import Emitter
from gateway.history.service import History
from gateway.live_sessions import LiveSessions
from gateway.metrics import Metrics
from gateway.outbound import Outbox
from gateway.routing import Router
from gateway.typing_throttle import TypingThrottle


@dataclass
class Services:
    config: Config
    redis: Redis
    sio: Emitter
    sessions: Sessions
    router: Router
    metrics: Metrics
    node_id: str
    live: LiveSessions = field(default_factory=LiveSessions)  # this process's logged-in sockets
    typing: TypingThrottle = field(default_factory=lambda: TypingThrottle())
    outbox: Outbox | None = None  # set once the bridges' workers start (none without bridged channels)
    dialling: Any = None  # gateway.callbacks.dialling.Dialling, set once the dialers start
    bridged: Any = None  # gateway.webhooks.channels.BridgedChannels, set once the bridges start
    history: History | None = None  # the history database and its archive (None: the app runs without one)
    assist: Assist | None = None  # each tenant's topic classifier and language detection (gateway/assist/service.py)
    answers: Any = None  # gateway.assist.suggestions.Answers: suggestions and automatic answers, set at start
