"""The admin API in tests: a fresh demo config per gateway (each process lays the settings over its
own copy of the YAML), JSON calls with a bearer token, and the settings tables emptied."""

from __future__ import annotations

from typing import Any

import aiohttp
from conftest import DEMO_CONFIG

from gateway.config import load_config


def fresh_config():
    """The demo config as the file has it (never one a gateway has already laid settings over)."""
    return load_config(DEMO_CONFIG, env={})


async def call(gw, method: str, path: str, token: str | None = None, body: Any = None, *,
               headers: dict | None = None, raw: bytes | None = None) -> tuple[int, Any, dict]:
    """(status, JSON body or None, headers) of one request to ``gw``."""
    sent = dict(headers or {})
    if token:
        sent["Authorization"] = f"Bearer {token}"
    async with aiohttp.ClientSession() as http:
        kwargs: dict[str, Any] = {"data": raw} if raw is not None else {"json": body} if body is not None else {}
        async with http.request(method, f"{gw.url}{path}", headers=sent, **kwargs) as r:
            data = await r.json() if r.content_type == "application/json" else None
            return r.status, data, dict(r.headers)


async def login(gw, username: str, password: str) -> tuple[int, Any]:
    status, body, _ = await call(gw, "POST", "/api/v1/login", body={"username": username, "password": password})
    return status, body


async def token(gw, username: str = "sam", password: str | None = None) -> str:
    return (await gw.login(username, password))["token"]


AGENT_EVENTS = ["hello", "offer", "assigned", "closed", "state", "unassigned", "session_ended"]


async def agent_socket(gw, username: str, password: str, *, available: bool = True):
    """An agent console's socket (logged in with ``password``), set available."""
    who = await gw.login(username, password)
    client, inbox = await gw.socket("/agent", {"token": who["token"]}, AGENT_EVENTS)
    if available:
        ack = await client.call("state", {"state": "available"}, namespace="/agent", timeout=5)
        assert ack["state"] == "available", ack
    return client, inbox
