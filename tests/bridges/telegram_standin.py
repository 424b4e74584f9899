"""A local stand-in for the Telegram Bot API: ``/bot<token>/<method>`` and ``/file/bot<token>/<path>``.

It answers like the real server (``{"ok": true, "result": …}``, the recorded error bodies, a
``Retry-After`` header with a 429), checks the token, and records every call it received.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from conftest import FIXTURES

TOKEN = "123456:AAH-test-token_secret"


def error_body(name: str) -> dict[str, Any]:
    """A recorded Bot API error body (``tests/fixtures/webhooks/telegram_error_*.json``)."""
    return json.loads((FIXTURES / f"telegram_error_{name}.json").read_text())["payload"]


@dataclass
class Call:
    method: str
    json: dict[str, Any] = field(default_factory=dict)
    form: dict[str, Any] = field(default_factory=dict)  # field → text, or (filename, content type, bytes)


class StandIn:
    """The Bot API on loopback. ``script[method]`` holds (status, body, headers) answers to give first."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.downloads: list[str] = []
        self.script: dict[str, list[tuple[int, Any, dict[str, str]]]] = {}
        self.files: dict[str, bytes] = {}  # file_path → bytes served under /file/bot<token>/
        self.file_info: dict[str, dict[str, Any]] = {}  # file_id → getFile result
        self.app = web.Application()
        self.app.router.add_post("/bot{token}/{method}", self._method)
        self.app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        self.url = ""
        self._next_id = 100

    def answer(self, method: str, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.script.setdefault(method, []).append((status, body, headers or {}))

    def sent_texts(self) -> list[str]:
        return [c.json.get("text", "") for c in self.calls if c.method == "sendMessage"]

    async def _method(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        call = Call(method)
        if request.content_type == "multipart/form-data":
            async for part in await request.multipart():
                data = await part.read()  # type: ignore[union-attr]
                call.form[part.name or ""] = ((part.filename, part.headers.get("Content-Type"), bytes(data))  # type: ignore[union-attr]
                                              if part.filename else bytes(data).decode())  # type: ignore[union-attr]
        elif request.can_read_body:
            call.json = await request.json()
        self.calls.append(call)
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        if self.script.get(method):
            status, body, headers = self.script[method].pop(0)
            if isinstance(body, bytes):
                return web.Response(body=body, status=status, headers=headers)
            return web.json_response(body, status=status, headers=headers)
        return web.json_response({"ok": True, "result": self._result(method, call)})

    def _result(self, method: str, call: Call) -> Any:
        if method == "getFile":
            return self.file_info[call.json["file_id"]]
        if method == "setWebhook":
            return True
        if method == "getWebhookInfo":
            return {"url": "https://gw.example/webhooks/telegram/telegram", "has_custom_certificate": False,
                    "pending_update_count": 3, "last_error_date": 1700000000,
                    "last_error_message": "Wrong response from the webhook: 502 Bad Gateway"}
        if method == "answerCallbackQuery":
            return True
        self._next_id += 1
        chat = call.json.get("chat_id") or call.form.get("chat_id")
        return {"message_id": self._next_id, "date": 1700000000, "chat": {"id": int(chat), "type": "private"}}

    async def _file(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        self.downloads.append(path)
        if request.match_info["token"] != self.token or path not in self.files:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        if self.script.get("download"):
            status, body, headers = self.script["download"].pop(0)
            return web.Response(body=body if isinstance(body, bytes) else json.dumps(body).encode(),
                                status=status, headers=headers)
        return web.Response(body=self.files[path], content_type="application/octet-stream")


@contextlib.asynccontextmanager
async def running(stand_in: StandIn) -> AsyncIterator[StandIn]:
    server = TestServer(stand_in.app, host="127.0.0.1", port=0)
    # no access log: it would print the token in each path, and the gateway's logs are what tests check
    await server.start_server(access_log=None)
    stand_in.url = str(server.make_url("")).rstrip("/")
    try:
        yield stand_in
    finally:
        await server.close()
