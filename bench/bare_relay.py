"""The baseline for bench/relay.py: aiohttp + python-socketio relaying visitor <-> agent, nothing else.

Same namespaces and event shapes as the gateway (/visitor, /agent, `message`, acks), but no Redis,
no persistence, no routing: each visitor is paired round-robin with a connected agent socket in
process memory. Whatever the gateway costs beyond this is the price of storing and routing.

    python bench/bare_relay.py --port 18090 [--no-uvloop] [--no-orjson]
"""

from __future__ import annotations

import argparse
import itertools
import time
from typing import Any

import socketio
from aiohttp import web

try:  # the bench measures with and without; both must work
    import orjson
except ImportError:  # pragma: no cover
    orjson = None


class OrjsonShim:
    """orjson behind the json-module interface python-socketio and python-engineio expect."""

    @staticmethod
    def dumps(obj: Any, **_: Any) -> str:
        return orjson.dumps(obj).decode()

    @staticmethod
    def loads(data: str | bytes, **_: Any) -> Any:
        return orjson.loads(data)


def create_app(*, use_orjson: bool = True) -> web.Application:
    sio = socketio.AsyncServer(
        async_mode="aiohttp", cors_allowed_origins="*", ping_interval=10, ping_timeout=10,
        json=OrjsonShim if use_orjson and orjson else None,
    )
    agents: list[str] = []  # connected agent sids, in order
    turn = itertools.count()
    peer_of_visitor: dict[str, tuple[str, str]] = {}  # visitor sid -> (conversation id, agent sid)
    visitor_of_conv: dict[str, str] = {}
    seq: dict[str, int] = {}

    @sio.on("connect", namespace="/agent")
    async def agent_connect(sid: str, environ: dict, auth: Any = None) -> None:
        agents.append(sid)

    @sio.on("disconnect", namespace="/agent")
    async def agent_disconnect(sid: str, *args: Any) -> None:
        if sid in agents:
            agents.remove(sid)

    @sio.on("connect", namespace="/visitor")
    async def visitor_connect(sid: str, environ: dict, auth: Any = None) -> None:
        if not agents:
            raise socketio.exceptions.ConnectionRefusedError({"code": "no_agents"})
        conversation_id = f"c{next(turn)}"
        agent = agents[int(conversation_id[1:]) % len(agents)]
        peer_of_visitor[sid] = (conversation_id, agent)
        visitor_of_conv[conversation_id] = sid
        seq[conversation_id] = 0
        await sio.emit("session", {"conversation_id": conversation_id}, to=sid, namespace="/visitor")
        await sio.emit("assigned", {"conversation_id": conversation_id}, to=agent, namespace="/agent")

    @sio.on("disconnect", namespace="/visitor")
    async def visitor_disconnect(sid: str, *args: Any) -> None:
        conversation_id, _ = peer_of_visitor.pop(sid, ("", ""))
        visitor_of_conv.pop(conversation_id, None)

    def wire(conversation_id: str, kind: str, text: str) -> dict:
        seq[conversation_id] += 1
        return {
            "id": f"{conversation_id}-{seq[conversation_id]}", "conversation_id": conversation_id,
            "seq": seq[conversation_id], "author": {"kind": kind, "name": kind}, "text": text, "ts": time.time(),
        }

    @sio.on("message", namespace="/visitor")
    async def visitor_message(sid: str, data: dict) -> dict:
        conversation_id, agent = peer_of_visitor[sid]
        msg = wire(conversation_id, "visitor", data["text"])
        await sio.emit("message", msg, to=agent, namespace="/agent")
        return {"id": msg["id"], "conversation_id": conversation_id, "seq": msg["seq"], "ts": msg["ts"]}

    @sio.on("message", namespace="/agent")
    async def agent_message(sid: str, data: dict) -> dict:
        conversation_id = data["conversation_id"]
        msg = wire(conversation_id, "agent", data["text"])
        await sio.emit("message", msg, to=visitor_of_conv[conversation_id], namespace="/visitor")
        return {"id": msg["id"], "conversation_id": conversation_id, "seq": msg["seq"], "ts": msg["ts"]}

    app = web.Application()
    sio.attach(app, socketio_path="socket.io")

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app.router.add_get("/healthz", healthz)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=18090)
    parser.add_argument("--no-uvloop", action="store_true")
    parser.add_argument("--no-orjson", action="store_true")
    args = parser.parse_args()
    if not args.no_uvloop:
        import uvloop

        uvloop.install()
    web.run_app(create_app(use_orjson=not args.no_orjson), host=args.host, port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
