"""Typed application state: every web.AppKey of the gateway, in one place."""

from __future__ import annotations

from typing import TYPE_CHECKING

import socketio
from aiohttp import web
from redis.asyncio import Redis

from gateway.auth import Sessions
from gateway.config.schema import Config
from gateway.metrics import Metrics

if TYPE_CHECKING:
    pass

CONFIG = web.AppKey("config", Config)
REDIS = web.AppKey("redis", Redis)
REDIS_URL = web.AppKey("redis_url", str)
SIO = web.AppKey("sio", socketio.AsyncServer)
SESSIONS = web.AppKey("sessions", Sessions)
METRICS = web.AppKey("metrics", Metrics)
NODE_ID = web.AppKey("node_id", str)
BACKGROUND = web.AppKey("background", "Background")
ROUTER = web.AppKey("router", "Router")
CONTEXT = web.AppKey("context", "Context")
