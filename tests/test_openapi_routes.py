"""The OpenAPI description cannot drift from the app: every route the gateway registers (the REST
API, the customers' signed pages, the webhooks) is a path of GET /api/v1/openapi.json with its
method, and every documented path is served — apart from the consoles' pages, static files and
Socket.IO, which are no API."""

from __future__ import annotations

import re

import aiohttp
from conftest import DEMO_CONFIG

from gateway.app import create_app
from gateway.config import load_config

NO_API = {"/", "/agent", "/supervisor", "/admin", "/demo", "/widget.js", "/static", "/socket.io/"}
IMPLICIT = {"HEAD", "OPTIONS"}  # aiohttp answers HEAD for each GET; Socket.IO's preflight


def registered(app) -> set[tuple[str, str]]:
    """(method, OpenAPI path) of every route; a ``{name:a|b}`` pattern is one path per alternative."""
    out = set()
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        path = info.get("formatter") or info.get("path") or info.get("prefix") or ""
        if route.method in IMPLICIT or path in NO_API or route.method == "*":
            continue
        # a name with a fixed choice ({dimension:queues|channels|agents}) is one documented path per choice
        choices = re.search(r"\(\?P<(\w+)>([\w|]+)\)", info["pattern"].pattern) if "pattern" in info else None
        if choices:
            for choice in choices.group(2).split("|"):
                out.add((route.method, path.replace("{" + choices.group(1) + "}", choice)))
            continue
        out.add((route.method, path))
    return out


def documented(spec: dict) -> set[tuple[str, str]]:
    methods = {"get", "post", "put", "patch", "delete"}
    return {(m.upper(), path) for path, item in spec["paths"].items() for m in item if m in methods}


async def test_every_route_is_documented_and_every_documented_path_is_served(gateway):
    async with aiohttp.ClientSession() as http, http.get(f"{gateway.url}/api/v1/openapi.json") as r:
        assert r.status == 200
        spec = await r.json()
    served = registered(gateway.app)
    assert ("GET", "/api/v1/reports/agents") in served and ("POST", "/rate/{tenant}/{cid}/{sig}") in served
    assert sorted(served - documented(spec)) == [], "routes missing from gateway/api/openapi.py"
    assert sorted(documented(spec) - served) == [], "documented paths the gateway does not serve"


def test_the_comparison_sees_a_new_route():
    """A route added without its description is caught (the check above is not vacuous)."""
    from aiohttp import web

    app = create_app(load_config(DEMO_CONFIG, env={}), redis_url="redis://127.0.0.1:1/0")

    async def nothing(request: web.Request) -> web.Response:
        return web.Response()

    from gateway.api.openapi import SPEC

    before = registered(app) - documented(SPEC)
    app.router.add_post("/api/v1/undocumented/{id}", nothing)
    assert registered(app) - documented(SPEC) - before == {("POST", "/api/v1/undocumented/{id}")}
