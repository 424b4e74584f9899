"""The Socket.IO server: fan-out through Redis so any gateway process reaches any socket."""

from __future__ import annotations

import socketio

from gateway.services import Services
from gateway.sockets import fastjson
from gateway.sockets.agent import AgentNamespace
from gateway.sockets.packet import GatewayPacket
from gateway.sockets.protocol import GatewayServer
from gateway.sockets.redis_manager import RedisFanout
from gateway.sockets.supervisor import SupervisorNamespace
from gateway.sockets.visitor import VisitorNamespace


def create_sio(redis_url: str) -> socketio.AsyncServer:
    """An AsyncServer whose emits travel over Redis pub/sub to every gateway process."""
    manager = RedisFanout(redis_url, channel="omnirelay-socketio", json=fastjson)
    return GatewayServer(
        async_mode="aiohttp",
        json=fastjson,
        serializer=GatewayPacket,
        client_manager=manager,
        # engine.io's own check is off: the widget is embedded on customers' sites, so which origins
        # may connect is each tenant's `allowed_origins`, checked by gateway/sockets/admission.py
        cors_allowed_origins="*",
        # one socket's events are handled in the order they arrive (a visitor's messages keep their
        # order), without a task per event; different sockets still run concurrently
        async_handlers=False,
        ping_interval=10,
        ping_timeout=10,
        max_http_buffer_size=64 * 1024,
        logger=False,
        engineio_logger=False,
    )


def register_namespaces(sio: socketio.AsyncServer, ctx: Services) -> None:
    if isinstance(sio, GatewayServer):
        sio.configure(ctx.config, ctx.metrics)
    sio.register_namespace(VisitorNamespace(ctx))
    sio.register_namespace(AgentNamespace(ctx))
    sio.register_namespace(SupervisorNamespace(ctx))
