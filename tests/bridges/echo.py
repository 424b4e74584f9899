"""``echo``: a tiny bridge registered only in tests, to drive the gateway's shared bridge path.

Webhooks carry ``X-Echo-Signature: sha256=<hex HMAC of the body>`` and a JSON batch
``{"updates": [{"id", "type", "from": {"id", "name"}, "chat", "text"?, ...}, ...]}``; replies go to
``POST <api_base>/send`` with a bearer token, answered like a typical platform API (429 with
``retry_after``, 401 for a bad token, 400 for a message it will never take).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer
from conftest import DEMO_CONFIG, Gateway, eventually  # noqa: F401  (re-exported for the tests)

from bridges.base import AuthFailed, BridgeSpec, Fatal, Health, Malformed, Media, NotReady, Outbound, Sent
from bridges.events import Attachment, Customer, DeliveryStatus, Event, Message, Reaction, Unsupported
from gateway import appkeys as K
from gateway.app import create_app
from gateway.config import load_config
from gateway.config.schema import ChannelConfig

SIGNATURE = "X-Echo-Signature"
SECRET = "echo-secret"
TOKEN = "echo-token"


@dataclass(frozen=True, slots=True)
class EchoConfig:
    secret: str = ""
    token: str = ""
    verify_token: str = ""
    api_base: str = ""


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class EchoBridge:
    def __init__(self, config: EchoConfig, http: ClientSession) -> None:
        self.config = config
        self.http = http

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        if not hmac.compare_digest(headers.get(SIGNATURE, ""), sign(self.config.secret, body)):
            raise AuthFailed("bad signature")

    def handshake(self, query: Mapping[str, str], body: bytes) -> str | None:
        if "challenge" not in query:
            return None
        if not hmac.compare_digest(query.get("verify_token", ""), self.config.verify_token):
            raise AuthFailed("wrong verify token")
        return query["challenge"]

    def deliveries(self, body: bytes) -> list[tuple[str, Any]]:
        try:
            updates = json.loads(body)["updates"]
            return [(str(u["id"]), u) for u in updates]
        except (ValueError, KeyError, TypeError) as err:
            raise Malformed("not an echo batch") from err

    def parse(self, unit: Any) -> list[Event]:
        parse = _PARSERS.get(unit.get("type"))
        return [parse(unit)] if parse else [Unsupported(kind=str(unit.get("type")), raw=unit)]

    async def send(self, outbound: Outbound) -> Sent:
        body = {"chat": outbound.thread, "text": outbound.text, "client_id": outbound.client_id, "tag": outbound.tag,
                "files": [{"name": f.name, "mime": f.mime, "size": len(f.data)} for f in outbound.files],
                "template": outbound.template.name if outbound.template else ""}
        headers = {"Authorization": f"Bearer {self.config.token}"}
        try:
            async with self.http.post(f"{self.config.api_base}/send", json=body, headers=headers) as r:
                answer = await r.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as err:
            raise NotReady("echo API unreachable") from err
        if r.status == 200:
            return Sent(message_id=str(answer["id"]), raw=answer)
        if r.status == 429 or r.status >= 500:
            raise NotReady(answer.get("description", "busy"), retry_after=answer.get("retry_after"))
        if r.status in (401, 403):
            raise AuthFailed(answer.get("description", "unauthorized"))
        raise Fatal(answer.get("description", f"refused ({r.status})"))

    async def fetch(self, ref: str, max_bytes: int) -> Media:
        headers = {"Authorization": f"Bearer {self.config.token}"}
        try:
            async with self.http.get(f"{self.config.api_base}/files/{ref}", headers=headers) as r:
                if r.status == 200:
                    data = await r.content.read(max_bytes + 1)
                    if len(data) > max_bytes:
                        raise Fatal(f"too large: more than {max_bytes} bytes", code="too_large")
                    return Media(data=data, mime=r.content_type, name=r.headers.get("X-File-Name", ""))
                answer = await r.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as err:
            raise NotReady("echo API unreachable") from err
        if r.status == 429 or r.status >= 500:
            raise NotReady(answer.get("description", "busy"), retry_after=answer.get("retry_after"))
        if r.status in (401, 403):
            raise AuthFailed(answer.get("description", "unauthorized"))
        raise Fatal(answer.get("description", f"refused ({r.status})"), code=answer.get("code", ""))

    @property
    def health(self) -> Health:
        return Health.OK


def _customer(u: dict) -> Customer:
    return Customer(id=str(u["from"]["id"]), name=u["from"].get("name", ""), raw=u["from"])


def _message(u: dict) -> Event:
    return Message(customer=_customer(u), thread=str(u["chat"]), message_id=str(u["id"]), text=u["text"], raw=u)


def _reaction(u: dict) -> Event:
    return Reaction(customer=_customer(u), thread=str(u["chat"]), message_id=str(u["id"]),
                    target=str(u["target"]), emoji=u.get("emoji", ""), raw=u)


def _status(u: dict) -> Event:
    return DeliveryStatus(thread=str(u["chat"]), message_id=str(u["target"]), status=u["status"], raw=u)


def _file(u: dict) -> Event:
    """``{"type": "file", "file": {"id", "kind", "name"?, "mime"?, "size"?}, "text"?}``: a message with one file."""
    f, who, chat, mid = u["file"], _customer(u), str(u["chat"]), str(u["id"])
    att = Attachment(customer=who, thread=chat, message_id=mid, kind=f["kind"], ref=f["id"], name=f.get("name", ""),
                     mime=f.get("mime", ""), size=f.get("size", 0), raw=f)
    return Message(customer=who, thread=chat, message_id=mid, text=u.get("text", ""), attachments=(att,), raw=u)


_PARSERS = {"text": _message, "reaction": _reaction, "status": _status, "file": _file}

SPEC = BridgeSpec(
    type="echo", work_channel="messaging", identity_kind="echo", config=EchoConfig, factory=EchoBridge,
    secrets=("secret",),
)


class FakeVendor:
    """The echo platform's API on loopback: records every send; ``script`` holds the next answers."""

    def __init__(self) -> None:
        self.sent: list[dict] = []  # every request, accepted or not
        self.script: list[tuple[int, dict]] = []  # (status, body) answers to give before the 200s
        self.hang: set[str] = set()  # chats whose sends get no answer (until the client gives up)
        self.app = web.Application()
        self.app.router.add_post("/send", self._send)
        self.files: dict[str, tuple[bytes, str, str]] = {}  # file id -> (data, content type, name)
        self.file_script: list[tuple[int, dict]] = []  # answers to give to the next downloads
        self.fetched: list[tuple[str, int]] = []  # (file id, status) of every download
        self.app.router.add_get("/files/{ref}", self._file)

    async def _send(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("chat") in self.hang:
            await asyncio.sleep(3600)
        status, answer = self.script.pop(0) if self.script else (200, {"id": f"p{len(self.sent) + 1}"})
        self.sent.append({**body, "status": status, "at": time.monotonic(),
                          "auth": request.headers.get("Authorization", "")})
        return web.json_response(answer, status=status)

    async def _file(self, request: web.Request) -> web.StreamResponse:
        ref = request.match_info["ref"]
        status, answer = self.file_script.pop(0) if self.file_script else (200, {})
        if status == 200 and ref not in self.files:
            status, answer = 404, {"description": "file not found"}
        self.fetched.append((ref, status))
        if status != 200:
            return web.json_response(answer, status=status)
        data, mime, name = self.files[ref]
        return web.Response(body=data, content_type=mime, headers={"X-File-Name": name})

    def accepted(self) -> list[str]:
        """Texts the platform took, in order."""
        return [s["text"] for s in self.sent if s["status"] == 200]


@contextlib.asynccontextmanager
async def running_vendor() -> AsyncIterator[FakeVendor]:
    """The echo platform's API on a free loopback port (``.url`` set)."""
    fake = FakeVendor()
    server = TestServer(fake.app, host="127.0.0.1", port=0)
    await server.start_server()
    fake.url = str(server.make_url("")).rstrip("/")
    try:
        yield fake
    finally:
        await server.close()


@contextlib.asynccontextmanager
async def echo_gateway(redis_url: str, vendor_url: str, *, handler=None, reporter=None,
                       secret: str = SECRET, configure=None) -> AsyncIterator[Gateway]:
    """The demo gateway plus an ``echo`` channel (id ``echo``) whose API is ``vendor_url``."""
    config = load_config(DEMO_CONFIG, env={})
    config.tenants["demo"].channels["echo"] = ChannelConfig(
        id="echo", type="echo", topic="tech", language="en", secret=secret, token=TOKEN,
        verify_token="echo-verify", api_base=vendor_url,
    )
    if configure is not None:
        configure(config)  # e.g. limits or the media dir of one test
    app = create_app(config, redis_url=redis_url)
    if handler is not None:
        app[K.INBOUND_HANDLER] = handler
    if reporter is not None:
        app[K.DELIVERY_REPORTER] = reporter
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    gw = Gateway(server)
    try:
        yield gw
    finally:
        await gw.close()
        await server.close()

