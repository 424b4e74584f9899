"""What every namespace handler needs, taken from the aiohttp app once at start-up."""

from __future__ import annotations

from dataclasses import dataclass

import socketio
from redis.asyncio import Redis

from gateway.auth import Sessions
from gateway.config.schema import Config
from gateway.metrics import Metrics
from gateway.routing import Router


@dataclass
class Context:
    config: Config
    redis: Redis
    sio: socketio.AsyncServer
    sessions: Sessions
    router: Router
    metrics: Metrics
    node_id: str
