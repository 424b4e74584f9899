"""A local stand-in for the Slack Web API (``/api/<method>``) and a signer for Events API and
interactivity requests, as Slack sends them to the gateway.

It answers like Slack (``{"ok": true, …}``, ``{"ok": false, "error": …}``, a 429 with ``Retry-After``),
checks the bearer token, keeps a small user directory and records every call it received (with its
arrival time, so pacing can be checked)."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from aiohttp.test_utils import TestServer
from conftest import FIXTURES

TOKEN = "xoxb-test-token-1234"
SECRET = "slack-signing-secret-for-tests"
TEAM = "T111"
BOT_USER = "UBOT"
BOT_ID = "BOMNI"


@dataclass
class Call:
    method: str
    body: dict[str, Any] = field(default_factory=dict)
    at: float = 0.0
    ts: str = ""  # what chat.postMessage answered as the message's ts


class SlackStandIn:
    """The Web API on loopback. ``script[method]`` holds (status, body, headers) answers to give first."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.script: dict[str, list[tuple[int, Any, dict[str, str]]]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.deleted: list[tuple[str, str]] = []  # (channel, ts) of every chat.delete it took
        self.app = web.Application()
        self.app.router.add_post("/api/{method}", self._method)
        self.url = ""
        self._n = 0

    def add_user(self, user_id: str, email: str, *, confirmed: bool = True, name: str = "") -> None:
        self.users[user_id] = {"id": user_id, "team_id": TEAM, "name": name or user_id.lower(), "deleted": False,
                               "is_bot": False, "is_email_confirmed": confirmed,
                               "profile": {"email": email, "display_name": name or user_id, "real_name": name}}

    def answer(self, method: str, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.script.setdefault(method, []).append((status, body, headers or {}))

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def posts(self, channel: str = "") -> list[Call]:
        return [c for c in self.of("chat.postMessage") if not channel or c.body.get("channel") == channel]

    async def _method(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.content_type == "application/json":
            body = await request.json()
        else:
            body = dict(await request.post())
        call = Call(method, body, time.monotonic())
        self.calls.append(call)
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        if self.script.get(method):
            status, answer, headers = self.script[method].pop(0)
            return web.json_response(answer, status=status, headers=headers)
        result = self._result(method, body)
        call.ts = str(result.get("ts", ""))
        return web.json_response(result)

    def _result(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "team_id": TEAM, "user_id": BOT_USER, "bot_id": BOT_ID, "team": "Demo"}
        if method == "users.info":
            user = self.users.get(str(body.get("user")))
            return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
        if method == "users.lookupByEmail":
            user = next((u for u in self.users.values() if u["profile"]["email"] == body.get("email")), None)
            return {"ok": True, "user": user} if user else {"ok": False, "error": "users_not_found"}
        if method == "chat.postMessage":
            self._n += 1
            ts = f"{1700000000 + self._n}.{self._n:06d}"
            return {"ok": True, "channel": body.get("channel"), "ts": ts,
                    "message": {"text": body.get("text"), "ts": ts, "bot_id": BOT_ID}}
        if method == "chat.update":
            return {"ok": True, "channel": body.get("channel"), "ts": body.get("ts")}
        if method == "chat.delete":  # a bot deletes only what it posted (the stand-in: what it answered with a ts)
            if (str(body.get("channel")), str(body.get("ts"))) in self.deleted or not any(
                    c.ts == body.get("ts") and c.body.get("channel") == body.get("channel")
                    for c in self.of("chat.postMessage")):
                return {"ok": False, "error": "message_not_found"}
            self.deleted.append((str(body.get("channel")), str(body.get("ts"))))
            return {"ok": True, "channel": body.get("channel"), "ts": body.get("ts")}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"{time.time():.6f}"}
        return {"ok": False, "error": "unknown_method"}


@contextlib.asynccontextmanager
async def running(stand_in: SlackStandIn) -> AsyncIterator[SlackStandIn]:
    server = TestServer(stand_in.app, host="127.0.0.1", port=0)
    await server.start_server(access_log=None)
    stand_in.url = str(server.make_url("/api/"))
    try:
        yield stand_in
    finally:
        await server.close()


def signed(body: bytes, secret: str = SECRET, ts: int | None = None, **extra: str) -> dict[str, str]:
    """The headers Slack sends with ``body``: its timestamp and v0 signature."""
    ts = int(time.time()) if ts is None else ts
    digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={digest}", **extra}


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())["payload"]


def thread_reply(channel: str, thread_ts: str, ts: str, user: str, text: str, event_id: str, *,
                 broadcast: bool = False) -> bytes:
    """``slack_message_thread_reply.json`` (or the thread_broadcast one), adapted to a real thread."""
    body = fixture("slack_message_thread_broadcast" if broadcast else "slack_message_thread_reply")
    body["event"].update(channel=channel, thread_ts=thread_ts, ts=ts, event_ts=ts, user=user, text=text)
    body["event"].pop("root", None)
    body["event_id"], body["team_id"] = event_id, TEAM
    return json.dumps(body).encode()


def message_changed(channel: str, thread_ts: str, target: str, user: str, before: str, after: str,
                    event_id: str) -> bytes:
    """``slack_message_changed.json`` adapted: the agent's reply ``target`` in a real thread, edited."""
    body = fixture("slack_message_changed")
    event = body["event"]
    event["channel"] = channel
    event["message"].update(text=after, user=user, ts=target, thread_ts=thread_ts,
                            edited={"user": user, "ts": f"{float(target) + 5:.6f}"})
    event["previous_message"].update(text=before, user=user, ts=target, thread_ts=thread_ts)
    body["event_id"], body["team_id"] = event_id, TEAM
    return json.dumps(body).encode()


def block_action(channel: str, root_ts: str, user: str, action: str, value: str, trigger: str) -> bytes:
    """An interactivity request (form post, ``payload=`` JSON) for a press of one of our controls."""
    element: dict[str, Any] = {"action_id": action, "block_id": "b", "action_ts": f"{time.time():.6f}"}
    if action == "transfer":
        element.update(type="static_select", selected_option={"value": value})
    else:
        element.update(type="button", value=value)
    payload = {"type": "block_actions", "team": {"id": TEAM}, "user": {"id": user}, "trigger_id": trigger,
               "container": {"type": "message", "channel_id": channel, "message_ts": root_ts},
               "channel": {"id": channel}, "message": {"ts": root_ts}, "actions": [element]}
    return urlencode({"payload": json.dumps(payload)}).encode()
