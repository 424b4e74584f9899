"""Security headers on every answer: each GET route the gateway serves (pages, API, webhooks' handshake,
customers' signed pages), every built static file, and aiohttp's own 404 — nosniff and Referrer-Policy
everywhere; a CSP that runs only our own scripts on every page; nothing of ours framable; the widget
script still loadable from any site."""

from __future__ import annotations

import re

import aiohttp
import pytest

from gateway.pages import STATIC

pytestmark = pytest.mark.timeout(60)
PAGES = ("/agent", "/supervisor", "/admin", "/demo")


def get_routes(app) -> list[str]:
    """Every GET route of the app, its path parameters filled with a word."""
    out = []
    for route in app.router.routes():
        if route.method != "GET":
            continue
        info = route.resource.get_info() if route.resource is not None else {}
        path = info.get("formatter") or info.get("path")
        if path is None:  # the static directory: walked file by file below
            continue
        out.append(re.sub(r"\{[^}]+\}", "x", path))
    return sorted(set(out))


def _script_src(csp: str) -> str:
    found = re.search(r"script-src ([^;]*)", csp) or re.search(r"default-src ([^;]*)", csp)
    return found.group(1) if found else ""


async def test_every_answer_carries_the_security_headers(gateway):
    paths = get_routes(gateway.app)
    assert {"/agent", "/supervisor", "/admin", "/demo", "/widget.js", "/api/v1/me", "/healthz"} <= set(paths)
    statics = [f"/static/{p.relative_to(STATIC)}" for p in STATIC.rglob("*") if p.is_file() and not p.name.startswith(".")]
    assert any(s.endswith(".js") for s in statics), "the front ends are not built (make install)"
    seen = 0
    async with aiohttp.ClientSession() as http:
        for path in [*paths, *statics, "/no/such/page", "/api/v1/no-such-route"]:
            async with http.get(gateway.url + path, allow_redirects=False) as r:
                h = r.headers
                body = await r.read()
                where = (path, r.status)
                assert h.get("X-Content-Type-Options") == "nosniff", where
                assert h.get("Referrer-Policy") == "no-referrer", where
                ctype = h.get("Content-Type", "").split(";")[0]
                csp = h.get("Content-Security-Policy", "")
                if ctype == "text/html":
                    assert csp and "frame-ancestors 'none'" in csp and h.get("X-Frame-Options") == "DENY", where
                    script = _script_src(csp)
                    assert "'unsafe-inline'" not in script and "*" not in script.split(), (where, csp)
                    # no inline script in our pages (only <script src=…>): the CSP would block it
                    inline = re.findall(rb"<script(?![^>]*\bsrc=)[^>]*>", body, re.I)
                    assert inline == [], (where, inline)
                elif ctype == "application/json":
                    assert "frame-ancestors 'none'" in csp, where
                seen += 1
    assert seen == len(paths) + len(statics) + 2


async def test_the_consoles_cannot_be_framed_and_the_widget_loads_anywhere(gateway):
    async with aiohttp.ClientSession() as http:
        for page in ("/agent", "/supervisor", "/admin"):
            async with http.get(gateway.url + page) as r:
                assert r.status == 200
                assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
                assert r.headers["X-Frame-Options"] == "DENY"
        async with http.get(gateway.url + "/widget.js", headers={"Origin": "https://shop.example"}) as r:
            assert r.status == 200 and r.headers["Content-Type"].startswith("application/javascript")
            assert r.headers["Access-Control-Allow-Origin"] == "*"
            assert "X-Frame-Options" not in r.headers and "Content-Security-Policy" not in r.headers
            assert r.headers.get("Cross-Origin-Resource-Policy") in (None, "cross-origin")
