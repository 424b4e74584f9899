"""A CRM stand-in (a local aiohttp server) and the demo config pointed at it, for the CRM lookup tests."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from conftest import DEMO_CONFIG

from gateway.config import load_config
from gateway.identity import user_hash

SECRET = "crm-test-secret"
IDENTITY_SECRET = "demo-identity-secret"  # the demo widget's identity secret without $DEMO_IDENTITY_SECRET


class FakeCrm:
    """Answers lookups by a verified identity in the request (404 for nobody it knows); ``mode`` makes
    it misbehave."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []  # {"headers", "raw", "body", "at"}
        self.customers: dict[str, Any] = {}  # "kind:value" of a verified identity -> the JSON answer
        self.mode = "answer"  # answer | status | garbage | list | huge | hang
        self.status = 500
        self.delay = 0.0  # seconds before answering
        self.release = asyncio.Event()  # ends a hanging handler (and the delay) when the test is over
        self.url = ""
        self._server: TestServer | None = None

    async def __aenter__(self) -> FakeCrm:
        app = web.Application()
        app.router.add_post("/lookup", self.lookup)
        self._server = TestServer(app, host="127.0.0.1", port=0)
        await self._server.start_server(shutdown_timeout=1)
        self.url = str(self._server.make_url("/lookup"))
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.release.set()
        assert self._server is not None
        await self._server.close()

    async def lookup(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        body = json.loads(raw)
        self.requests.append({"headers": dict(request.headers), "raw": raw, "body": body,
                              "at": asyncio.get_running_loop().time()})
        if self.delay:
            try:
                await asyncio.wait_for(self.release.wait(), self.delay)
            except TimeoutError:
                pass
        if self.mode == "hang":
            await asyncio.wait_for(self.release.wait(), 60)
        if self.mode == "status":
            return web.Response(status=self.status, text="Internal Server Error")
        if self.mode == "garbage":
            return web.Response(status=200, text="<html>oops</html>", content_type="text/html")
        if self.mode == "list":
            return web.json_response(["not", "an", "object"])
        if self.mode == "huge":
            return web.json_response({"segment": "vip", "blob": "x" * 200_000})
        for identity in body.get("identities", []):
            known = self.customers.get(f"{identity.get('kind')}:{identity.get('value')}")
            if known is not None:
                return web.json_response(known)
        return web.json_response({"error": "unknown customer"}, status=404)


def crm_config(url: str, **crm: Any):
    """The demo config looking contacts up at ``url`` (signed with SECRET), with ``crm`` overrides."""
    config = load_config(DEMO_CONFIG, env={"CRM_LOOKUP_URL": url, "CRM_LOOKUP_SECRET": SECRET})
    settings = config.tenants["demo"].crm
    for name, value in crm.items():
        setattr(settings, name, value)
    return config


def signed_visitor(user_id: str, signed_email: str, **auth: Any) -> dict[str, Any]:
    """Visitor connect auth with an identity signed by the customer's website (a verified email)."""
    return {"user_id": user_id, "user_email": signed_email, "user_hash": user_hash(IDENTITY_SECRET, user_id, signed_email), **auth}
