"""A local stand-in for Asterisk's ARI that keeps the semantics the dialer relies on: basic auth,
409 on a channel id that exists, addChannel only for legs inside the app, events on the app's
websocket. The tests play the phones: ``answer``, ``ring``, ``refuse`` and ``hang_up`` a leg."""

from __future__ import annotations

import asyncio
import base64
import json
from collections import defaultdict
from typing import Any

from aiohttp import hdrs, web

USER, PASSWORD = "omnirelay", "ari-secret"


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"message": message}, status=status)


class FakeAri:
    """Asterisk's REST interface and events websocket on loopback, with its state inspectable."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.channels: dict[str, dict[str, Any]] = {}  # id → snapshot plus our "args"
        self.bridges: dict[str, list[str]] = {}  # id → channel ids in it
        self.destroyed_bridges: list[str] = []
        # per route ("originate", "bridge", "add", "events"): (status, body, headers) to answer first
        self.script: dict[str, list[tuple[int, Any, dict[str, str]]]] = defaultdict(list)
        self.sockets: list[web.WebSocketResponse] = []
        self.url = ""  # set once the test server listens
        self.app = web.Application()
        self.app.router.add_post("/ari/channels", self._originate)
        self.app.router.add_delete("/ari/channels/{id}", self._hangup_route)
        self.app.router.add_post("/ari/bridges/{id}", self._bridge)
        self.app.router.add_post("/ari/bridges/{id}/addChannel", self._add)
        self.app.router.add_delete("/ari/bridges/{id}", self._destroy_bridge)
        self.app.router.add_get("/ari/events", self._events)

    # --- what the dialer calls ----------------------------------------------------------------------

    def _refused(self, request: web.Request, route: str) -> web.Response | None:
        self.requests.append({"method": request.method, "path": request.path, "query": dict(request.query),
                              "auth": request.headers.get(hdrs.AUTHORIZATION)})
        if request.headers.get(hdrs.AUTHORIZATION) != basic(USER, PASSWORD):
            return _error(401, "Authentication required")
        if self.script[route]:
            status, body, headers = self.script[route].pop(0)
            return web.json_response(body, status=status, headers=headers)
        return None

    async def _originate(self, request: web.Request) -> web.Response:
        if (refused := self._refused(request, "originate")) is not None:
            return refused
        q = request.query
        if not q.get("endpoint"):
            return _error(400, "Endpoint must be specified")
        channel_id = q.get("channelId", f"auto-{len(self.channels)}")
        if channel_id in self.channels:
            return _error(409, "Channel with given unique ID already exists")
        snapshot = {"id": channel_id, "name": f"{q['endpoint']}-0001", "state": "Down",
                    "caller": {"name": "", "number": q.get("callerId", "")}, "dialplan": {}}
        self.channels[channel_id] = {**snapshot, "args": q.get("appArgs", ""), "endpoint": q["endpoint"]}
        await self.emit({"type": "Dial", "peer": snapshot, "dialstring": q["endpoint"], "dialstatus": ""})
        return web.json_response(snapshot)

    async def _hangup_route(self, request: web.Request) -> web.Response:
        if (refused := self._refused(request, "hangup")) is not None:
            return refused
        if request.match_info["id"] not in self.channels:
            return _error(404, "Channel not found")
        await self.hang_up(request.match_info["id"], cause=16, cause_txt="Normal Clearing")
        return web.Response(status=204)

    async def _bridge(self, request: web.Request) -> web.Response:
        if (refused := self._refused(request, "bridge")) is not None:
            return refused
        bridge_id = request.match_info["id"]
        self.bridges.setdefault(bridge_id, [])
        return web.json_response({"id": bridge_id, "technology": "simple_bridge", "bridge_type": "mixing",
                                  "bridge_class": "stasis", "channels": self.bridges[bridge_id],
                                  "requested_type": request.query.get("type", "")})

    async def _add(self, request: web.Request) -> web.Response:
        if (refused := self._refused(request, "add")) is not None:
            return refused
        bridge_id = request.match_info["id"]
        if bridge_id not in self.bridges:
            return _error(404, "Bridge not found")
        ids = request.query.get("channel", "").split(",")
        if any(i not in self.channels for i in ids):
            return _error(400, "Channel not found")
        if any(self.channels[i]["state"] != "Up" for i in ids):
            return _error(422, "Channel not in Stasis application")
        self.bridges[bridge_id].extend(ids)
        return web.Response(status=204)

    async def _destroy_bridge(self, request: web.Request) -> web.Response:
        if (refused := self._refused(request, "destroy")) is not None:
            return refused
        if self.bridges.pop(request.match_info["id"], None) is None:
            return _error(404, "Bridge not found")
        self.destroyed_bridges.append(request.match_info["id"])
        return web.Response(status=204)

    async def _events(self, request: web.Request) -> web.StreamResponse:
        if (refused := self._refused(request, "events")) is not None:
            return refused
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.append(ws)
        try:
            async for _ in ws:  # ARI sends; whatever the client says is ignored
                pass
        finally:
            self.sockets.remove(ws)
        return ws

    # --- the tests play the phones ------------------------------------------------------------------

    async def emit(self, event: dict[str, Any]) -> None:
        event = {"application": "omnirelay", "timestamp": "2026-03-02T10:00:00.000+0100", **event}
        for ws in list(self.sockets):
            await ws.send_str(json.dumps(event))

    def originated(self) -> list[dict[str, Any]]:
        return [r["query"] for r in self.requests if r["method"] == "POST" and r["path"] == "/ari/channels"]

    async def ring(self, channel_id: str) -> None:
        self.channels[channel_id]["state"] = "Ringing"
        await self.emit({"type": "Dial", "peer": self._snapshot(channel_id), "dialstatus": "RINGING"})

    async def answer(self, channel_id: str) -> None:
        """The phone is picked up: Dial ANSWER, the state goes Up, and the leg enters the app."""
        channel = self.channels[channel_id]
        channel["state"] = "Up"
        await self.emit({"type": "Dial", "peer": self._snapshot(channel_id), "dialstatus": "ANSWER"})
        await self.emit({"type": "ChannelStateChange", "channel": self._snapshot(channel_id)})
        await self.emit({"type": "StasisStart", "args": channel["args"].split(","),
                         "channel": self._snapshot(channel_id)})

    async def refuse(self, channel_id: str, dialstatus: str, cause: int, cause_txt: str) -> None:
        """The leg never connects (BUSY, NOANSWER, CHANUNAVAIL …): Dial says why, then it is gone."""
        await self.emit({"type": "Dial", "peer": self._snapshot(channel_id), "dialstatus": dialstatus})
        await self.hang_up(channel_id, cause, cause_txt)

    async def hang_up(self, channel_id: str, cause: int = 16, cause_txt: str = "Normal Clearing") -> None:
        snapshot = self._snapshot(channel_id)
        self.channels.pop(channel_id)
        for members in self.bridges.values():
            if channel_id in members:
                members.remove(channel_id)
        await self.emit({"type": "ChannelDestroyed", "cause": cause, "cause_txt": cause_txt, "channel": snapshot})

    async def drop_sockets(self) -> None:
        """Asterisk restarts: every events websocket closes."""
        for ws in list(self.sockets):
            await ws.close()
        await asyncio.sleep(0)

    def _snapshot(self, channel_id: str) -> dict[str, Any]:
        return {k: v for k, v in self.channels[channel_id].items() if k not in ("args", "endpoint")}
