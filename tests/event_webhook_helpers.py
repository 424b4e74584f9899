"""Local receivers and a fast event-webhook config for tests/test_event_webhooks*.py."""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import aiohttp
from aiohttp import web
from conftest import DEMO_CONFIG

from gateway.config import load_config
from gateway.config.schema import EventWebhooksConfig

ROOT = Path(__file__).resolve().parent.parent
FAST = EventWebhooksConfig(allow_private_targets=True, timeout_s=2.0, backoff_first_s=0.2, backoff_max_s=0.5,
                           poll_s=0.1, claim_idle_s=2.0)


def fast_config(**settings):
    """The demo config with short back-offs and loopback receivers allowed."""
    cfg = load_config(DEMO_CONFIG, env={})
    cfg.event_webhooks = replace(FAST, **settings)
    return cfg


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float
    answered: int = 0  # the status we answered (0: hung up / cut off)


@dataclass
class Receiver:
    """An HTTP receiver on loopback: answers each request with the next of ``statuses`` (then 200);
    ``hang`` holds requests until released."""

    statuses: list[int] = field(default_factory=list)
    hang: asyncio.Event | None = None
    got: list[Received] = field(default_factory=list)
    url: str = ""
    in_flight: dict[str, int] = field(default_factory=dict)  # delivery id -> requests open now
    most_at_once: int = 0  # the most requests of one delivery id ever open at the same time
    _runner: web.AppRunner | None = None

    async def start(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/hook"
        return self

    async def stop(self) -> None:
        if self.hang is not None:
            self.hang.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        item = Received(dict(request.headers), await request.read(), time.time())
        self.got.append(item)
        did = item.headers.get("X-Omnirelay-Delivery", "")
        self.in_flight[did] = self.in_flight.get(did, 0) + 1
        self.most_at_once = max(self.most_at_once, self.in_flight[did])
        try:
            while self.hang is not None and not self.hang.is_set():
                if request.transport is None or request.transport.is_closing():
                    return web.Response(status=499)  # the sender hung up (timed out, or died): nobody reads this
                await asyncio.sleep(0.02)
            status = self.statuses.pop(0) if self.statuses else 200
            item.answered = status
            return web.Response(status=status, text="ok" if status < 300 else "nope")
        finally:
            self.in_flight[did] -= 1

    def delivered(self) -> list[Received]:
        """The requests we answered 2xx, in arrival order."""
        return [r for r in self.got if 200 <= r.answered < 300]


class Admin:
    """The demo admin (sam) on the webhook API."""

    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token

    @classmethod
    async def login(cls, url: str, user: str = "sam", password: str = "sam-demo") -> Admin:
        async with aiohttp.ClientSession() as http, http.post(f"{url}/api/v1/login",
                                                            json={"username": user, "password": password}) as r:
            assert r.status == 200, await r.text()
            return cls(url, (await r.json())["token"])

    async def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        async with aiohttp.ClientSession() as http, http.request(
                method, f"{self.url}/api/v1/admin/webhooks{path}", json=body,
                headers={"Authorization": f"Bearer {self.token}"}) as r:
            return r.status, (await r.json() if r.content_type == "application/json" else {})

    async def subscribe(self, url: str, **body) -> tuple[str, str]:
        """(subscription id, secret)."""
        status, out = await self.call("POST", "", {"url": url, **body})
        assert status == 201, out
        return out["subscription"]["id"], out["secret"]


def docs_verifier():
    """The Python verification snippet of docs/webhooks.md, executed as written: its ``verify``."""
    text = (ROOT / "docs" / "webhooks.md").read_text()
    block = re.search(r"<!-- verify:python -->\s*```python\n(.*?)```", text, re.S)
    assert block, "docs/webhooks.md lost its Python verification snippet"
    scope: dict = {}
    exec(compile(block.group(1), "docs/webhooks.md", "exec"), scope)  # noqa: S102 - our own documentation
    return scope["verify"]
